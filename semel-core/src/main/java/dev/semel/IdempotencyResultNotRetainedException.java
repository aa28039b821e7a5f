package dev.semel;

import java.util.Objects;

/**
 * Thrown to a duplicate call of {@link Idempotency#once} whose first call ran, but whose
 * result could not be stored (its codec could not encode it or read it back, or it was over
 * the store's size limit).
 *
 * <p>The operation is never run a second time for this key: once its effect happened, the
 * key is not released. The record is completed as "not retained" instead, so every duplicate
 * within the TTL gets this exception, which says the operation already ran and why its
 * result cannot be replayed. A message listener typically treats it like a successful
 * duplicate (acknowledge, do not redeliver).
 */
public final class IdempotencyResultNotRetainedException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient IdempotencyKey key;

    /**
     * Creates the exception.
     *
     * @param key the key whose first call ran
     * @param reason why its result was not stored
     */
    public IdempotencyResultNotRetainedException(IdempotencyKey key, String reason) {
        super("The operation for idempotency key '" + Objects.requireNonNull(key, "key")
                + "' already ran, but its result was not retained (" + reason
                + "), so it cannot be replayed; it is not run again");
        this.key = key;
    }

    /** @return the key whose first call ran */
    public IdempotencyKey key() {
        return key;
    }
}
