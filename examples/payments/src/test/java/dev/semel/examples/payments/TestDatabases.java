package dev.semel.examples.payments;

import dev.semel.test.SharedServers;
import dev.semel.test.TestEnvironment;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/** Where the tests keep their databases. */
final class TestDatabases {
    private TestDatabases() {
    }

    /** A JDBC URL for an H2 database in a file, as the application uses by default. */
    static String h2File(Path directory) {
        return "jdbc:h2:file:" + directory.toAbsolutePath().resolve("payments") + ";LOCK_TIMEOUT=10000";
    }

    /**
     * A JDBC URL for a fresh schema of its own in PostgreSQL: the server named by
     * {@code SEMEL_TEST_POSTGRES_URL}, else an embedded one started once per JVM. Other
     * engineers' tests on the same server never see these tables.
     */
    static String postgresSchema(String prefix) {
        String server = TestEnvironment.variable("SEMEL_TEST_POSTGRES_URL").orElseGet(() ->
                SharedServers.getOrStart("payments-postgres", () -> EmbeddedPostgres.builder().start())
                        .getJdbcUrl("postgres", "postgres"));
        String schema = (prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)).toLowerCase(Locale.ROOT);
        try (Connection connection = DriverManager.getConnection(server);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create schema " + schema + " at " + server, e);
        }
        return server + (server.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
