package dev.semel;

import org.jspecify.annotations.Nullable;

/**
 * Base type of every exception Semel throws on purpose.
 *
 * <p>Catching it separates idempotency outcomes (a duplicate still running, a reused key,
 * a store that cannot be reached) from failures of the protected operation itself,
 * which Semel always propagates unchanged.
 */
public class IdempotencyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong, for people
     */
    public IdempotencyException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong, for people
     * @param cause the underlying failure, may be {@code null}
     */
    public IdempotencyException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
