package dev.semel;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when the idempotency store cannot be reached or fails an operation.
 *
 * <p>Stores throw it for I/O failures. The engine, failing closed by default, throws it
 * to the caller with {@link #retryAfter()} set, and adapters answer 503 with
 * {@code Retry-After}: a store outage never becomes a silent duplicate.
 */
public class IdempotencyStoreException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final @Nullable Duration retryAfter;

    /**
     * Creates an exception for a store failure.
     *
     * @param message what failed
     * @param cause the underlying failure, may be {@code null}
     */
    public IdempotencyStoreException(String message, @Nullable Throwable cause) {
        this(message, cause, null);
    }

    /**
     * Creates an exception that tells the caller when to retry.
     *
     * @param message what failed
     * @param cause the underlying failure, may be {@code null}
     * @param retryAfter when a retry makes sense, may be {@code null}
     */
    public IdempotencyStoreException(String message, @Nullable Throwable cause, @Nullable Duration retryAfter) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /**
     * Returns when a retry makes sense, if the engine set it.
     *
     * @return the delay, or empty when unknown
     */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
