package dev.semel.benchmarks.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Purges {@code rows} expired rows (default 1,000,000) from PostgreSQL in batches while one
 * thread keeps claiming new keys, and reports the purge time and the slowest claim seen
 * during it.
 *
 * <pre>{@code
 * java -cp semel-benchmarks/target/benchmarks.jar dev.semel.benchmarks.jdbc.PurgeScenario 1000000 10000
 * }</pre>
 */
public final class PurgeScenario {
    private PurgeScenario() {
    }

    /**
     * Runs the scenario.
     *
     * @param args row count, batch size
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        String url = System.getenv().getOrDefault("SEMEL_TEST_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        String table = "bench_purge_" + Long.toString(System.nanoTime(), 36);
        try (HikariDataSource ds = new HikariDataSource(config);
                JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(ds).tableName(table)
                        .createTableIfMissing(true).purgeBatchSize(batch).build()) {
            long fill = System.nanoTime();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("INSERT INTO " + table + " (record_id, idem_key, scope, state, fingerprint, fencing_token,"
                        + " lease_owner, lease_deadline, created_at, completed_at, expires_at, status, headers, body,"
                        + " body_retained) SELECT md5(g::text) || md5((g + 1)::text), 'k' || g, 'bench', 'COMPLETED',"
                        + " decode(md5(g::text) || md5(g::text), 'hex'), 1, 'o', 0, 0, 0, 1, 201, ''::bytea,"
                        + " ''::bytea, 1 FROM generate_series(1, " + rows + ") g");
                st.execute("ANALYZE " + table);
            }
            System.out.printf("filled %,d expired rows in %.1f s%n", rows, (System.nanoTime() - fill) / 1e9);

            AtomicBoolean purging = new AtomicBoolean(true);
            AtomicLong slowestClaimNanos = new AtomicLong();
            AtomicLong claims = new AtomicLong();
            Thread claimer = new Thread(() -> {
                Scope scope = Scope.of("bench", "purge");
                while (purging.get()) {
                    Instant now = Instant.now();
                    IdempotencyKey key = IdempotencyKey.of("live-" + claims.incrementAndGet());
                    long start = System.nanoTime();
                    store.claim(new ClaimRequest(scope.recordId(key), key.value(), scope.toString(), new byte[32],
                            "o", 1, now.plusSeconds(30), now.plus(Duration.ofHours(1)), now));
                    slowestClaimNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
            });
            claimer.start();
            long start = System.nanoTime();
            long purged = store.purgeAllExpired(Instant.now());
            double seconds = (System.nanoTime() - start) / 1e9;
            purging.set(false);
            claimer.join();
            System.out.printf("purged %,d rows in batches of %,d in %.1f s; %,d concurrent claims, slowest %.1f ms%n",
                    purged, batch, seconds, claims.get(), slowestClaimNanos.get() / 1e6);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE " + table);
            }
        }
    }
}
