package dev.semel.jdbc;

import dev.semel.CallOptions;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.Outcome;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.test.MutableClock;
import dev.semel.test.jdbc.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transactional store's promise, on real databases and in both claim modes: the record
 * and the operation's writes commit together or not at all.
 */
class TransactionalModeTests {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);

    abstract static class OnDatabase {
        final MutableClock clock = new MutableClock(Instant.now());
        String records;
        String payments;
        TransactionalJdbcIdempotencyStore store;
        Idempotency engine;
        final AtomicInteger executions = new AtomicInteger();

        abstract DataSource dataSource();

        abstract ClaimMode mode();

        int keysInRace() {
            return 100;
        }

        /** Whether the database runs in another process, so that a client can vanish from it. */
        boolean isServer() {
            return true;
        }

        @BeforeEach
        void createTables() {
            records = Tables.unique("semel_tx");
            payments = Tables.unique("payments");
            Tables.execute(dataSource(), "CREATE TABLE " + payments
                    + " (idem_key VARCHAR(255) NOT NULL, by_whom VARCHAR(64) NOT NULL)");
            store = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false)
                    .tableName(records)
                    .createTableIfMissing(true)
                    .claimMode(mode())
                    .lockWaitTimeout(Duration.ofSeconds(1))
                    .buildTransactional();
            engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build());
        }

        @AfterEach
        void dropTables() {
            engine.close();
            Tables.drop(dataSource(), records);
            Tables.drop(dataSource(), payments);
        }

        /** The operation: one business row through the transaction's connection. */
        String pay(IdempotencyKey key, String byWhom) throws SQLException {
            executions.incrementAndGet();
            try (PreparedStatement ps = store.currentConnection()
                    .prepareStatement("INSERT INTO " + payments + " (idem_key, by_whom) VALUES (?, ?)")) {
                ps.setString(1, key.value());
                ps.setString(2, byWhom);
                ps.executeUpdate();
            }
            return "paid by " + byWhom;
        }

        long rows(IdempotencyKey key) {
            return Tables.count(dataSource(), "SELECT COUNT(*) FROM " + payments + " WHERE idem_key = '"
                    + key.value() + "'");
        }

        static IdempotencyKey newKey() {
            return IdempotencyKey.of("pay-" + UUID.randomUUID());
        }

        @Test
        void businessRowAndRecordCommitTogetherAndARetryReplaysWithoutRunning() throws Exception {
            IdempotencyKey key = newKey();

            String first = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "first"));
            String retry = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "retry"));

            assertThat(first).isEqualTo("paid by first");
            assertThat(retry).isEqualTo("paid by first");
            assertThat(executions).hasValue(1);
            assertThat(rows(key)).isEqualTo(1);
            assertThat(store.find(SCOPE.recordId(key), clock.instant()).orElseThrow().state())
                    .isEqualTo(RecordState.COMPLETED);
        }

        @Test
        void operationThatThrowsAfterItsWriteRollsBothBackAndTheKeyRunsAgain() throws Exception {
            IdempotencyKey key = newKey();

            assertThatThrownBy(() -> engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                pay(key, "failed");
                throw new IllegalStateException("card declined after the write");
            })).isInstanceOf(IllegalStateException.class).hasMessage("card declined after the write");

            assertThat(rows(key)).isZero();
            assertThat(store.find(SCOPE.recordId(key), clock.instant())).isEmpty();
            assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "second")))
                    .isEqualTo("paid by second");
            assertThat(rows(key)).isEqualTo(1);
        }

        @Test
        void outcomeThatIsNotStoredRollsBackItsWritesToo() throws Exception {
            IdempotencyKey key = newKey();

            Outcome outcome = engine.execute(SCOPE, key, Fingerprint.of(PAYLOAD), CallOptions.DEFAULTS, lease -> {
                pay(key, "upstream-down");
                return StoredResponse.of(503, List.of(), new byte[0]);
            });

            assertThat(outcome).isEqualTo(new Outcome.Executed(StoredResponse.of(503, List.of(), new byte[0]), false));
            assertThat(rows(key)).isZero();
            assertThat(store.find(SCOPE.recordId(key), clock.instant())).isEmpty();
        }

        @Test
        void connectionLostBeforeCommitLeavesNeitherTheRowNorTheRecord() throws Exception {
            assumeTrue(isServer(), "an in-process database has no client connection to lose");
            IdempotencyKey key = newKey();

            assertThatThrownBy(() -> engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                String receipt = pay(key, "crashed");
                store.currentConnection().abort(Runnable::run); // the database sees the client vanish
                return receipt;
            })).isInstanceOf(IdempotencyStoreException.class);

            assertThat(rows(key)).isZero();
            assertThat(store.find(SCOPE.recordId(key), clock.instant())).isEmpty();
            assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "retry")))
                    .isEqualTo("paid by retry");
            assertThat(rows(key)).isEqualTo(1);
        }

        @Test
        @Timeout(60)
        void duplicateWhileTheFirstTransactionRunsAnswersInProgressThenReplays() throws Exception {
            IdempotencyKey key = newKey();
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<String> first = pool.submit(() -> engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                    String receipt = pay(key, "first");
                    inside.countDown();
                    finish.await();
                    return receipt;
                }));
                assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();

                assertThatThrownBy(() -> engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(),
                        () -> pay(key, "duplicate"))).isInstanceOf(IdempotencyInProgressException.class);

                finish.countDown();
                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("paid by first");
                assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "late")))
                        .isEqualTo("paid by first");
                assertThat(rows(key)).isEqualTo(1);
                assertThat(executions).hasValue(1);
            } finally {
                finish.countDown();
                pool.shutdownNow();
            }
        }

        @Test
        @Timeout(300)
        void twentyDuplicatesPerKeyLeaveExactlyOneBusinessRowPerKey() throws Exception {
            List<IdempotencyKey> keys = new ArrayList<>();
            for (int k = 0; k < keysInRace(); k++) {
                IdempotencyKey key = newKey();
                keys.add(key);
                List<String> answers = Races.together(20, i -> {
                    try {
                        return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "t" + i));
                    } catch (IdempotencyInProgressException e) {
                        return "in-progress";
                    }
                });
                List<String> receipts = answers.stream().filter(a -> !a.equals("in-progress")).distinct().toList();
                assertThat(receipts).hasSize(1);
            }
            String in = String.join("','", keys.stream().map(IdempotencyKey::value).toList());
            assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + payments + " WHERE idem_key IN ('"
                    + in + "')")).isEqualTo(keys.size());
            assertThat(Tables.count(dataSource(), "SELECT COUNT(DISTINCT idem_key) FROM " + payments))
                    .isEqualTo(keys.size());
            assertThat(executions).hasValue(keys.size());
        }
    }

    /** Only the separate-transaction mode has a visible lease another caller can take over. */
    abstract static class WithSeparateClaim extends OnDatabase {
        @Override
        ClaimMode mode() {
            return ClaimMode.SEPARATE_TRANSACTION;
        }

        @Test
        @Timeout(60)
        void zombieWhoseLeaseWasTakenOverCannotCommitItsBusinessWrites() throws Exception {
            IdempotencyKey key = newKey();
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<String> zombie = pool.submit(() -> {
                    try {
                        return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                            String receipt = pay(key, "zombie");
                            inside.countDown();
                            finish.await();
                            return receipt;
                        });
                    } catch (IdempotencyInProgressException e) {
                        return "told in progress";
                    }
                });
                assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
                clock.advance(IdempotencyConfig.DEFAULT_LEASE_DURATION.plusSeconds(1));

                String owner = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "owner"));
                finish.countDown();

                assertThat(owner).isEqualTo("paid by owner");
                assertThat(zombie.get(30, TimeUnit.SECONDS)).isEqualTo("told in progress");
                assertThat(rows(key)).isEqualTo(1);
                assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + payments
                        + " WHERE by_whom = 'zombie'")).isZero();
                assertThat(engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> pay(key, "late")))
                        .isEqualTo("paid by owner");
            } finally {
                finish.countDown();
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class PostgreSqlOneCommit extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }

        @Override
        ClaimMode mode() {
            return ClaimMode.IN_BUSINESS_TRANSACTION;
        }
    }

    @Nested
    class PostgreSqlTwoCommits extends WithSeparateClaim {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }

    @Nested
    class MariaDbOneCommit extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }

        @Override
        ClaimMode mode() {
            return ClaimMode.IN_BUSINESS_TRANSACTION;
        }
    }

    @Nested
    class MariaDbTwoCommits extends WithSeparateClaim {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }
    }

    @Nested
    class H2OneCommit extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-tx");
        }

        @Override
        boolean isServer() {
            return false;
        }

        @Override
        ClaimMode mode() {
            return ClaimMode.IN_BUSINESS_TRANSACTION;
        }
    }

    @Nested
    class H2TwoCommits extends WithSeparateClaim {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-tx");
        }

        @Override
        boolean isServer() {
            return false;
        }
    }
}
