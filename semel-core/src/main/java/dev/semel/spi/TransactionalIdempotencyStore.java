package dev.semel.spi;

/**
 * A store that can commit an idempotency record in the same transaction as the
 * operation's own writes: exactly-once even when the process dies mid-operation.
 *
 * <p>When the engine runs an operation through
 * {@link dev.semel.Idempotency#execute dev.semel.Idempotency.execute}, it calls
 * {@link #inTransaction} once; every store call the engine makes from that thread
 * inside the work joins the transaction, and so do the operation's writes (for JDBC,
 * through the same connection). Because a crash rolls the claim back with everything
 * else, no lease renewal runs inside the transaction.
 */
public interface TransactionalIdempotencyStore extends IdempotencyStore {

    /**
     * Runs work in one transaction: commits when it returns, rolls back when it throws.
     *
     * @param work the work
     * @param <T> its result type
     * @param <E> the checked exception it may throw
     * @return the work's result, after commit
     * @throws E whatever the work threw, after rollback
     */
    <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E;

    /**
     * Work to run inside a store transaction.
     *
     * @param <T> result type
     * @param <E> checked exception type
     */
    @FunctionalInterface
    interface TransactionalWork<T, E extends Exception> {
        /**
         * Runs the work.
         *
         * @return its result
         * @throws E on failure, which rolls the transaction back
         */
        T run() throws E;
    }
}
