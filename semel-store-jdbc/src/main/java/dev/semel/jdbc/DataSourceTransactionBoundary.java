package dev.semel.jdbc;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.TransactionalIdempotencyStore.TransactionalWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The plain-JDBC {@link TransactionBoundary}: borrows a connection from a {@link DataSource},
 * turns autocommit off, binds it to the current thread for the work, then commits or rolls back
 * and returns it to the pool. A nested call on the same thread joins the outer transaction.
 */
public final class DataSourceTransactionBoundary implements TransactionBoundary {
    private final DataSource dataSource;
    private final ThreadLocal<Connection> current = new ThreadLocal<>();

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
        Connection c;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(false);
        } catch (SQLException e) {
            throw new IdempotencyStoreException("Could not begin a transaction: " + e.getMessage(), e);
        }
        current.set(c);
        boolean done = false;
        try {
            T result = work.run();
            try {
                c.commit();
            } catch (SQLException e) {
                throw new IdempotencyStoreException("Could not commit the transaction: " + e.getMessage(), e);
            }
            done = true;
            return result;
        } finally {
            current.remove();
            if (!done) {
                rollbackQuietly(c);
            }
            closeQuietly(c);
        }
    }

    @Override
    public Connection currentConnection() {
        Connection c = current.get();
        if (c == null) {
            throw new IllegalStateException("No transaction of this boundary runs on thread "
                    + Thread.currentThread().getName());
        }
        return c;
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
