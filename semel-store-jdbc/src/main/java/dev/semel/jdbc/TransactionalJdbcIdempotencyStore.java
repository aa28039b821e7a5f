package dev.semel.jdbc;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A JDBC store whose records commit in the same transaction as the operation's own writes:
 * the completed record and the business rows are committed together or not at all.
 *
 * <p>The engine ({@link dev.semel.Idempotency#execute}) calls {@link #inTransaction} once per
 * attempt. Inside, the operation reaches the transaction's connection through
 * {@link #currentConnection()} (or through its framework, when a {@link TransactionBoundary}
 * of that framework is configured), and the store completes the record on the same connection,
 * guarded by the fencing token, just before commit:
 * <ul>
 *   <li>the operation throws, or its outcome is not stored: everything rolls back and the key
 *       can run again;
 *   <li>the process dies before commit: the database aborts the transaction, nothing of the
 *       attempt remains;
 *   <li>({@link ClaimMode#SEPARATE_TRANSACTION}) the lease ended and another caller took the key
 *       over: the completion matches no row, the transaction rolls back, the caller is told
 *       "in progress".
 * </ul>
 *
 * <pre>{@code
 * TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *         .createTableIfMissing(true)
 *         .buildTransactional();
 * Idempotency idempotency = Idempotency.create(store);
 * String receipt = idempotency.once(scope, IdempotencyKey.of(requestId), payload, ResultCodec.utf8(), () -> {
 *     try (PreparedStatement ps = store.currentConnection()
 *             .prepareStatement("INSERT INTO payments (id, amount) VALUES (?, ?)")) {
 *         ps.setString(1, paymentId);
 *         ps.setLong(2, amount);
 *         ps.executeUpdate();
 *     }
 *     return paymentId;
 * });
 * }</pre>
 *
 * <p>A replay begins no transaction: with {@link Builder#readFirst(boolean) readFirst} (the
 * default) the engine first asks {@link #findCompleted}, one plain {@code SELECT} on a
 * connection of its own, and answers a completed record from it; only a key that is new, in
 * progress or expired gets a transaction and the claim inside it.
 *
 * <p>Outside {@link #inTransaction} every call commits on its own, like {@link JdbcIdempotencyStore}.
 * Guarantees hold for writes made through the transaction's connection only; calls to other
 * systems (HTTP, brokers) are not rolled back.
 */
public final class TransactionalJdbcIdempotencyStore extends JdbcIdempotencyStore
        implements TransactionalIdempotencyStore {
    /** The default bound on a duplicate's wait for the transaction holding its key: 2 s. */
    public static final Duration DEFAULT_LOCK_WAIT_TIMEOUT = Duration.ofSeconds(2);

    private final TransactionBoundary boundary;
    private final ClaimMode claimMode;
    private final int lockWaitSeconds;
    private final ThreadLocal<Attempt> attempt = new ThreadLocal<>();

    TransactionalJdbcIdempotencyStore(Builder b) {
        super(b);
        this.boundary = b.transactionBoundary != null ? b.transactionBoundary
                : new DataSourceTransactionBoundary(b.dataSource);
        this.claimMode = b.claimMode;
        long seconds = (b.lockWaitTimeout.toMillis() + 999) / 1000;
        this.lockWaitSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
    }

    /** @return where claims commit */
    public ClaimMode claimMode() {
        return claimMode;
    }

    /** @return the boundary that runs the business transactions */
    public TransactionBoundary transactionBoundary() {
        return boundary;
    }

    /**
     * The connection of the business transaction running on this thread: run the operation's
     * writes on it so that they commit with the record. Do not close or commit it.
     *
     * @return the connection
     * @throws IllegalStateException if called outside {@link #inTransaction} on this thread
     */
    public Connection currentConnection() {
        if (attempt.get() == null) {
            throw new IllegalStateException("No idempotent transaction runs on this thread: call currentConnection()"
                    + " from inside the operation run by Idempotency.execute/once");
        }
        return boundary.currentConnection();
    }

    @Override
    public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
        Objects.requireNonNull(work, "work");
        if (attempt.get() != null) {
            return work.run();
        }
        Attempt current = new Attempt();
        attempt.set(current);
        boolean committed = false;
        try {
            T result = boundary.inTransaction(() -> {
                T r = work.run();
                if (current.rollbackOnly) {
                    throw new RollbackOnly(r);
                }
                return r;
            });
            committed = true;
            return result;
        } catch (RollbackOnly signal) {
            @SuppressWarnings("unchecked")
            T r = (T) signal.result;
            return r;
        } finally {
            attempt.remove();
            if (!committed && current.claimedRecordId != null) {
                releaseSeparateClaim(current);
            }
        }
    }

    private void releaseSeparateClaim(Attempt a) {
        try {
            super.withConnection("release", c -> table.release(c, a.claimedRecordId, a.claimedToken));
        } catch (RuntimeException e) {
            // the lease ends on its own; a retry after it takes the key over
            LOG.log(System.Logger.Level.WARNING, "Could not release the claim of a rolled-back transaction", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@link Builder#readFirst(boolean) readFirst} (the default): one plain
     * {@code SELECT} by primary key on a connection of its own, in autocommit, before the engine
     * begins the business transaction, so a replay never begins one, takes no row lock and
     * does not wait for a transaction holding the row. Expiry is judged by the database's clock
     * in that statement. Why this cannot run an operation twice: see
     * {@link JdbcIdempotencyStore#readCompleted}. Without read-first, or when a transaction
     * already runs on this thread (the engine's work would join it), it reads nothing.
     */
    @Override
    public Optional<IdempotencyRecord> findCompleted(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        if (!findsCompleted()) {
            return Optional.empty();
        }
        return Optional.ofNullable(super.withConnection("claim", c -> readCompleted(c, request)));
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code true} unless built with {@link Builder#readFirst(boolean) readFirst(false)}, or a
     * transaction already runs on this thread (this store's, or one of the boundary's that the
     * engine's transaction would join: there the read would take a second pooled connection while
     * the thread holds one, and save no transaction).
     */
    @Override
    public boolean findsCompleted() {
        return readsFirst() && attempt.get() == null && !boundary.isTransactionActive();
    }

    @Override
    boolean mayReadClock() {
        // inside a business transaction the pool may have no second connection to spare
        return attempt.get() == null;
    }

    @Override
    ClaimResult claimOnStoreClock(ClaimRequest request) {
        Attempt a = attempt.get();
        if (a == null) {
            return super.claimOnStoreClock(request);
        }
        if (claimMode == ClaimMode.SEPARATE_TRANSACTION) {
            // read first even where the dialect claims in one statement: that statement's insert
            // waits for an uncommitted UPDATE of the row (PostgreSQL's unique check), and here the
            // completing UPDATE stays uncommitted until the business commit; a duplicate must see
            // IN_PROGRESS at once instead
            ClaimResult result = super.withConnection("claim", c -> claimWithRetry(c, request, false, 0));
            if (result instanceof ClaimResult.Claimed claimed) {
                a.claimedRecordId = request.recordId();
                a.claimedToken = claimed.fencingToken();
            }
            return result;
        }
        try {
            return table.claim(boundary.currentConnection(), request, true, lockWaitSeconds);
        } catch (RecordTable.LockWaitTimeout e) {
            a.rollbackOnly = true; // PostgreSQL aborted the transaction; commit nothing either way
            return new ClaimResult.Locked();
        } catch (SQLException e) {
            a.rollbackOnly = true;
            if (JdbcDialect.isTransient(e)) {
                return new ClaimResult.Locked(); // deadlock victim: the duplicate's holder goes on
            }
            throw failure("claim", e);
        }
    }

    @Override
    <T> T withConnection(String operation, SqlWork<T> work) {
        Attempt a = attempt.get();
        if (a == null) {
            return super.withConnection(operation, work);
        }
        try {
            return work.run(boundary.currentConnection());
        } catch (SQLException e) {
            a.rollbackOnly = true;
            throw failure(operation, e);
        }
    }

    /** What one transaction attempt on this thread has done so far. */
    private static final class Attempt {
        boolean rollbackOnly;
        String claimedRecordId;
        long claimedToken;
    }

    /** Rolls the boundary's transaction back while handing the work's result through. */
    private static final class RollbackOnly extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Object result;

        RollbackOnly(Object result) {
            super("rollback-only", null, false, false);
            this.result = result;
        }
    }
}
