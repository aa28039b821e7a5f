package dev.semel.spi;

import java.util.Optional;

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
     * Looks for the request's record before any transaction begins, with a plain read that
     * takes no lock: if it is {@code COMPLETED} and unexpired (by the store's clock), the engine
     * answers from it at once (a replay, or a mismatch for another fingerprint) and begins no
     * transaction; otherwise (absent, in progress, expired) the engine begins the transaction
     * and claims inside it as usual.
     *
     * <p>Sound because a completed record does not change until it expires or is deleted: what
     * the read returns is what a claim would have found at that moment. A store that cannot read
     * cheaply outside its transactions keeps the default, which reads nothing.
     *
     * <p>The engine calls it only while {@link #findsCompleted()} says the store reads.
     *
     * @param request the claim the engine would make (its times on the caller's clock)
     * @return the completed, unexpired record, or empty to claim in a transaction
     */
    default Optional<IdempotencyRecord> findCompleted(ClaimRequest request) {
        return Optional.empty();
    }

    /**
     * Whether {@link #findCompleted} reads the store, so that the engine asks it before each
     * transaction (and times the read as a claim); {@code false} by default, when it reads nothing.
     *
     * @return {@code true} if completed records are looked for before the transaction
     */
    default boolean findsCompleted() {
        return false;
    }

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
