package dev.semel.spring.jdbc;

import dev.semel.IdempotencyStoreException;
import dev.semel.jdbc.TransactionBoundary;
import dev.semel.spi.TransactionalIdempotencyStore.TransactionalWork;
import java.sql.Connection;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs the transactional JDBC store's transactions through Spring's transaction manager, so
 * that the idempotency record and everything the request writes through Spring
 * ({@code @Transactional} services, {@code JdbcTemplate}, JPA with a JDBC-exposing dialect)
 * commit together or roll back together.
 *
 * <p>The boundary begins a {@code PROPAGATION_REQUIRED} transaction; a {@code @Transactional}
 * method the request calls joins it, and the store writes the record on the connection Spring
 * bound to that transaction ({@link DataSourceUtils#getConnection}). The auto-configuration
 * uses it when {@code semel.store.jdbc.transactional=true} (the default) and the application
 * has one transaction manager; build it yourself for a hand-made store:
 *
 * <pre>{@code
 * TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *         .transactionBoundary(new SpringTransactionBoundary(transactionManager, dataSource))
 *         .buildTransactional();
 * }</pre>
 *
 * <p>The data source must be the one the transaction manager manages.
 */
public final class SpringTransactionBoundary implements TransactionBoundary {
    private final TransactionTemplate template;
    private final DataSource dataSource;

    /**
     * A boundary over a transaction manager.
     *
     * @param transactionManager the application's transaction manager
     * @param dataSource the data source it manages, where the records live
     */
    public SpringTransactionBoundary(PlatformTransactionManager transactionManager, DataSource dataSource) {
        this.template = new TransactionTemplate(Objects.requireNonNull(transactionManager, "transactionManager"));
        this.template.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRED);
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
        boolean[] workReturned = new boolean[1];
        Throwable[] workFailure = new Throwable[1];
        try {
            return template.execute(status -> {
                try {
                    T result = work.run();
                    workReturned[0] = true;
                    return result;
                } catch (RuntimeException | Error e) {
                    workFailure[0] = e;
                    throw e;
                } catch (Exception e) {
                    workFailure[0] = e;
                    throw new CheckedFailure(e);
                }
            });
        } catch (CheckedFailure failure) {
            @SuppressWarnings("unchecked")
            E cause = (E) failure.getCause();
            throw cause;
        } catch (TransactionException e) {
            // could not begin or commit (rolled back instead): nothing of the attempt remains
            throw new IdempotencyStoreException("The Spring-managed transaction failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (!workReturned[0] && e == workFailure[0]) {
                throw e; // the work's own failure, after rollback
            }
            if (!workReturned[0]) {
                // the rollback failed (the database went away, as H2 does at JVM exit) and Spring
                // threw its failure instead of the work's: nothing was committed, and the store is
                // what failed, so the caller answers 503 rather than an unknown error
                IdempotencyStoreException failed = new IdempotencyStoreException(
                        "The Spring-managed transaction could not roll back: " + e.getMessage(), e);
                if (workFailure[0] != null) {
                    failed.addSuppressed(workFailure[0]);
                }
                throw failed;
            }
            // the commit failed with a translated exception (JdbcTransactionManager turns a deferred
            // constraint into a DataIntegrityViolationException): rolled back, nothing of the attempt remains
            throw new IdempotencyStoreException("The Spring-managed transaction did not commit: " + e.getMessage(), e);
        }
    }

    @Override
    public Connection currentConnection() {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("No Spring-managed transaction runs on thread "
                    + Thread.currentThread().getName());
        }
        return DataSourceUtils.getConnection(dataSource);
    }

    /** {@inheritDoc} Any Spring-managed transaction on this thread counts: the boundary's {@code REQUIRED} joins it. */
    @Override
    public boolean isTransactionActive() {
        return TransactionSynchronizationManager.isActualTransactionActive();
    }

    @Override
    public String toString() {
        return "SpringTransactionBoundary[" + template.getTransactionManager() + "]";
    }

    /** Carries a checked exception of the work through TransactionTemplate's callback. */
    private static final class CheckedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CheckedFailure(Exception cause) {
            super(cause);
        }
    }
}
