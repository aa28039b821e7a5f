package dev.semel;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One thing that happened in the engine, for listeners (metrics, logs, traces).
 *
 * @param type what happened
 * @param scope the scope, {@code null} for {@link Type#REJECTED} before a scope was known
 * @param key the key, {@code null} if it was missing or malformed
 * @param duration how long it took (claim, wait, or the whole execution), zero when not timed
 * @param status the response status for {@link Type#COMPLETED}/{@link Type#REPLAYED}, else 0
 * @param bodyBytes the stored body size for {@link Type#COMPLETED}, else 0
 * @param error the failure for {@link Type#STORE_ERROR}, {@link Type#FAIL_OPEN},
 *     {@link Type#LEASE_LOST}, else {@code null}
 */
public record IdempotencyEvent(
        Type type, @Nullable Scope scope, @Nullable IdempotencyKey key, Duration duration, int status,
        long bodyBytes, @Nullable Throwable error) {

    /** The kinds of events; each request ends in exactly one of the first six. */
    public enum Type {
        /** A claim succeeded: the operation runs. */
        EXECUTED,
        /** A stored response was returned. */
        REPLAYED,
        /** A duplicate met a live lease and was answered in-progress. */
        CONFLICT,
        /** The key was reused with another payload. */
        MISMATCH,
        /** The request was refused before reaching the store (bad or missing key, body too large). */
        REJECTED,
        /** The store failed and the engine failed closed. */
        STORE_ERROR,
        /** The store failed and the engine ran the operation unprotected. */
        FAIL_OPEN,
        /** An abandoned lease was taken over (also counted as {@link #EXECUTED}). */
        LEASE_TAKEN_OVER,
        /** A duplicate waited for the first attempt (the wait policy); duration is the wait. */
        WAITED,
        /** A response was stored; duration is the time since the claim. */
        COMPLETED,
        /** The key was released (exception or an outcome not stored). */
        RELEASED,
        /** A lease holder found its lease taken over or gone. */
        LEASE_LOST
    }

    /**
     * Checks the required fields.
     *
     * @param type type
     * @param scope scope
     * @param key key
     * @param duration duration
     * @param status status
     * @param bodyBytes body size
     * @param error error
     */
    public IdempotencyEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(duration, "duration");
    }

    /**
     * An event without status, size or error.
     *
     * @param type type
     * @param scope scope
     * @param key key
     * @param duration duration
     * @return the event
     */
    static IdempotencyEvent of(Type type, @Nullable Scope scope, @Nullable IdempotencyKey key,
            Duration duration) {
        return new IdempotencyEvent(type, scope, key, duration, 0, 0, null);
    }
}
