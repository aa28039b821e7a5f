package dev.semel;

import java.time.Duration;

/** The engine's fail-closed answer, told apart from the store failure that caused it. */
final class StoreUnavailableException extends IdempotencyStoreException {
    private static final long serialVersionUID = 1L;

    StoreUnavailableException(String message, Throwable cause, Duration retryAfter) {
        super(message, cause, retryAfter);
    }
}
