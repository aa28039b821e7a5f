package dev.semel.examples.payments;

import java.nio.file.Path;

/** Where the tests keep their databases. */
final class TestDatabases {
    private TestDatabases() {
    }

    /** A JDBC URL for an H2 database in a file, as the application uses by default. */
    static String h2File(Path directory) {
        return "jdbc:h2:file:" + directory.toAbsolutePath().resolve("payments") + ";LOCK_TIMEOUT=10000";
    }
}
