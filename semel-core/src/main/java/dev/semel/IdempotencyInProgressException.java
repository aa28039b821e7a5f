package dev.semel;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by the plain-Java API when the same key is still being executed elsewhere.
 *
 * <p>The first attempt holds a live lease; retrying after {@link #retryAfter()} either
 * replays its result or, if it was abandoned, runs the operation again.
 */
public final class IdempotencyInProgressException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient IdempotencyKey key;
    private final Duration retryAfter;

    /**
     * Creates the exception.
     *
     * @param key the key that is in progress
     * @param retryAfter how long the caller should wait before retrying
     */
    public IdempotencyInProgressException(IdempotencyKey key, Duration retryAfter) {
        super("A request with idempotency key '" + key.value() + "' is still in progress; retry after "
                + retryAfter.toSeconds() + " s");
        this.key = key;
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /**
     * Returns the key that is in progress.
     *
     * @return the key
     */
    public IdempotencyKey key() {
        return key;
    }

    /**
     * Returns how long to wait before retrying.
     *
     * @return the suggested delay, at least one second
     */
    public Duration retryAfter() {
        return retryAfter;
    }
}
