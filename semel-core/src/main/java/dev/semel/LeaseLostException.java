package dev.semel;

/**
 * Thrown when a lease holder tries to complete, release or renew a record it no longer
 * owns: its lease expired and another caller took the record over (a higher fencing
 * token), or the record was deleted.
 *
 * <p>Its result is not stored; the current owner's is. Seeing this exception means the
 * operation may have run twice, which is why leases are renewed in the background and
 * why transactional stores exist.
 */
public final class LeaseLostException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which record and token were stale
     */
    public LeaseLostException(String message) {
        super(message);
    }
}
