package dev.semel;

/**
 * Thrown by the plain-Java API when a key is reused with a different payload.
 *
 * <p>This is a client bug: one key must identify one logical operation. The stored
 * result is never returned for a different payload.
 */
public final class IdempotencyMismatchException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient IdempotencyKey key;

    /**
     * Creates the exception.
     *
     * @param key the key that was reused
     */
    public IdempotencyMismatchException(IdempotencyKey key) {
        super("Idempotency key '" + key.value() + "' was already used with a different payload");
        this.key = key;
    }

    /**
     * Returns the key that was reused.
     *
     * @return the key
     */
    public IdempotencyKey key() {
        return key;
    }
}
