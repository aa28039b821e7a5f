package dev.semel.jdbc;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoreClock;
import dev.semel.spi.StoredResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Idempotency records in a relational database, over a plain {@link DataSource}
 * (PostgreSQL, MySQL/MariaDB, H2, SQLite).
 *
 * <p>Every operation borrows a connection in autocommit mode and runs one atomic statement
 * for each transition: the insert of a new claim adds nothing when the record exists
 * ({@code ON CONFLICT DO NOTHING}, {@code INSERT IGNORE}), and completion, release, renewal
 * and lease takeover are {@code UPDATE}/{@code DELETE} statements guarded by the fencing
 * token in their {@code WHERE} clause.
 *
 * <p>By default ({@link Builder#readFirst(boolean) readFirst}) a claim starts with one plain
 * {@code SELECT} by primary key that answers a completed, unexpired record (expiry judged by the
 * database's clock in that statement): a replay costs that one lock-free statement on every
 * database. A first request then costs the {@code SELECT}, the insert (on PostgreSQL the
 * one-statement claim below) and the completing {@code UPDATE}. Without read-first, round trips
 * depend on the dialect:
 * <ul>
 *   <li>PostgreSQL: the claim is one statement that inserts the record or, when it exists,
 *       returns it ({@code WITH … INSERT … ON CONFLICT DO NOTHING} and a {@code SELECT}),
 *       taking no row lock and raising no error. A first request costs that statement and the
 *       completing {@code UPDATE}; a replay that one statement.
 *   <li>MySQL/MariaDB, H2, SQLite: no statement returns the row an ignored insert met, so a
 *       claim reads first. A replay costs one lock-free {@code SELECT}; a first request the
 *       {@code SELECT}, the insert and the completing {@code UPDATE}.
 * </ul>
 *
 * <p>Create the table with the script of your dialect ({@link JdbcDialect#schemaResource()},
 * e.g. from Flyway), or let the store do it on start with
 * {@link Builder#createTableIfMissing(boolean)}. Expired rows are invisible at once and
 * deleted in bounded batches by {@link #purgeExpired} or on a schedule
 * ({@link Builder#purgeEvery(Duration)}).
 *
 * <pre>{@code
 * JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *         .tableName("idempotency_records")
 *         .createTableIfMissing(true)
 *         .purgeEvery(Duration.ofMinutes(5))
 *         .build();
 * Idempotency idempotency = Idempotency.create(store);
 * }</pre>
 *
 * <p>For records that commit with the operation's own writes, build a
 * {@link TransactionalJdbcIdempotencyStore} with {@link Builder#buildTransactional()}.
 * Close the store to stop its scheduled purge; the data source stays open.
 */
public class JdbcIdempotencyStore implements IdempotencyStore, AutoCloseable {
    /** The default table name: {@value}. */
    public static final String DEFAULT_TABLE_NAME = "semel_idempotency";
    /** The default largest body kept: 16 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
    /** The default number of rows one purge statement deletes: {@value}. */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1_000;
    /**
     * Whether a claim first looks for a completed record with one plain {@code SELECT}, by default:
     * {@value}. See {@link Builder#readFirst(boolean)}.
     */
    public static final boolean DEFAULT_READ_FIRST = true;

    static final System.Logger LOG = System.getLogger(JdbcIdempotencyStore.class.getName());

    final DataSource dataSource;
    final RecordTable table;
    private final Clock clock;
    /** The database's clock, or {@code null} when the store judges time by the caller's {@code now}. */
    private final StoreClock databaseClock;
    private final int purgeBatchSize;
    private final ScheduledExecutorService purgeScheduler;
    /** Whether a claim starts with the lock-free read of a completed record ({@link Builder#readFirst}). */
    private final boolean readFirst;

    JdbcIdempotencyStore(Builder b) {
        this.dataSource = b.dataSource;
        this.clock = b.clock;
        this.purgeBatchSize = b.purgeBatchSize;
        this.readFirst = b.readFirst;
        JdbcDialect dialect = b.dialect;
        try (Connection c = dataSource.getConnection()) {
            if (dialect == null) {
                dialect = JdbcDialect.detect(c);
            }
            this.table = new RecordTable(dialect, b.schemaName, b.tableName, b.maxBodyBytes);
            if (b.createTableIfMissing) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(true);
                try {
                    table.runScriptRetryingRaces(c, table.schemaScript(schemaScript(dialect), b.schemaName, b.tableName));
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
        } catch (SQLException e) {
            throw new IdempotencyStoreException("Could not prepare the JDBC idempotency store: " + e.getMessage(), e);
        }
        if (b.useDatabaseClock) {
            String sql = table.dialect().currentTimeMicros();
            this.databaseClock = new StoreClock(() -> {
                try (Connection c = dataSource.getConnection();
                        java.sql.Statement st = c.createStatement();
                        java.sql.ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    return Instant.EPOCH.plus(rs.getLong(1), java.time.temporal.ChronoUnit.MICROS);
                }
            }, StoreClock.DEFAULT_REFRESH);
            try {
                databaseClock.now(true);
            } catch (IllegalStateException e) {
                throw new IdempotencyStoreException("Could not read the database's clock: " + e.getMessage(), e);
            }
        } else {
            this.databaseClock = null;
        }
        if (b.purgeInterval != null) {
            purgeScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "semel-jdbc-purge");
                t.setDaemon(true);
                return t;
            });
            long millis = b.purgeInterval.toMillis();
            purgeScheduler.scheduleWithFixedDelay(this::scheduledPurge, millis, millis, TimeUnit.MILLISECONDS);
        } else {
            purgeScheduler = null;
        }
    }

    /**
     * Starts configuring a store.
     *
     * @param dataSource where connections come from (a pool)
     * @return a builder
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * Reads the schema script shipped for a dialect.
     *
     * @param dialect the dialect
     * @return the script, with the default table name {@value #DEFAULT_TABLE_NAME}
     */
    public static String schemaScript(JdbcDialect dialect) {
        try (InputStream in = JdbcIdempotencyStore.class.getClassLoader()
                .getResourceAsStream(dialect.schemaResource())) {
            if (in == null) {
                throw new IllegalStateException("Missing " + dialect.schemaResource() + " on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Could not read " + dialect.schemaResource(), e);
        }
    }

    /** @return the dialect in use (detected or configured) */
    public JdbcDialect dialect() {
        return table.dialect();
    }

    /** @return whether a claim starts with a lock-free read of a completed record ({@link Builder#readFirst}) */
    public boolean readsFirst() {
        return readFirst;
    }

    /** @return the table the records live in, schema-qualified if a schema was configured */
    public String tableName() {
        return table.table();
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs work on an autocommit connection of its own (the transactional store overrides this). */
    <T> T withConnection(String operation, SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failure(operation, e);
        }
    }

    static IdempotencyStoreException failure(String operation, SQLException e) {
        return new IdempotencyStoreException("JDBC idempotency store failed to " + operation + ": " + e.getMessage(),
                e);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code true} unless built with {@link Builder#useDatabaseClock(boolean) useDatabaseClock(false)}.
     */
    @Override
    public boolean usesOwnClock() {
        return databaseClock != null;
    }

    /** The database's now (or the caller's, without a database clock). */
    Instant storeNow(Instant callerNow) {
        Objects.requireNonNull(callerNow, "now");
        return databaseClock == null ? callerNow : databaseClock.now(mayReadClock());
    }

    /** Whether reading the database's clock may take a connection of its own now. */
    boolean mayReadClock() {
        return true;
    }

    @Override
    public final ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        return claimOnStoreClock(databaseClock == null ? request
                : StoreClock.onStoreClock(request, storeNow(request.now())));
    }

    /** Claims with a request whose times are already on the store's clock, on a connection of its own. */
    ClaimResult claimOnStoreClock(ClaimRequest request) {
        // after a read-first miss the claim starts with its insert on every dialect: the read is
        // spent, and an in-progress or expired row makes the insert read it and go on as ever
        return withConnection("claim", c -> claimWithRetry(c, request, readFirst || table.claimsInOneStatement(),
                0, readFirst));
    }

    /**
     * The read-first claim's statement: the request's record if it is {@code COMPLETED} and
     * unexpired, judged by the database's clock inside the statement (by the request's
     * {@code now} when the store judges time by its callers' clocks), else {@code null}.
     *
     * <p>Answering a claim from this read is as good as answering it from the claim's own
     * statement, and cannot let an operation run twice: a completed record is never changed
     * again, only removed (expiry, purge, admin delete) or replaced after its expiry. So a
     * completed record the read returns was the record's final state at the moment of the read,
     * which is exactly what a claim at that moment would have found and replayed. If it expires
     * or is deleted right after the read, this caller still replays a response that was valid
     * when it asked (as a claim an instant earlier would have), and the next caller finds no
     * record and runs the operation once, under the usual atomic claim. Anything but a completed
     * record (absent, in progress, expired) is left to the claim, whose statements decide it
     * atomically as before; the read never writes, never locks and never claims.
     */
    IdempotencyRecord readCompleted(Connection c, ClaimRequest request) throws SQLException {
        return table.readCompleted(c, request.recordId(), databaseClock == null ? request.now() : null);
    }

    ClaimResult claimWithRetry(Connection c, ClaimRequest request, boolean insertFirst, int lockTimeoutSeconds)
            throws SQLException {
        return claimWithRetry(c, request, insertFirst, lockTimeoutSeconds, false);
    }

    /** @param readFirst start each attempt with {@link #readCompleted}, answering a completed record from it */
    private ClaimResult claimWithRetry(Connection c, ClaimRequest request, boolean insertFirst,
            int lockTimeoutSeconds, boolean readFirst) throws SQLException {
        for (int attempt = 1;; attempt++) {
            try {
                if (readFirst) {
                    IdempotencyRecord completed = readCompleted(c, request);
                    if (completed != null) {
                        return ClaimResult.found(completed);
                    }
                }
                return table.claim(c, request, insertFirst, lockTimeoutSeconds);
            } catch (SQLException e) {
                // autocommit only: a deadlock victim's statement changed nothing, so run it again
                if (!c.getAutoCommit() || attempt >= 5 || !JdbcDialect.isTransient(e)) {
                    throw e;
                }
            }
        }
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        Objects.requireNonNull(response, "response");
        Instant storeNow = storeNow(now);
        Instant expires = StoreClock.onStoreClock(expiresAt, now, storeNow);
        return withConnection("complete", c -> table.complete(c, recordId, fencingToken, response, expires, storeNow));
    }

    @Override
    public boolean release(String recordId, long fencingToken) {
        return withConnection("release", c -> table.release(c, recordId, fencingToken));
    }

    @Override
    public boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now) {
        Instant storeNow = storeNow(now);
        Instant deadline = StoreClock.onStoreClock(leaseDeadline, now, storeNow);
        // each renewal has its own deadline: a third of the lease it extends, at least a second
        int timeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                Duration.between(storeNow, deadline).toSeconds() / 3));
        return withConnection("renew", c -> table.renew(c, recordId, fencingToken, deadline, storeNow,
                timeoutSeconds));
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        Instant storeNow = storeNow(now);
        return withConnection("find", c -> table.find(c, recordId, storeNow));
    }

    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        Objects.requireNonNull(query, "query");
        Instant storeNow = storeNow(now);
        RecordQuery onStoreClock = StoreClock.onStoreClock(query, now, storeNow);
        return withConnection("query", c -> table.query(c, onStoreClock, storeNow));
    }

    @Override
    public boolean delete(String recordId) {
        return withConnection("delete", c -> table.delete(c, recordId));
    }

    /**
     * Deletes at most {@code limit} expired or abandoned rows in one short statement (on
     * PostgreSQL rows locked by others are skipped, so a purge never waits for a claim).
     */
    @Override
    public int purgeExpired(Instant now, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        Instant storeNow = storeNow(now);
        return withConnection("purge", c -> table.purge(c, storeNow, limit));
    }

    /**
     * Deletes every expired or abandoned row, batch after batch of the configured size, each
     * batch its own short statement.
     *
     * @param now the current time
     * @return how many rows were deleted
     */
    public long purgeAllExpired(Instant now) {
        long total = 0;
        int batch;
        do {
            batch = purgeExpired(now, purgeBatchSize);
            total += batch;
        } while (batch >= purgeBatchSize);
        return total;
    }

    private void scheduledPurge() {
        try {
            long n = purgeAllExpired(clock.instant());
            if (n > 0) {
                LOG.log(System.Logger.Level.DEBUG, "Purged {0} expired idempotency records from {1}", n,
                        table.table());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Scheduled purge of " + table.table() + " failed", e);
        }
    }

    /** Stops the scheduled purge, if any. */
    @Override
    public void close() {
        if (purgeScheduler != null) {
            purgeScheduler.shutdownNow();
        }
    }

    /** Configures a {@link JdbcIdempotencyStore} or a {@link TransactionalJdbcIdempotencyStore}. */
    public static final class Builder {
        final DataSource dataSource;
        JdbcDialect dialect;
        String schemaName;
        String tableName = DEFAULT_TABLE_NAME;
        boolean createTableIfMissing;
        int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
        Duration purgeInterval;
        Clock clock = Clock.systemUTC();
        boolean useDatabaseClock = true;
        ClaimMode claimMode = ClaimMode.IN_BUSINESS_TRANSACTION;
        TransactionBoundary transactionBoundary;
        Duration lockWaitTimeout = TransactionalJdbcIdempotencyStore.DEFAULT_LOCK_WAIT_TIMEOUT;
        boolean readFirst = DEFAULT_READ_FIRST;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * Sets the dialect instead of detecting it from the connection's metadata.
         *
         * @param dialect the dialect
         * @return this builder
         */
        public Builder dialect(JdbcDialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * Sets the schema (or MySQL database) holding the table. Default: the connection's.
         *
         * @param schemaName a plain identifier
         * @return this builder
         */
        public Builder schemaName(String schemaName) {
            this.schemaName = RecordTable.checkName("schemaName", schemaName);
            return this;
        }

        /**
         * Sets the table name. Default {@value #DEFAULT_TABLE_NAME}.
         *
         * @param tableName a plain identifier
         * @return this builder
         */
        public Builder tableName(String tableName) {
            this.tableName = RecordTable.checkName("tableName", tableName);
            return this;
        }

        /**
         * Whether to create the table and its indexes on start when missing. Default
         * {@code false}: production schemas belong to a migration tool.
         *
         * @param create whether to create them
         * @return this builder
         */
        public Builder createTableIfMissing(boolean create) {
            this.createTableIfMissing = create;
            return this;
        }

        /**
         * Sets the largest response body kept; a larger one fails completion with
         * {@link dev.semel.StoreCapacityExceededException}. Default 16 MiB. The database's own
         * limit (e.g. MySQL's {@code max_allowed_packet}) must allow it too.
         *
         * @param maxBodyBytes a positive size
         * @return this builder
         */
        public Builder maxBodyBytes(int maxBodyBytes) {
            if (maxBodyBytes < 0) {
                throw new IllegalArgumentException("maxBodyBytes must not be negative, was " + maxBodyBytes);
            }
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /**
         * Sets how many rows one purge statement deletes. Default {@value #DEFAULT_PURGE_BATCH_SIZE}.
         *
         * @param batchSize a positive count
         * @return this builder
         */
        public Builder purgeBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("purgeBatchSize must be positive, was " + batchSize);
            }
            this.purgeBatchSize = batchSize;
            return this;
        }

        /**
         * Purges expired rows on a daemon thread at this interval, in batches. Default: never.
         *
         * @param interval a positive interval
         * @return this builder
         */
        public Builder purgeEvery(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("purge interval must be positive, was " + interval);
            }
            this.purgeInterval = interval;
            return this;
        }

        /**
         * Sets the clock that times the scheduled purge (with the database's clock, the purge still
         * judges expiry by the database's). Default: the system clock in UTC.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Sets whether leases and expiry are judged by the database's clock ({@code CURRENT_TIMESTAMP},
         * the default) or by the {@code now} each caller passes. With the database's clock, a node
         * whose own clock is ahead can neither take over a live lease nor purge a live record:
         * {@code leaseDeadline - now} and {@code expiresAt - now} become durations on the
         * database's clock, and the records' times are the database's. Turn it off only for tests
         * that move time with an engine {@code Clock}, or when one process uses the table.
         *
         * @param use {@code true} (default) to judge time by the database's clock
         * @return this builder
         */
        public Builder useDatabaseClock(boolean use) {
            this.useDatabaseClock = use;
            return this;
        }

        /**
         * Sets whether a claim starts with one plain {@code SELECT} of the record by primary key,
         * in autocommit, that answers a completed, unexpired record at once (expiry judged by the
         * database's clock in the same statement). Default {@value #DEFAULT_READ_FIRST}.
         *
         * <p>A replay then costs that one lock-free statement on every database: it never waits
         * for a row lock, writes nothing, and in the transactional store begins no transaction at
         * all (the engine asks {@link TransactionalJdbcIdempotencyStore#findCompleted} before it
         * begins one), so it borrows one connection once. Anything else (a new key, a key in
         * progress, an expired record) goes on to the usual claim, unchanged, after the read, so
         * a new key pays that one extra {@code SELECT} (in the transactional store also a short
         * connection borrow before the transaction's). In the plain store on MySQL/MariaDB, H2
         * and SQLite it costs nothing: there the claim read first anyway, and after this read it
         * starts with its insert.
         *
         * @param readFirst {@code true} (default) to answer completed records from a plain read
         * @return this builder
         */
        public Builder readFirst(boolean readFirst) {
            this.readFirst = readFirst;
            return this;
        }

        /**
         * Transactional store only: where the claim commits. Default
         * {@link ClaimMode#IN_BUSINESS_TRANSACTION} (one commit per first request).
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder claimMode(ClaimMode mode) {
            this.claimMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Transactional store only: who begins, commits and rolls back the business transaction
         * and hands out its connection. Default: a {@link DataSourceTransactionBoundary} over
         * this builder's data source.
         *
         * @param boundary the boundary (e.g. one backed by Spring's transaction manager)
         * @return this builder
         */
        public Builder transactionBoundary(TransactionBoundary boundary) {
            this.transactionBoundary = Objects.requireNonNull(boundary, "boundary");
            return this;
        }

        /**
         * Transactional store only: how long a duplicate's claim waits for the transaction
         * holding the same key before answering "in progress". Rounded up to whole seconds
         * (JDBC query timeouts are in seconds). Default 2 s.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder lockWaitTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("lockWaitTimeout must be positive, was " + timeout);
            }
            this.lockWaitTimeout = timeout;
            return this;
        }

        /**
         * Builds a store whose every call commits on its own.
         *
         * @return the store
         * @throws IdempotencyStoreException if the database cannot be reached or the table created
         */
        public JdbcIdempotencyStore build() {
            return new JdbcIdempotencyStore(this);
        }

        /**
         * Builds a store that commits the record in the operation's transaction.
         *
         * @return the store
         * @throws IdempotencyStoreException if the database cannot be reached or the table created
         */
        public TransactionalJdbcIdempotencyStore buildTransactional() {
            return new TransactionalJdbcIdempotencyStore(this);
        }
    }
}
