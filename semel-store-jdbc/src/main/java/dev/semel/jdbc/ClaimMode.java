package dev.semel.jdbc;

/**
 * Where a {@link TransactionalJdbcIdempotencyStore} commits the claim of a new key.
 *
 * <p>Either way the completed record commits with the business writes, or neither does.
 */
public enum ClaimMode {
    /**
     * The claim is the business transaction's first statement: one commit per first request.
     * A concurrent duplicate waits on the database's unique-index lock until the first commits
     * (then replays) or rolls back (then runs), at most the lock wait timeout, after which it
     * answers "in progress". The trade-off: a waiting duplicate holds a pooled connection, and
     * other instances cannot see that the key is being worked on (admin queries do not show it).
     * A crash aborts the transaction, so no lease is needed.
     */
    IN_BUSINESS_TRANSACTION,

    /**
     * The claim commits in its own short transaction first, so every instance sees the key
     * {@code IN_PROGRESS} at once; the completion then commits with the business writes,
     * guarded by the fencing token. Two commits per first request. The lease is not renewed
     * while the transaction runs: if it ends and another caller takes the key over, this
     * transaction's commit is refused and its writes roll back. When the transaction rolls
     * back, the store releases the claim so the key can run again.
     */
    SEPARATE_TRANSACTION
}
