package dev.semel.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a store holds for one scope and key: the claim, and once completed, the response.
 *
 * <p>Stores return it from {@code find}, {@code query} and when a claim meets an existing
 * record; admin tools show it. Treat {@link #fingerprint()} as read-only.
 *
 * @param recordId the fixed-length id ({@link dev.semel.Scope#recordId(dev.semel.IdempotencyKey)})
 * @param key the readable idempotency key, for admin queries, {@code null} if the store did not keep it
 * @param scope the readable scope ({@link dev.semel.Scope#toString()}), for admin queries, {@code null} if
 *     the store did not keep it
 * @param state the record's state
 * @param fingerprint the payload's fingerprint, {@value dev.semel.Fingerprint#LENGTH} bytes
 * @param fencingToken the token of the current (or last) lease holder
 * @param leaseOwner who holds (or held) the lease, {@code null} if the store did not keep it
 * @param leaseDeadline when the lease ends unless renewed, {@code null} if the store did not keep it
 * @param createdAt when the key was first claimed
 * @param completedAt when the response was stored, {@code null} while in progress
 * @param expiresAt when the record stops existing for callers
 * @param response the stored response, {@code null} while in progress
 */
public record IdempotencyRecord(
        String recordId,
        @Nullable String key,
        @Nullable String scope,
        RecordState state,
        byte[] fingerprint,
        long fencingToken,
        @Nullable String leaseOwner,
        @Nullable Instant leaseDeadline,
        Instant createdAt,
        @Nullable Instant completedAt,
        Instant expiresAt,
        @Nullable StoredResponse response) {

    /**
     * Checks the invariants every store must keep.
     *
     * @param recordId the id
     * @param key the key
     * @param scope the scope
     * @param state the state
     * @param fingerprint the fingerprint
     * @param fencingToken the token
     * @param leaseOwner the owner
     * @param leaseDeadline the lease deadline
     * @param createdAt creation time
     * @param completedAt completion time
     * @param expiresAt expiry time
     * @param response the response
     */
    public IdempotencyRecord {
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (state == RecordState.COMPLETED && response == null) {
            throw new IllegalArgumentException("a completed record needs its response");
        }
    }

    /**
     * Whether a live lease holder is still working on it.
     *
     * @param now the current time
     * @return {@code true} if in progress with a lease that has not ended
     */
    public boolean isLeaseLive(Instant now) {
        return state == RecordState.IN_PROGRESS && leaseDeadline != null && leaseDeadline.isAfter(now);
    }
}
