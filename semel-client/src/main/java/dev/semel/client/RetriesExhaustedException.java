package dev.semel.client;

import java.io.IOException;
import java.util.Optional;

/**
 * An operation whose every attempt failed with a retryable exception, until the attempts
 * or the deadline ran out. The cause is the last attempt's exception; earlier ones are
 * {@linkplain #getSuppressed() suppressed}. The server may have done the work: retry later
 * with {@link #idempotencyKey()} to get its answer instead of doing it again.
 */
public final class RetriesExhaustedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int attempts;
    private final String idempotencyKey;

    RetriesExhaustedException(String message, Throwable cause, int attempts, String idempotencyKey) {
        super(message, cause);
        this.attempts = attempts;
        this.idempotencyKey = idempotencyKey;
    }

    /** @return how many attempts were made */
    public int attempts() {
        return attempts;
    }

    /** @return the key every attempt carried, if any */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }
}
