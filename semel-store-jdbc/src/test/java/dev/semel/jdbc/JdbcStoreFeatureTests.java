package dev.semel.jdbc;

import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.StoreCapacityExceededException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import dev.semel.test.MutableClock;
import dev.semel.test.jdbc.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the JDBC store adds to the contract: schema handling, dialects, purge in batches, body limits. */
class JdbcStoreFeatureTests {
    private static final Instant T0 = Instant.parse("2031-03-04T05:06:07.123Z");

    abstract static class OnDatabase {
        String table;
        JdbcIdempotencyStore store;

        abstract DataSource dataSource();

        abstract JdbcDialect expectedDialect();

        @BeforeEach
        void createStore() {
            table = Tables.unique("semel_feat");
            store = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(table).createTableIfMissing(true)
                    .purgeBatchSize(500).build();
        }

        @AfterEach
        void dropTable() {
            store.close();
            Tables.drop(dataSource(), table);
        }

        static ClaimRequest claim(String id, Instant now, Duration ttl) {
            return new ClaimRequest(id, "k-" + id.substring(0, 8), "tests", new byte[32], "owner", 7,
                    now.plusSeconds(30), now.plus(ttl), now);
        }

        static String newId() {
            return Scope.of("tests", "op").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
        }

        @Test
        void detectsTheDialectFromTheConnection() throws Exception {
            try (Connection c = dataSource().getConnection()) {
                assertThat(JdbcDialect.detect(c)).isEqualTo(expectedDialect());
            }
            assertThat(store.dialect()).isEqualTo(expectedDialect());
        }

        @Test
        void shippedSchemaScriptAppliesTwiceUnderAnotherTableName() {
            String other = Tables.unique("semel_script");
            try {
                for (int i = 0; i < 2; i++) {
                    JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).dialect(expectedDialect()).tableName(other)
                            .createTableIfMissing(true).build().close();
                }
                JdbcIdempotencyStore again = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(other).build();
                String id = newId();
                assertThat(again.claim(claim(id, T0, Duration.ofHours(1)))).isInstanceOf(ClaimResult.Claimed.class);
                assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + other)).isEqualTo(1);
            } finally {
                Tables.drop(dataSource(), other);
            }
        }

        /**
         * Instances of a service start together and each creates the table: PostgreSQL fails one of
         * two concurrent "CREATE ... IF NOT EXISTS" of the same name with a unique violation in its
         * catalog, which used to fail the losing instance's start.
         */
        @Test
        void storesStartingTogetherAllCreateTheSameTable() throws Exception {
            String other = Tables.unique("semel_together");
            try {
                for (int round = 0; round < 3; round++) {
                    Tables.drop(dataSource(), other);
                    List<Boolean> started = Races.together(4, i -> {
                        JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(other)
                                .createTableIfMissing(true).build().close();
                        return true;
                    });
                    assertThat(started).containsOnly(true);
                }
                JdbcIdempotencyStore again = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(other).build();
                assertThat(again.claim(claim(newId(), T0, Duration.ofHours(1)))).isInstanceOf(ClaimResult.Claimed.class);
            } finally {
                Tables.drop(dataSource(), other);
            }
        }

        @Test
        void refusesTableNamesThatAreNotPlainIdentifiers() {
            assertThatThrownBy(() -> JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName("x; DROP TABLE y"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tableName must be a plain SQL identifier");
        }

        @Test
        void bodyOverTheConfiguredLimitFailsClearlyAndLeavesTheClaimInPlace() {
            JdbcIdempotencyStore small = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(table)
                    .maxBodyBytes(1024).build();
            String id = newId();
            small.claim(claim(id, T0, Duration.ofHours(1)));

            assertThatThrownBy(() -> small.complete(id, 7, StoredResponse.of(200, List.of(), new byte[1025]),
                    T0.plusSeconds(3600), T0))
                    .isInstanceOf(StoreCapacityExceededException.class)
                    .hasMessageContaining("1025 bytes exceeds the JDBC store's maxBodyBytes of 1024");
            assertThat(small.complete(id, 7, StoredResponse.of(200, List.of(), new byte[1024]),
                    T0.plusSeconds(3600), T0)).isTrue();
        }

        @Test
        @Timeout(120)
        void purgeRemovesManyExpiredRowsInBoundedBatchesAndKeepsLiveOnes() throws Exception {
            int expired = 5_000;
            insertExpiredRows(expired);
            String live = newId();
            store.claim(claim(live, T0, Duration.ofDays(2)));
            store.complete(live, 7, StoredResponse.of(201, List.of(), new byte[3]), T0.plus(Duration.ofDays(2)), T0);
            Instant now = T0.plus(Duration.ofDays(1));

            int first = store.purgeExpired(now, 500);
            long rest = store.purgeAllExpired(now);

            assertThat(first).isEqualTo(500);
            assertThat(first + rest).isEqualTo(expired);
            assertThat(store.find(live, now)).isPresent();
            assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + table)).isEqualTo(1);
        }

        @Test
        @Timeout(60)
        void scheduledPurgeDeletesExpiredRowsByItself() throws Exception {
            insertExpiredRows(50);
            MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
            try (JdbcIdempotencyStore scheduled = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).tableName(table)
                    .clock(clock).purgeEvery(Duration.ofMillis(50)).build()) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (Tables.count(dataSource(), "SELECT COUNT(*) FROM " + table) > 0
                        && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + scheduled.tableName())).isZero();
            }
        }

        /** Completed rows that expired an hour after T0, written in one batch. */
        void insertExpiredRows(int n) throws Exception {
            try (Connection c = dataSource().getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (record_id, idem_key, scope,"
                        + " state, fingerprint, fencing_token, lease_owner, lease_deadline, created_at, expires_at,"
                        + " completed_at, status, headers, body, body_retained)"
                        + " VALUES (?, ?, 'tests', 'COMPLETED', ?, 1, 'o', ?, ?, ?, ?, 200, ?, ?, 1)")) {
                    long t0 = RecordTable.micros(T0);
                    for (int i = 0; i < n; i++) {
                        ps.setString(1, newId());
                        ps.setString(2, "expired-" + i);
                        ps.setBytes(3, new byte[32]);
                        ps.setLong(4, t0);
                        ps.setLong(5, t0);
                        ps.setLong(6, t0 + 3_600_000_000L);
                        ps.setLong(7, t0);
                        ps.setBytes(8, RecordTable.encodeHeaders(List.of()));
                        ps.setBytes(9, new byte[16]);
                        ps.addBatch();
                        if (i % 1000 == 999) {
                            ps.executeBatch();
                        }
                    }
                    ps.executeBatch();
                }
                c.commit();
                c.setAutoCommit(true);
            }
        }
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.postgres();
        }

        @Override
        JdbcDialect expectedDialect() {
            return JdbcDialect.POSTGRESQL;
        }

        @Test
        void keepsTheTableInAConfiguredSchema() {
            String schema = Tables.unique("semel_schema");
            Tables.execute(dataSource(), "CREATE SCHEMA " + schema);
            try (JdbcIdempotencyStore inSchema = JdbcIdempotencyStore.builder(dataSource()).useDatabaseClock(false).schemaName(schema)
                    .tableName("records").createTableIfMissing(true).build()) {
                String id = newId();
                inSchema.claim(claim(id, T0, Duration.ofHours(1)));
                assertThat(inSchema.tableName()).isEqualTo(schema + ".records");
                assertThat(Tables.count(dataSource(), "SELECT COUNT(*) FROM " + schema + ".records")).isEqualTo(1);
            } finally {
                Tables.execute(dataSource(), "DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.mariadb();
        }

        @Override
        JdbcDialect expectedDialect() {
            return JdbcDialect.MYSQL;
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.h2("semel-jdbc-features");
        }

        @Override
        JdbcDialect expectedDialect() {
            return JdbcDialect.H2;
        }
    }

    @Nested
    class Sqlite extends OnDatabase {
        @Override
        DataSource dataSource() {
            return TestDatabases.sqlite("semel-jdbc-features");
        }

        @Override
        JdbcDialect expectedDialect() {
            return JdbcDialect.SQLITE;
        }
    }
}
