package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyKey;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The read-first claim ({@code readFirst(true)}, the default): a replay is one plain
 * {@code SELECT} on one connection, writes nothing, begins no transaction and does not wait for
 * a row lock; anything but a completed, unexpired record (judged by the database's clock) goes on
 * to the usual claim, so a key still runs exactly once.
 */
class ReadFirstTests {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);
    private static final Fingerprint FINGERPRINT = Fingerprint.of(PAYLOAD);
    private static final Fingerprint OTHER = Fingerprint.of("{\"amount\":999}".getBytes(StandardCharsets.UTF_8));
    private static final StoredResponse CREATED = StoredResponse.of(201, List.of(),
            "paid".getBytes(StandardCharsets.UTF_8));
    private static final StoredResponse SECOND = StoredResponse.of(201, List.of(),
            "paid again".getBytes(StandardCharsets.UTF_8));

    abstract static class OnDatabase {
        CountingDataSource counting;
        String table;
        private final List<JdbcIdempotencyStore> stores = new java.util.ArrayList<>();
        private final List<Idempotency> engines = new java.util.ArrayList<>();

        abstract DataSource dataSource();

        @BeforeEach
        void createTable() {
            counting = new CountingDataSource(dataSource());
            table = Tables.unique("semel_rf");
            JdbcIdempotencyStore.builder(dataSource()).tableName(table).createTableIfMissing(true).build().close();
        }

        @AfterEach
        void dropTable() {
            engines.forEach(Idempotency::close);
            stores.forEach(JdbcIdempotencyStore::close);
            Tables.drop(dataSource(), table);
        }

        JdbcIdempotencyStore plain(boolean readFirst) {
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(counting.dataSource()).tableName(table)
                    .readFirst(readFirst).build();
            stores.add(store);
            return store;
        }

        TransactionalJdbcIdempotencyStore transactional(ClaimMode mode, boolean readFirst) {
            TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(counting.dataSource())
                    .tableName(table).claimMode(mode).readFirst(readFirst).lockWaitTimeout(Duration.ofSeconds(1))
                    .buildTransactional();
            stores.add(store);
            return store;
        }

        Idempotency engine(JdbcIdempotencyStore store) {
            return engine(store, Clock.systemUTC());
        }

        Idempotency engine(JdbcIdempotencyStore store, Clock clock) {
            Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build());
            engines.add(engine);
            return engine;
        }

        static IdempotencyKey newKey() {
            return IdempotencyKey.of("rf-" + UUID.randomUUID());
        }

        static Outcome request(Idempotency engine, IdempotencyKey key, Fingerprint fingerprint,
                AtomicInteger executions) {
            return engine.execute(SCOPE, key, fingerprint, CallOptions.DEFAULTS, lease -> {
                executions.incrementAndGet();
                return CREATED;
            });
        }

        /**
         * Opens a transaction that updates the record's row and keeps it open: a claim's insert
         * (its unique check) or update of that row must wait for it.
         */
        Connection lockRow(String recordId) throws SQLException {
            Connection locker = dataSource().getConnection();
            locker.setAutoCommit(false);
            try (PreparedStatement ps = locker.prepareStatement("UPDATE " + table
                    + " SET lease_owner = 'locker' WHERE record_id = ?")) {
                ps.setString(1, recordId);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            return locker;
        }

        /** The database's own now, in microseconds. */
        long databaseNowMicros() {
            JdbcIdempotencyStore store = plain(true);
            return Tables.count(dataSource(), store.dialect().currentTimeMicros());
        }

        void insertCompleted(String recordId, long expiresAtMicros) throws SQLException {
            try (Connection c = dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (record_id, idem_key,"
                            + " scope, state, fingerprint, fencing_token, lease_owner, lease_deadline, created_at,"
                            + " expires_at, completed_at, status, headers, body, body_retained)"
                            + " VALUES (?, 'k', ?, 'COMPLETED', ?, 1, 'first', ?, ?, ?, ?, 201, ?, ?, 1)")) {
                long created = expiresAtMicros - 7_200_000_000L;
                ps.setString(1, recordId);
                ps.setString(2, SCOPE.toString());
                ps.setBytes(3, FINGERPRINT.bytes());
                ps.setLong(4, created);
                ps.setLong(5, created);
                ps.setLong(6, expiresAtMicros);
                ps.setLong(7, created);
                ps.setBytes(8, RecordTable.encodeHeaders(List.of()));
                ps.setBytes(9, CREATED.body());
                ps.executeUpdate();
            }
        }

        @ParameterizedTest
        @EnumSource(ClaimMode.class)
        void transactionalReplayIsOneSelectOnOneConnectionAndBeginsNoTransaction(ClaimMode mode) {
            Idempotency engine = engine(transactional(mode, true));
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            assertThat(request(engine, key, FINGERPRINT, executions)).isEqualTo(new Outcome.Executed(CREATED, true));
            counting.takeCost();

            Outcome replay = request(engine, key, FINGERPRINT, executions);

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(((Decision.Replay) replay).response().body()).isEqualTo(CREATED.body());
            assertThat(executions).hasValue(1);
            assertThat(cost.statements()).as("statements: %s", cost.sql()).isEqualTo(1);
            assertThat(cost.borrows()).as("connections borrowed").isEqualTo(1);
            assertThat(cost.transactions()).as("transactions begun").isZero();
            assertThat(cost.ends()).as("commits and rollbacks").isZero();
            assertThat(cost.wroteOrLocked()).as("wrote or locked: %s", cost.sql()).isFalse();
        }

        @Test
        void plainReplayIsOneSelectThatWritesNothing() {
            Idempotency engine = engine(plain(true));
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            request(engine, key, FINGERPRINT, executions);
            counting.takeCost();

            Outcome replay = request(engine, key, FINGERPRINT, executions);

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(cost.statements()).as("statements: %s", cost.sql()).isEqualTo(1);
            assertThat(cost.borrows()).isEqualTo(1);
            assertThat(cost.transactions()).isZero();
            assertThat(cost.wroteOrLocked()).as("wrote or locked: %s", cost.sql()).isFalse();
        }

        @ParameterizedTest
        @EnumSource(ClaimMode.class)
        void aNewKeyStillRunsOnceInItsTransactionAfterTheRead(ClaimMode mode) {
            Idempotency engine = engine(transactional(mode, true));
            AtomicInteger executions = new AtomicInteger();

            Outcome first = request(engine, newKey(), FINGERPRINT, executions);

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(first).isEqualTo(new Outcome.Executed(CREATED, true));
            assertThat(executions).hasValue(1);
            assertThat(cost.sql().get(0)).as("the read comes first").startsWith("SELECT");
            assertThat(cost.transactions()).as("the business transaction").isEqualTo(1);
        }

        @ParameterizedTest
        @EnumSource(ClaimMode.class)
        void anotherPayloadIsAMismatchAnsweredWithoutATransaction(ClaimMode mode) {
            Idempotency engine = engine(transactional(mode, true));
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            request(engine, key, FINGERPRINT, executions);
            counting.takeCost();

            Outcome mismatch = request(engine, key, OTHER, executions);

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(mismatch).isInstanceOf(Decision.Mismatch.class);
            assertThat(executions).hasValue(1);
            assertThat(cost.statements()).isEqualTo(1);
            assertThat(cost.transactions()).isZero();
        }

        /** Whether, without read-first, a transactional replay waits for the row lock {@link #lockRow} takes. */
        boolean claimWaitsForTheRowLock() {
            return true;
        }

        @Test
        @Timeout(60)
        void aReplayDoesNotWaitForATransactionHoldingTheRowThatAClaimWouldWaitFor() throws Exception {
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            TransactionalJdbcIdempotencyStore store = transactional(ClaimMode.IN_BUSINESS_TRANSACTION, true);
            Idempotency engine = engine(store);
            Idempotency withoutReadFirst = engine(transactional(ClaimMode.IN_BUSINESS_TRANSACTION, false));
            Idempotency plainEngine = engine(plain(true));
            JdbcIdempotencyStore plainStore = plain(true);
            request(engine, key, FINGERPRINT, executions);
            String recordId = SCOPE.recordId(key);
            ExecutorService client = Executors.newSingleThreadExecutor();
            try (Connection locker = lockRow(recordId)) {
                counting.takeCost();

                // a replay that waited for the lock would still be waiting after five seconds
                Future<Outcome> replay = client.submit(() -> request(engine, key, FINGERPRINT, executions));
                assertThat(replay.get(5, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
                Future<Outcome> plainReplay = client.submit(() -> request(plainEngine, key, FINGERPRINT, executions));
                assertThat(plainReplay.get(5, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
                Instant now = Instant.now();
                ClaimResult async = plainStore.claimAsync(new ClaimRequest(recordId, key.value(), SCOPE.toString(),
                        FINGERPRINT.bytes(), "async", 7, now.plusSeconds(30), now.plusSeconds(3600), now), client)
                        .toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertThat(async).isInstanceOf(ClaimResult.Found.class);
                assertThat(((ClaimResult.Found) async).record().state()).isEqualTo(RecordState.COMPLETED);
                CountingDataSource.Cost cost = counting.takeCost();
                assertThat(cost.statements()).as("statements: %s", cost.sql()).isEqualTo(3);
                assertThat(cost.wroteOrLocked()).as("wrote or locked: %s", cost.sql()).isFalse();

                if (claimWaitsForTheRowLock()) {
                    // the same replay through the claim in a transaction waits for the lock, up to
                    // the lock wait timeout, and answers "in progress": the lock is a real obstacle
                    Outcome blocked = client.submit(() -> request(withoutReadFirst, key, FINGERPRINT, executions))
                            .get(30, TimeUnit.SECONDS);
                    assertThat(blocked).isInstanceOf(Decision.InProgress.class);
                }
                locker.rollback();
            } finally {
                client.shutdownNow();
            }
            assertThat(executions).hasValue(1);
        }

        @Test
        void aRecordExpiredByTheDatabaseClockRunsAgainThoughTheJvmClockCallsItLive() throws Exception {
            IdempotencyKey key = newKey();
            insertCompleted(SCOPE.recordId(key), databaseNowMicros() - 60_000_000L);
            // this JVM's clock is two hours behind: by it, the record would still be live
            Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofHours(-2));
            AtomicInteger executions = new AtomicInteger();

            Outcome transactional = engine(transactional(ClaimMode.IN_BUSINESS_TRANSACTION, true), behind)
                    .execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                        executions.incrementAndGet();
                        return SECOND;
                    });

            assertThat(transactional).isEqualTo(new Outcome.Executed(SECOND, true));
            assertThat(executions).hasValue(1);

            IdempotencyKey plainKey = newKey();
            insertCompleted(SCOPE.recordId(plainKey), databaseNowMicros() - 60_000_000L);
            Outcome plain = engine(plain(true), behind).execute(SCOPE, plainKey, FINGERPRINT, CallOptions.DEFAULTS,
                    lease -> {
                        executions.incrementAndGet();
                        return SECOND;
                    });
            assertThat(plain).isEqualTo(new Outcome.Executed(SECOND, true));
            assertThat(executions).hasValue(2);
        }

        @Test
        void aRecordLiveByTheDatabaseClockIsReplayedByTheReadThoughTheJvmClockCallsItExpired() throws Exception {
            IdempotencyKey key = newKey();
            insertCompleted(SCOPE.recordId(key), databaseNowMicros() + 3_600_000_000L);
            // this JVM's clock is two hours ahead: by it, the record would have expired
            Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
            Idempotency engine = engine(transactional(ClaimMode.IN_BUSINESS_TRANSACTION, true), ahead);
            counting.takeCost();

            Outcome replay = engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> SECOND);

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(((Decision.Replay) replay).response().body()).isEqualTo(CREATED.body());
            assertThat(cost.transactions()).as("answered by the read, no transaction").isZero();
            assertThat(cost.statements()).isEqualTo(1);
        }

        @Test
        void aStoreOnTheCallersClockJudgesExpiryByTheCallersNow() throws Exception {
            TransactionalJdbcIdempotencyStore store = JdbcIdempotencyStore.builder(counting.dataSource())
                    .tableName(table).useDatabaseClock(false).buildTransactional();
            stores.add(store);
            String recordId = SCOPE.recordId(newKey());
            long expires = databaseNowMicros() + 3_600_000_000L;
            insertCompleted(recordId, expires);
            Instant before = Instant.EPOCH.plus(expires - 1, java.time.temporal.ChronoUnit.MICROS);
            Instant at = Instant.EPOCH.plus(expires, java.time.temporal.ChronoUnit.MICROS);

            assertThat(store.findCompleted(claim(recordId, before))).isPresent();
            assertThat(store.findCompleted(claim(recordId, at))).isEmpty();
        }

        static ClaimRequest claim(String recordId, Instant now) {
            return new ClaimRequest(recordId, "k", SCOPE.toString(), FINGERPRINT.bytes(), "me", 5,
                    now.plusSeconds(30), now.plusSeconds(3600), now);
        }

        @Test
        void anInProgressRecordIsLeftToTheClaim() throws Exception {
            TransactionalJdbcIdempotencyStore store = transactional(ClaimMode.SEPARATE_TRANSACTION, true);
            String recordId = SCOPE.recordId(newKey());
            Instant now = Instant.now();
            assertThat(store.claim(claim(recordId, now))).isInstanceOf(ClaimResult.Claimed.class);

            assertThat(store.findCompleted(claim(recordId, now))).isEmpty();
            assertThat(transactional(ClaimMode.SEPARATE_TRANSACTION, false).findCompleted(claim(recordId, now)))
                    .isEmpty();
        }

        @Test
        void withoutReadFirstTheStoreReadsNothingBeforeTheTransaction() {
            TransactionalJdbcIdempotencyStore store = transactional(ClaimMode.IN_BUSINESS_TRANSACTION, false);
            Idempotency engine = engine(store);
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            request(engine, key, FINGERPRINT, executions);
            counting.takeCost();

            assertThat(store.findsCompleted()).isFalse();
            assertThat(transactional(ClaimMode.IN_BUSINESS_TRANSACTION, true).findsCompleted()).isTrue();
            assertThat(store.findCompleted(claim(SCOPE.recordId(key), Instant.now()))).isEmpty();
            assertThat(request(engine, key, FINGERPRINT, executions)).isInstanceOf(Decision.Replay.class);
            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(cost.transactions()).as("the claim ran in a transaction").isEqualTo(1);
        }

        @Test
        void insideAnOuterTransactionTheReplayJoinsItAndBorrowsNoSecondConnection() throws Exception {
            TransactionalJdbcIdempotencyStore store = transactional(ClaimMode.IN_BUSINESS_TRANSACTION, true);
            Idempotency engine = engine(store);
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            request(engine, key, FINGERPRINT, executions);
            counting.takeCost();

            Outcome replay = store.transactionBoundary().inTransaction(() -> {
                assertThat(store.findsCompleted()).as("reads nothing inside a transaction").isFalse();
                return request(engine, key, FINGERPRINT, executions);
            });

            CountingDataSource.Cost cost = counting.takeCost();
            assertThat(replay).isInstanceOf(Decision.Replay.class);
            assertThat(cost.borrows()).as("the outer transaction's connection only").isEqualTo(1);
            assertThat(cost.transactions()).isEqualTo(1);
            assertThat(store.findsCompleted()).isTrue();
        }

        @ParameterizedTest
        @EnumSource(ClaimMode.class)
        @Timeout(120)
        void racersReleasedTogetherWhileTheKeyCompletesRunItOnce(ClaimMode mode) throws Exception {
            raceOnACompletingKey(engine(transactional(mode, true)));
        }

        @Test
        @Timeout(120)
        void racersOnThePlainStoreWhileTheKeyCompletesRunItOnce() throws Exception {
            raceOnACompletingKey(engine(plain(true)));
        }

        private void raceOnACompletingKey(Idempotency engine) throws Exception {
            IdempotencyKey key = newKey();
            AtomicInteger executions = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService firstClient = Executors.newSingleThreadExecutor();
            try {
                Future<Outcome> first = firstClient.submit(() -> engine.execute(SCOPE, key, FINGERPRINT,
                        CallOptions.DEFAULTS, lease -> {
                            executions.incrementAndGet();
                            started.countDown();
                            assertThat(finish.await(60, TimeUnit.SECONDS)).isTrue();
                            return CREATED;
                        }));
                assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

                // racer 0 lets the first request complete at the moment the others start
                List<Outcome> racers = Races.together(12, i -> {
                    if (i == 0) {
                        finish.countDown();
                        return null;
                    }
                    return request(engine, key, FINGERPRINT, executions);
                });

                assertThat(first.get(60, TimeUnit.SECONDS)).isEqualTo(new Outcome.Executed(CREATED, true));
                assertThat(racers.subList(1, racers.size())).allSatisfy(r -> assertThat(r)
                        .isInstanceOfAny(Decision.Replay.class, Decision.InProgress.class));
                assertThat(executions).as("the operation ran once").hasValue(1);
                assertThat(request(engine, key, FINGERPRINT, executions)).isInstanceOf(Decision.Replay.class);
            } finally {
                finish.countDown();
                firstClient.shutdownNow();
            }
        }
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-read-first");
        }

        /** H2's insert meets the updated row with a duplicate-key error at once, without waiting. */
        @Override
        boolean claimWaitsForTheRowLock() {
            return false;
        }
    }
}
