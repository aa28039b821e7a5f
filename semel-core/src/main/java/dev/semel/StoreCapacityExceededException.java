package dev.semel;

/**
 * Thrown by a bounded store that is full of live records and refuses a new claim.
 *
 * <p>A store never drops live records to make room: that would let a duplicate run.
 * Refusing is the honest answer; the engine treats it like any store failure.
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
