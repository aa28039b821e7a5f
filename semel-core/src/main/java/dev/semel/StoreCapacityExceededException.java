package dev.semel;

/**
 * Thrown by a bounded store that cannot make room for a new claim.
 *
 * <p>A store never drops a record in progress to make room: that would let a duplicate run
 * while the first attempt still works. The in-memory store evicts completed records first
 * and throws this only when records in progress alone fill its bounds. Refusing is the
 * honest answer; the engine treats it like any store failure (a 503 over HTTP).
 */
public final class StoreCapacityExceededException extends IdempotencyStoreException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what limit was reached
     */
    public StoreCapacityExceededException(String message) {
        super(message, null);
    }
}
