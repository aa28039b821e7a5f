package dev.semel;

/** The store operations the engine times and reports to {@link IdempotencyListener#onStoreCall}. */
public enum StoreOperation {
    /** {@code claim}. */
    CLAIM,
    /** {@code complete}. */
    COMPLETE,
    /** {@code release}. */
    RELEASE,
    /** {@code renew}. */
    RENEW,
    /** {@code find}. */
    FIND,
    /** {@code awaitChange}, while a duplicate waits. */
    AWAIT
}
