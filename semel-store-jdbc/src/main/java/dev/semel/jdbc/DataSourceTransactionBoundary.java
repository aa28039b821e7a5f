package dev.semel.jdbc;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.TransactionalIdempotencyStore.TransactionalWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The plain-JDBC {@link TransactionBoundary}: binds a transaction to the current thread for the
 * work, borrows a connection from a {@link DataSource} when the work first asks for it, turns
 * autocommit off, then commits or rolls back and returns it to the pool. A nested call on the
 * same thread joins the outer transaction.
 */
public final class DataSourceTransactionBoundary implements TransactionBoundary {
    private final DataSource dataSource;
    private final ThreadLocal<Transaction> current = new ThreadLocal<>();

    /**
     * Creates a boundary over a data source.
     *
     * @param dataSource where connections come from; the store must use the same one
     */
    public DataSourceTransactionBoundary(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
        if (current.get() != null) {
            return work.run();
        }
        Transaction tx = new Transaction();
        current.set(tx);
        boolean done = false;
        try {
            T result = work.run();
            if (tx.connection != null) {
                try {
                    tx.connection.commit();
                } catch (SQLException e) {
                    throw new IdempotencyStoreException("Could not commit the transaction: " + e.getMessage(), e);
                }
            }
            done = true;
            return result;
        } finally {
            current.remove();
            if (tx.connection != null) {
                if (!done) {
                    rollbackQuietly(tx.connection);
                }
                closeQuietly(tx.connection);
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The connection is borrowed on the first call, so a transaction that never touches the
     * database (a replay) holds no connection, and a claim committed on its own connection
     * ({@link ClaimMode#SEPARATE_TRANSACTION}) returns that one before this one is borrowed.
     */
    @Override
    public Connection currentConnection() {
        Transaction tx = current.get();
        if (tx == null) {
            throw new IllegalStateException("No transaction of this boundary runs on thread "
                    + Thread.currentThread().getName());
        }
        if (tx.connection == null) {
            try {
                Connection c = dataSource.getConnection();
                try {
                    c.setAutoCommit(false);
                } catch (SQLException e) {
                    closeQuietly(c);
                    throw e;
                }
                tx.connection = c;
            } catch (SQLException e) {
                throw new IdempotencyStoreException("Could not begin a transaction: " + e.getMessage(), e);
            }
        }
        return tx.connection;
    }

    @Override
    public boolean isTransactionActive() {
        return current.get() != null;
    }

    /** The connection of one transaction, borrowed on first use. */
    private static final class Transaction {
        Connection connection;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            JdbcIdempotencyStore.LOG.log(System.Logger.Level.WARNING, "Rollback failed", e);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            // the pool resets or evicts the connection
        }
        try {
            c.close();
        } catch (SQLException e) {
            JdbcIdempotencyStore.LOG.log(System.Logger.Level.WARNING, "Could not return a connection", e);
        }
    }
}
