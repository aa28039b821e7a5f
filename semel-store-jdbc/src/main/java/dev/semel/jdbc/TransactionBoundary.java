package dev.semel.jdbc;

import dev.semel.spi.TransactionalIdempotencyStore.TransactionalWork;
import java.sql.Connection;

/**
 * Begins, commits and rolls back the business transaction the transactional store joins, and
 * hands out its connection: the seam where a transaction manager plugs in.
 *
 * <p>The default, {@link DataSourceTransactionBoundary}, binds a connection of a
 * {@link javax.sql.DataSource} to the current thread. A framework integration implements this
 * interface over its own transaction manager (for Spring: a {@code TransactionTemplate} for
 * {@link #inTransaction} and {@code DataSourceUtils.getConnection} for
 * {@link #currentConnection}), so that the operation's repositories and the idempotency record
 * share one transaction.
 *
 * <pre>{@code
 * TransactionBoundary boundary = new TransactionBoundary() {
 *     public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
 *         return myTxManager.required(work::run);      // commit on return, roll back on throw
 *     }
 *     public Connection currentConnection() {
 *         return myTxManager.connectionOfThisThread();  // same DataSource as the store's
 *     }
 * };
 * }</pre>
 */
public interface TransactionBoundary {

    /**
     * Runs work in a transaction on the current thread: commits when it returns normally,
     * rolls back when it throws (and rethrows what it threw). If a transaction is already
     * active on this thread the work may join it.
     *
     * @param work the work
     * @param <T> its result type
     * @param <E> the checked exception it may throw
     * @return the work's result, after commit
     * @throws E whatever the work threw, after rollback
     * @throws dev.semel.IdempotencyStoreException if the transaction cannot begin or commit
     */
    <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E;

    /**
     * The connection of the transaction running on this thread. The caller must not close
     * it, commit it or change its autocommit mode.
     *
     * @return the connection
     * @throws IllegalStateException if no transaction of this boundary runs on this thread
     */
    Connection currentConnection();

    /**
     * Whether a transaction of this boundary already runs on the current thread, so that the
     * next {@link #inTransaction} joins it. The store then reads nothing before the transaction
     * (its read-first claim would take a second pooled connection while this thread holds one,
     * and save no transaction). Default {@code false}: the store reads first whenever it may.
     *
     * @return {@code true} if a transaction runs on this thread
     */
    default boolean isTransactionActive() {
        return false;
    }
}
