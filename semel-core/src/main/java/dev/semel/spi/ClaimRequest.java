package dev.semel.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * Everything a store needs to claim a record atomically.
 *
 * <p>Times come from the engine's clock. A store that {@linkplain IdempotencyStore#usesOwnClock()
 * uses its own clock} takes {@code leaseDeadline - now} and {@code expiresAt - now} as
 * durations on that clock; any other store compares the instants as given, so tests control
 * time completely.
 *
 * @param recordId the fixed-length record id
 * @param key the readable key, kept for admin queries
 * @param scope the readable scope, kept for admin queries
 * @param fingerprint the payload fingerprint (32 bytes)
 * @param owner who will hold the lease
 * @param freshToken the fencing token to give a record that does not exist yet; a
 *     takeover uses the previous token + 1 instead. Random, so that a purged record
 *     claimed again never reissues a token a zombie could still hold.
 * @param leaseDeadline when the new lease ends unless renewed
 * @param expiresAt when a record created now stops existing (the TTL's outer bound)
 * @param now the current time
 */
public record ClaimRequest(
        String recordId,
        String key,
        String scope,
        byte[] fingerprint,
        String owner,
        long freshToken,
        Instant leaseDeadline,
        Instant expiresAt,
        Instant now) {

    /**
     * Checks the arguments.
     *
     * @param recordId id
     * @param key key
     * @param scope scope
     * @param fingerprint fingerprint
     * @param owner owner
     * @param freshToken token for a new record
     * @param leaseDeadline lease end
     * @param expiresAt expiry
     * @param now current time
     */
    public ClaimRequest {
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(leaseDeadline, "leaseDeadline");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(now, "now");
        if (freshToken <= 0) {
            throw new IllegalArgumentException("freshToken must be positive");
        }
    }
}
