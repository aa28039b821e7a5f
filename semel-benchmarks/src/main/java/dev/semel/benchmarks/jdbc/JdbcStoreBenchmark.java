package dev.semel.benchmarks.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.semel.CallOptions;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.jdbc.ClaimMode;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * First requests through the engine and the JDBC store against PostgreSQL, side by side with
 * the bare statements that make the same writes, and the transactional store's one-commit
 * mode against its two-commit mode. Run with 8 threads and a pool of 8 connections.
 *
 * <p>The database comes from {@code SEMEL_TEST_POSTGRES_URL} (default: the local server).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(8)
public class JdbcStoreBenchmark {
    private static final byte[] BODY_1K = new byte[1024];
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);
    private static final Fingerprint FINGERPRINT = Fingerprint.of(PAYLOAD);
    private static final StoredResponse RESPONSE = StoredResponse.of(201,
            List.of(new StoredResponse.Header("Content-Type", "application/json")), BODY_1K);

    /** One pool, three record tables, a bare table and a business table, fresh per run. */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class Db {
        final AtomicLong counter = new AtomicLong();
        final String run = Long.toString(System.nanoTime(), 36);
        HikariDataSource dataSource;
        JdbcIdempotencyStore plain;
        Idempotency plainEngine;
        TransactionalJdbcIdempotencyStore oneCommit;
        Idempotency oneCommitEngine;
        TransactionalJdbcIdempotencyStore twoCommits;
        Idempotency twoCommitsEngine;
        String bareTable;
        String business;
        String bareInsert;
        String bareUpdate;
        String businessInsert;
        IdempotencyKey[] replayKeys;

        @Setup(Level.Trial)
        public void setUp() throws SQLException {
            String url = System.getenv().getOrDefault("SEMEL_TEST_POSTGRES_URL",
                    "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setMaximumPoolSize(8);
            dataSource = new HikariDataSource(config);
            plain = JdbcIdempotencyStore.builder(dataSource).tableName("bench_plain_" + run)
                    .createTableIfMissing(true).build();
            plainEngine = Idempotency.create(plain);
            oneCommit = JdbcIdempotencyStore.builder(dataSource).tableName("bench_one_" + run)
                    .createTableIfMissing(true).claimMode(ClaimMode.IN_BUSINESS_TRANSACTION).buildTransactional();
            oneCommitEngine = Idempotency.create(oneCommit);
            twoCommits = JdbcIdempotencyStore.builder(dataSource).tableName("bench_two_" + run)
                    .createTableIfMissing(true).claimMode(ClaimMode.SEPARATE_TRANSACTION).buildTransactional();
            twoCommitsEngine = Idempotency.create(twoCommits);
            bareTable = "bench_bare_" + run;
            business = "bench_business_" + run;
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                // the same columns as the store's table, so the bare pair writes the same bytes
                st.execute(JdbcIdempotencyStore.schemaScript(plain.dialect()).lines()
                        .filter(l -> !l.startsWith("CREATE INDEX"))
                        .reduce("", (a, b) -> a + "\n" + b)
                        .replace("semel_idempotency", bareTable));
                st.execute("CREATE INDEX ON " + bareTable + " (expires_at)");
                st.execute("CREATE INDEX ON " + bareTable + " (state, lease_deadline)");
                st.execute("CREATE INDEX ON " + bareTable + " (created_at)");
                st.execute("CREATE TABLE " + business + " (id VARCHAR(128) PRIMARY KEY, amount BIGINT NOT NULL)");
            }
            bareInsert = "INSERT INTO " + bareTable + " (record_id, idem_key, scope, state, fingerprint, fencing_token,"
                    + " lease_owner, lease_deadline, created_at, expires_at) VALUES (?, ?, ?, 'IN_PROGRESS', ?, ?, ?,"
                    + " ?, ?, ?) ON CONFLICT (record_id) DO NOTHING";
            bareUpdate = "UPDATE " + bareTable + " SET state = 'COMPLETED', completed_at = ?, expires_at = ?,"
                    + " status = ?, headers = ?, body = ?, body_retained = 1 WHERE record_id = ? AND fencing_token = ?"
                    + " AND state = 'IN_PROGRESS'";
            businessInsert = "INSERT INTO " + business + " (id, amount) VALUES (?, ?)";
            replayKeys = new IdempotencyKey[1024];
            for (int i = 0; i < replayKeys.length; i++) {
                replayKeys[i] = IdempotencyKey.of("replay-" + run + "-" + i);
                plainEngine.execute(SCOPE, replayKeys[i], FINGERPRINT, CallOptions.DEFAULTS, lease -> RESPONSE);
            }
        }

        IdempotencyKey nextKey() {
            return IdempotencyKey.of("k-" + run + "-" + counter.incrementAndGet());
        }

        @TearDown(Level.Trial)
        public void tearDown() throws SQLException {
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                for (String t : List.of(plain.tableName(), oneCommit.tableName(), twoCommits.tableName(), bareTable,
                        business)) {
                    st.execute("DROP TABLE IF EXISTS " + t);
                }
            }
            plainEngine.close();
            oneCommitEngine.close();
            twoCommitsEngine.close();
            dataSource.close();
        }
    }

    private static final Scope SCOPE = Scope.of("bench", "POST /payments");

    /** A first request through the engine and the plain store: one-statement claim + complete, two commits. */
    @Benchmark
    public Outcome engineFirstRequest(Db db) {
        return db.plainEngine.execute(SCOPE, db.nextKey(), FINGERPRINT, CallOptions.DEFAULTS, lease -> RESPONSE);
    }

    /** The same writes as bare statements through the same pool: insert-if-absent + update, two commits. */
    @Benchmark
    public int barePair(Db db) throws SQLException {
        IdempotencyKey key = db.nextKey();
        String id = SCOPE.recordId(key);
        long now = System.currentTimeMillis() * 1000;
        long token = ThreadLocalRandom.current().nextLong(1, 1L << 62);
        try (Connection c = db.dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(db.bareInsert)) {
                ps.setString(1, id);
                ps.setString(2, key.value());
                ps.setString(3, SCOPE.toString());
                ps.setBytes(4, FINGERPRINT.bytes());
                ps.setLong(5, token);
                ps.setString(6, "bench");
                ps.setLong(7, now + 30_000_000L);
                ps.setLong(8, now);
                ps.setLong(9, now + 86_400_000_000L);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(db.bareUpdate)) {
                ps.setLong(1, now);
                ps.setLong(2, now + 86_400_000_000L);
                ps.setInt(3, 201);
                ps.setBytes(4, "Content-Type: application/json".getBytes(StandardCharsets.UTF_8));
                ps.setBytes(5, BODY_1K);
                ps.setString(6, id);
                ps.setLong(7, token);
                return ps.executeUpdate();
            }
        }
    }

    /** A replay through the engine: the one-statement claim, which returns the row without locking it. */
    @Benchmark
    public Outcome engineReplay(Db db) {
        IdempotencyKey key = db.replayKeys[ThreadLocalRandom.current().nextInt(db.replayKeys.length)];
        return db.plainEngine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> RESPONSE);
    }

    /** Transactional, claim inside the business transaction: claim + business insert + complete, one commit. */
    @Benchmark
    public Outcome transactionalOneCommit(Db db) {
        return transactional(db, db.oneCommit, db.oneCommitEngine);
    }

    /** Transactional, claim committed first (SELECT + insert): claim commit, then business insert + complete commit. */
    @Benchmark
    public Outcome transactionalTwoCommits(Db db) {
        return transactional(db, db.twoCommits, db.twoCommitsEngine);
    }

    private static Outcome transactional(Db db, TransactionalJdbcIdempotencyStore store, Idempotency engine) {
        IdempotencyKey key = db.nextKey();
        try {
            return engine.execute(SCOPE, key, FINGERPRINT, CallOptions.DEFAULTS, lease -> {
                try (PreparedStatement ps = store.currentConnection().prepareStatement(db.businessInsert)) {
                    ps.setString(1, key.value());
                    ps.setLong(2, 100);
                    ps.executeUpdate();
                }
                return RESPONSE;
            });
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
