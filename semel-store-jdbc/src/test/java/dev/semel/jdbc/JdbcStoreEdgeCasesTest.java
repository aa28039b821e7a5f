package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.Scope;
import dev.semel.StoreCapacityExceededException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.test.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the plain JDBC store does at the edges: a claim picked as a deadlock victim, a record
 * claimed at the very instant it expires, the schema it creates, a schema it cannot create,
 * the builder's bounds and its purge thread.
 */
class JdbcStoreEdgeCasesTest {
    private static final Instant T0 = Instant.parse("2031-03-04T05:06:07.123Z");

    static String newId() {
        return Scope.of("tests", "edge").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
    }

    static ClaimRequest claim(String id, Instant now) {
        return new ClaimRequest(id, "k-" + id.substring(0, 8), "tests", new byte[32], "owner", 7,
                now.plusSeconds(30), now.plus(Duration.ofHours(1)), now);
    }

    static StoredResponse created() {
        return StoredResponse.of(201, List.of(), new byte[] {1, 2, 3});
    }

    /** On H2, in-process: what does not depend on the database. */
    @Nested
    class OnH2 {
        final DataSource h2 = TestDatabases.h2("semel-jdbc-edges");
        final FaultyDataSource faulty = new FaultyDataSource(h2);
        String table;
        JdbcIdempotencyStore store;

        @BeforeEach
        void createStore() {
            table = Tables.unique("semel_edge");
            store = JdbcIdempotencyStore.builder(faulty.dataSource()).useDatabaseClock(false).tableName(table)
                    .createTableIfMissing(true).build();
            faulty.takeExecutions();
        }

        @AfterEach
        void dropTable() {
            store.close();
            Tables.drop(h2, table);
        }

        @Test
        void aClaimPickedAsADeadlockVictimRunsAgainAndSucceeds() {
            String id = newId();
            faulty.failNext(2, () -> FaultyDataSource.deadlock("40001", 0));

            assertThat(store.claim(claim(id, T0))).isEqualTo(new ClaimResult.Claimed(7, false));
            assertThat(store.find(id, T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
        }

        @Test
        void aMySqlDeadlockKnownOnlyByItsErrorCodeRunsAgainToo() {
            String id = newId();
            faulty.failNext(1, () -> FaultyDataSource.deadlock("HY000", 1213));

            assertThat(store.claim(claim(id, T0))).isEqualTo(new ClaimResult.Claimed(7, false));
        }

        @Test
        @Timeout(30)
        void aClaimThatKeepsLosingDeadlocksFailsAfterFiveAttempts() {
            faulty.failNext(Integer.MAX_VALUE, () -> FaultyDataSource.deadlock("40P01", 0));

            assertThatThrownBy(() -> store.claim(claim(newId(), T0)))
                    .isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("failed to claim")
                    .hasMessageContaining("deadlock detected");
            assertThat(faulty.takeExecutions()).isEqualTo(5);
        }

        @Test
        void anErrorThatIsNoDeadlockFailsTheClaimAtOnce() {
            faulty.failNext(1, () -> new SQLException("relation does not exist", "42P01"));

            assertThatThrownBy(() -> store.claim(claim(newId(), T0)))
                    .isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("relation does not exist");
            assertThat(faulty.takeExecutions()).isEqualTo(1);
        }

        @Test
        void aMaxBodyOfZeroKeepsEmptyBodiesAndRefusesAnyOther() {
            JdbcIdempotencyStore empty = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false).tableName(table)
                    .maxBodyBytes(0).build();
            String id = newId();
            empty.claim(claim(id, T0));

            assertThatThrownBy(() -> empty.complete(id, 7, StoredResponse.of(200, List.of(), new byte[1]),
                    T0.plusSeconds(60), T0)).isInstanceOf(StoreCapacityExceededException.class);
            assertThat(empty.complete(id, 7, StoredResponse.of(204, List.of(), new byte[0]), T0.plusSeconds(60),
                    T0)).isTrue();
            assertThatThrownBy(() -> JdbcIdempotencyStore.builder(h2).maxBodyBytes(-1))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void aPurgeBatchOfOneRowStillPurgesEveryExpiredRow() {
            JdbcIdempotencyStore oneByOne = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false).tableName(table)
                    .purgeBatchSize(1).build();
            for (int i = 0; i < 3; i++) {
                String id = newId();
                oneByOne.claim(claim(id, T0));
                oneByOne.complete(id, 7, created(), T0.plusSeconds(60), T0);
            }
            String live = newId();
            oneByOne.claim(claim(live, T0.plusSeconds(120)));

            assertThat(oneByOne.purgeAllExpired(T0.plusSeconds(120))).isEqualTo(3);
            assertThat(oneByOne.find(live, T0.plusSeconds(120))).isPresent();
            assertThatThrownBy(() -> JdbcIdempotencyStore.builder(h2).purgeBatchSize(0))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void thePurgeThreadIsADaemonSoItNeverKeepsTheJvmAliveAndEndsWithTheStore() throws Exception {
            List<Thread> before = purgeThreads();
            JdbcIdempotencyStore scheduled = JdbcIdempotencyStore.builder(h2).useDatabaseClock(false)
                    .tableName(table).purgeEvery(Duration.ofHours(1)).build();
            List<Thread> started = purgeThreads();
            started.removeAll(before);

            assertThat(started).hasSize(1);
            assertThat(started.get(0).isDaemon()).isTrue();
            scheduled.close();
            started.get(0).join(10_000);
            assertThat(started.get(0).isAlive()).isFalse();
        }

        private static List<Thread> purgeThreads() {
            List<Thread> threads = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("semel-jdbc-purge")) {
                    threads.add(t);
                }
            }
            return threads;
        }

        /** Instances starting together race on the schema; the race is run again, five times at most. */
        @Test
        @Timeout(30)
        void aSchemaScriptThatKeepsMeetingACreationRaceFailsTheStoreAfterFiveAttempts() {
            faulty.failNext(Integer.MAX_VALUE, () -> new SQLException("relation already exists", "42P07"));

            assertThatThrownBy(() -> JdbcIdempotencyStore.builder(faulty.dataSource()).useDatabaseClock(false)
                    .tableName(table).createTableIfMissing(true).build())
                    .isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("Could not prepare the JDBC idempotency store: relation already exists");
            assertThat(faulty.takeExecutions()).isEqualTo(5);
        }

        @Test
        void aSchemaScriptRacingOnAnInterruptedThreadFailsAtOnceAndKeepsTheInterrupt() {
            faulty.failNext(Integer.MAX_VALUE, () -> new SQLException("relation already exists", "42P07"));
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> JdbcIdempotencyStore.builder(faulty.dataSource()).useDatabaseClock(false)
                        .tableName(table).createTableIfMissing(true).build())
                        .isInstanceOf(IdempotencyStoreException.class);
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
                assertThat(faulty.takeExecutions()).isEqualTo(1);
            } finally {
                Thread.interrupted();
            }
        }
    }

    /** The same on every database, where the SQL differs. */
    abstract static class OnDatabase {
        String table;
        JdbcIdempotencyStore store;

        abstract DataSource dataSource();

        @BeforeEach
        void createStore() {
            table = Tables.unique("semel_edge");
            store = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(table)
                    .createTableIfMissing(true).build();
        }

        @AfterEach
        void dropTable() {
            store.close();
            Tables.drop(dataSource(), table);
        }

        /** {@code find} says the record is gone at its expiry: a claim then must not replay it. */
        @Test
        void aRecordIsClaimedAfreshAtTheVeryInstantItExpires() {
            String id = newId();
            store.claim(claim(id, T0));
            Instant expiry = T0.plusSeconds(60);
            assertThat(store.complete(id, 7, created(), expiry, T0)).isTrue();
            assertThat(store.find(id, expiry)).isEmpty();

            ClaimRequest again = new ClaimRequest(id, "k-again", "tests", new byte[32], "second", 11,
                    expiry.plusSeconds(30), expiry.plus(Duration.ofHours(1)), expiry);

            assertThat(store.claim(again)).isEqualTo(new ClaimResult.Claimed(11, false));
            assertThat(store.find(id, expiry).orElseThrow().leaseOwner()).isEqualTo("second");
        }

        /** The purge and the admin query rely on them; a table without them is scanned whole. */
        @Test
        void theCreatedTableHasEveryIndexOfTheShippedScript() throws SQLException {
            assertThat(indexes()).contains(table + "_expires_idx", table + "_lease_idx", table + "_created_idx");
        }

        List<String> indexes() throws SQLException {
            List<String> names = new ArrayList<>();
            try (Connection c = dataSource().getConnection()) {
                for (String t : List.of(table, table.toUpperCase(Locale.ROOT))) {
                    try (ResultSet rs = c.getMetaData().getIndexInfo(null, null, t, false, false)) {
                        while (rs.next()) {
                            String name = rs.getString("INDEX_NAME");
                            if (name != null) {
                                names.add(name.toLowerCase(Locale.ROOT));
                            }
                        }
                    }
                }
            }
            return names;
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-edges");
        }
    }

    @Nested
    class Sqlite extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.sqlite("semel-jdbc-edges");
        }
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }

        /**
         * A pool may hand out connections with autocommit off: the table the store creates must
         * still be committed (PostgreSQL's DDL is transactional), and the connection goes back
         * in the mode it came in.
         */
        @Test
        void createsTheTableOnAPoolWhoseConnectionsComeWithAutocommitOff() {
            FaultyDataSource manual = new FaultyDataSource(dataSource());
            manual.handOutConnectionsWithAutoCommitOff();
            String other = Tables.unique("semel_edge_manual");
            try {
                JdbcIdempotencyStore.builder(manual.dataSource()).useDatabaseClock(false).tableName(other)
                        .createTableIfMissing(true).build().close();

                assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + other)).isZero();
                assertThat(manual.autoCommitAtClose).containsExactly(false);
            } finally {
                Tables.drop(dataSource(), other);
            }
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }
    }
}
