package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.Outcome;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Database round trips per request without the read-first claim ({@code readFirst(false)}; with
 * it, see {@link ReadFirstTests}), counted on the connections the store borrows: a first request
 * is the claim and the completion, a replay one query that takes no row lock.
 */
class RoundTripTests {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);
    private static final Fingerprint FINGERPRINT = Fingerprint.of(PAYLOAD);
    private static final StoredResponse CREATED = StoredResponse.of(201, List.of(), "paid".getBytes(
            StandardCharsets.UTF_8));

    abstract static class OnDatabase {
        CountingDataSource counting;
        String table;
        JdbcIdempotencyStore store;
        Idempotency engine;

        abstract DataSource dataSource();

        /** Statements of a first request through the plain store: claim (one or two) + completion. */
        abstract int firstRequestStatements();

        @BeforeEach
        void createStore() {
            counting = new CountingDataSource(dataSource());
            table = Tables.unique("semel_trips");
            store = JdbcIdempotencyStore.builder(counting.dataSource()).useDatabaseClock(false).tableName(table).createTableIfMissing(true)
                    .readFirst(false).build();
            engine = Idempotency.create(store);
            counting.takeStatements();
        }

        @AfterEach
        void dropTable() {
            engine.close();
            Tables.drop(dataSource(), table);
        }

        static IdempotencyKey newKey() {
            return IdempotencyKey.of("trip-" + UUID.randomUUID());
        }

        Outcome request(IdempotencyKey key) {
            return engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> CREATED);
        }

        @Test
        void firstRequestCostsTheClaimAndTheCompletion() {
            Outcome first = request(newKey());

            assertThat(first).isEqualTo(new Outcome.Executed(CREATED, true));
            assertThat(counting.takeStatements()).isEqualTo(firstRequestStatements());
        }

        @Test
        void replayOfACompletedKeyCostsOneQuery() {
            IdempotencyKey key = newKey();
            request(key);
            counting.takeStatements();

            Outcome replay = request(key);

            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(((Decision.Replay) replay).response().body()).isEqualTo(CREATED.body());
            assertThat(counting.takeStatements()).isEqualTo(1);
        }

        @Test
        @Timeout(120)
        void hotKeyReplayedByThirtyTwoClientsCostsOneQueryEach() throws Exception {
            IdempotencyKey key = newKey();
            request(key);
            counting.takeStatements();

            List<Outcome> replays = Races.together(32, i -> request(key));

            assertThat(replays).allSatisfy(r -> assertThat(r).isInstanceOf(Decision.Replay.class));
            assertThat(counting.takeStatements()).isEqualTo(32);
        }
    }

    /** Databases with {@code SELECT … FOR UPDATE}: a replay must not wait for a row lock. */
    abstract static class WithRowLocks extends OnDatabase {
        @Test
        @Timeout(60)
        void replayCompletesWhileAnotherTransactionHoldsTheRowLock() throws Exception {
            IdempotencyKey key = newKey();
            request(key);
            ExecutorService client = Executors.newSingleThreadExecutor();
            try (Connection locker = dataSource().getConnection()) {
                locker.setAutoCommit(false);
                try (PreparedStatement ps = locker.prepareStatement("SELECT state FROM " + table
                        + " WHERE record_id = ? FOR UPDATE")) {
                    ps.setString(1, SCOPE.recordId(key));
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                    }
                }
                counting.takeStatements();

                Future<Outcome> replay = client.submit(() -> request(key));

                // a replay that waited for the lock would still be waiting after five seconds
                assertThat(replay.get(5, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
                assertThat(counting.takeStatements()).isEqualTo(1);
                locker.rollback();
            } finally {
                client.shutdownNow();
            }
        }
    }

    @Nested
    class PostgreSql extends WithRowLocks {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }

        @Override
        int firstRequestStatements() {
            return 2; // insert-or-select + completing update
        }

        /**
         * The claim's insert waits for another transaction's uncommitted insert of the same key;
         * when that one commits, the row is newer than the claim's snapshot, so the claim reads
         * again and finds it.
         */
        @Test
        @Timeout(60)
        void claimThatWaitedForAnInsertCommittedMeanwhileReadsTheRowAgain() throws Exception {
            String id = SCOPE.recordId(newKey());
            Instant now = Instant.now();
            ExecutorService client = Executors.newSingleThreadExecutor();
            try (Connection first = dataSource().getConnection()) {
                first.setAutoCommit(false);
                insertCompleted(first, id, now);

                Future<ClaimResult> claim = client.submit(() -> store.claim(new ClaimRequest(id, "k", SCOPE.toString(),
                        FINGERPRINT.bytes(), "second", 9, now.plusSeconds(30), now.plusSeconds(3600), now)));
                awaitClaimWaitingForALock();
                first.commit();

                ClaimResult result = claim.get(30, TimeUnit.SECONDS);
                assertThat(result).isInstanceOf(ClaimResult.Found.class);
                assertThat(((ClaimResult.Found) result).record().state()).isEqualTo(RecordState.COMPLETED);
                assertThat(counting.takeStatements()).isEqualTo(2);
            } finally {
                client.shutdownNow();
            }
        }

        void insertCompleted(Connection c, String id, Instant now) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (record_id, idem_key, scope,"
                    + " state, fingerprint, fencing_token, lease_owner, lease_deadline, created_at, expires_at,"
                    + " completed_at, status, headers, body, body_retained)"
                    + " VALUES (?, 'k', ?, 'COMPLETED', ?, 1, 'first', ?, ?, ?, ?, 201, ?, ?, 1)")) {
                long t = RecordTable.micros(now);
                ps.setString(1, id);
                ps.setString(2, SCOPE.toString());
                ps.setBytes(3, FINGERPRINT.bytes());
                ps.setLong(4, t);
                ps.setLong(5, t);
                ps.setLong(6, t + 3_600_000_000L);
                ps.setLong(7, t);
                ps.setBytes(8, RecordTable.encodeHeaders(List.of()));
                ps.setBytes(9, CREATED.body());
                ps.executeUpdate();
            }
        }

        /** Polls the server until a statement on the test table waits for a lock. */
        void awaitClaimWaitingForALock() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Tables.count(dataSource(), "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE '%" + table + "%' AND pid <> pg_backend_pid()") == 0) {
                assertThat(System.nanoTime()).as("claim waiting for the lock").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
    }

    @Nested
    class MariaDb extends WithRowLocks {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }

        @Override
        int firstRequestStatements() {
            return 3; // select (miss) + insert ignore + completing update
        }
    }

    @Nested
    class H2 extends WithRowLocks {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-trips");
        }

        @Override
        int firstRequestStatements() {
            return 3; // select (miss) + insert + completing update
        }
    }

    @Nested
    class Sqlite extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.sqlite("semel-jdbc-trips");
        }

        @Override
        int firstRequestStatements() {
            return 3; // select (miss) + insert or ignore + completing update
        }
    }

    /** The transactional store on PostgreSQL: the claim is one statement there too. */
    @Nested
    class PostgreSqlTransactional {
        CountingDataSource counting;
        String records;
        String payments;

        @BeforeEach
        void createTables() {
            counting = new CountingDataSource(TestDatabases.postgres());
            records = Tables.unique("semel_trips_tx");
            payments = Tables.unique("payments");
            Tables.execute(TestDatabases.postgres(), "CREATE TABLE " + payments + " (idem_key VARCHAR(255) NOT NULL)");
        }

        @AfterEach
        void dropTables() {
            Tables.drop(TestDatabases.postgres(), records);
            Tables.drop(TestDatabases.postgres(), payments);
        }

        TransactionalJdbcIdempotencyStore store(ClaimMode mode) {
            TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(counting.dataSource()).useDatabaseClock(false)
                    .tableName(records).createTableIfMissing(true).claimMode(mode).readFirst(false).buildTransactional();
            counting.takeStatements();
            return store;
        }

        String pay(TransactionalJdbcIdempotencyStore store, IdempotencyKey key) throws Exception {
            try (PreparedStatement ps = store.currentConnection()
                    .prepareStatement("INSERT INTO " + payments + " (idem_key) VALUES (?)")) {
                ps.setString(1, key.value());
                ps.executeUpdate();
            }
            return "paid";
        }

        @Test
        void oneCommitModeCostsTheClaimTheBusinessWriteAndTheCompletionThenOneQueryPerReplay() throws Exception {
            TransactionalJdbcIdempotencyStore store = store(ClaimMode.IN_BUSINESS_TRANSACTION);
            try (Idempotency engine = Idempotency.create(store)) {
                IdempotencyKey key = OnDatabase.newKey();

                engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(store, key));
                int first = counting.takeStatements();
                String replay = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(store, key));

                assertThat(first).isEqualTo(3);
                assertThat(replay).isEqualTo("paid");
                assertThat(counting.takeStatements()).isEqualTo(1);
            }
        }

        /**
         * In two-commit mode the completion stays uncommitted until the business commit, which
         * an outer transaction can put off; a duplicate must still see the claim at once.
         */
        @Test
        @Timeout(60)
        void twoCommitModeDuplicateAnswersInProgressWhileAnOuterTransactionHoldsTheCompletion() throws Exception {
            TransactionalJdbcIdempotencyStore store = store(ClaimMode.SEPARATE_TRANSACTION);
            IdempotencyKey key = OnDatabase.newKey();
            CountDownLatch completed = new CountDownLatch(1);
            CountDownLatch commit = new CountDownLatch(1);
            ExecutorService first = Executors.newSingleThreadExecutor();
            ExecutorService second = Executors.newSingleThreadExecutor();
            try (Idempotency engine = Idempotency.create(store)) {
                Future<String> outer = first.submit(() -> store.transactionBoundary().inTransaction(() -> {
                    String receipt = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(store, key));
                    completed.countDown(); // the completing update ran in the outer transaction
                    assertThat(commit.await(30, TimeUnit.SECONDS)).isTrue();
                    return receipt;
                }));
                assertThat(completed.await(30, TimeUnit.SECONDS)).isTrue();

                Future<String> duplicate = second.submit(() -> {
                    try {
                        return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(store, key));
                    } catch (IdempotencyInProgressException e) {
                        return "in progress";
                    }
                });

                assertThat(duplicate.get(5, TimeUnit.SECONDS)).isEqualTo("in progress");
                commit.countDown();
                assertThat(outer.get(30, TimeUnit.SECONDS)).isEqualTo("paid");
            } finally {
                commit.countDown();
                first.shutdownNow();
                second.shutdownNow();
            }
        }
    }
}
