package dev.semel;

/** What the engine does when the store cannot be reached while claiming. */
public enum FailurePolicy {
    /**
     * Refuse: the caller gets an {@link IdempotencyStoreException} (HTTP 503 with
     * {@code Retry-After}). Never a silent duplicate. The default.
     */
    FAIL_CLOSED,
    /**
     * Run the operation unprotected, with a {@link IdempotencyEvent.Type#FAIL_OPEN} event and
     * a warning in the log. Choose it only where availability beats duplicates.
     */
    FAIL_OPEN
}
