package dev.semel.test.redis;

import dev.semel.test.SharedServers;
import dev.semel.test.TestEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;
import redis.embedded.RedisShardedCluster;
import redis.embedded.core.RedisServerBuilder;

/**
 * Redis servers for tests: the one {@code SEMEL_TEST_REDIS_URL} names when it is set, else
 * an embedded {@code redis-server} started once per JVM; plus private servers and clusters
 * that a test owns (to stop, restart or flush them without touching anyone else's Redis).
 *
 * <p>Needs {@code com.github.codemonstur:embedded-redis} on the test class path (semel-test
 * declares it optional).
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create(TestRedis.url());
 * try (TestRedis.Server own = TestRedis.startPrivate()) {
 *     own.stop();   // only this test's server goes down
 *     own.start();  // back on the same port
 * }
 * }</pre>
 */
public final class TestRedis {
    /** The variable naming a running Redis, e.g. {@code redis://127.0.0.1:6379}. */
    public static final String URL_VARIABLE = "SEMEL_TEST_REDIS_URL";

    static {
        try {
            // a build may point java.io.tmpdir into its target folder, which starts out missing
            Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Duration CLUSTER_READY_TIMEOUT = Duration.ofSeconds(30);

    private TestRedis() {
    }

    /**
     * Returns the URL of a Redis that tests may share (use a unique key prefix per test class).
     *
     * @return {@code SEMEL_TEST_REDIS_URL} when set, else the URL of an embedded server
     */
    public static String url() {
        return TestEnvironment.variable(URL_VARIABLE)
                .orElseGet(() -> SharedServers.getOrStart("redis", () -> startPrivate()).url());
    }

    /**
     * Whether {@link #url()} points at a server named by the environment rather than an embedded one.
     *
     * @return {@code true} if {@code SEMEL_TEST_REDIS_URL} is set
     */
    public static boolean external() {
        return TestEnvironment.variable(URL_VARIABLE).isPresent();
    }

    /**
     * Starts an embedded standalone Redis on a free port that only the caller uses.
     *
     * @param settings extra {@code redis.conf} lines, e.g. {@code "appendonly yes"} so that
     *     data survives {@link Server#stop()} and {@link Server#start()}
     * @return the running server; close it when done
     */
    public static Server startPrivate(String... settings) {
        Server server = new Server(freePort(), null, settings);
        server.start();
        return server;
    }

    /**
     * The {@code redis-server} on {@code PATH} when it is Redis 7 or later: the embedded server
     * is Redis 6.2, so tests of Redis 7 behaviour ({@code SET NX GET}) start this binary instead.
     *
     * @return the binary, or empty when there is none on {@code PATH} or it is older than 7
     */
    public static java.util.Optional<Path> redis7OnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return java.util.Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return majorVersion(candidate) >= 7 ? java.util.Optional.of(candidate) : java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }

    /** The major version {@code redis-server --version} reports ({@code v=7.0.15}), or 0 if unknown. */
    static int majorVersion(Path redisServer) {
        try {
            Process process = new ProcessBuilder(redisServer.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return 0;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("v=(\\d+)\\.").matcher(out);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * Starts a private Redis 7 (or later) from the {@code redis-server} on {@code PATH}, on a free
     * port, when there is one (see {@link #redis7OnPath()}).
     *
     * @param settings extra {@code redis.conf} lines
     * @return the running server (close it when done), or empty when no Redis 7 binary is on {@code PATH}
     */
    public static java.util.Optional<Server> startPrivateRedis7(String... settings) {
        return redis7OnPath().map(binary -> {
            Server server = new Server(freePort(), binary, settings);
            server.start();
            return server;
        });
    }

    /**
     * Starts a real three-master Redis Cluster (no replicas) on free ports.
     *
     * @return the running cluster; close it when done (also deletes its temp folders)
     */
    public static Cluster startCluster() {
        Set<Path> before = redisTempFolders();
        try {
            RedisShardedCluster cluster = RedisShardedCluster.newRedisCluster()
                    .ephemeral()
                    .shard("a", 0)
                    .shard("b", 0)
                    .shard("c", 0)
                    .build();
            cluster.start();
            try {
                awaitClusterStateOk(cluster.serverPorts());
            } catch (RuntimeException e) {
                cluster.stop();
                throw e;
            }
            return new Cluster(cluster, before);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start an embedded Redis Cluster", e);
        }
    }

    /**
     * Waits until every master reports {@code cluster_state:ok} with all slots assigned. The
     * embedded cluster's own start only checks one node; the others learn the slot map by
     * gossip a moment later and answer {@code CLUSTERDOWN} until then.
     */
    private static void awaitClusterStateOk(List<Integer> ports) {
        long deadline = System.nanoTime() + CLUSTER_READY_TIMEOUT.toNanos();
        for (int port : ports) {
            String info = "";
            while (!clusterReady(info)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("The embedded Redis Cluster node on port " + port
                            + " did not reach cluster_state:ok within " + CLUSTER_READY_TIMEOUT + ": " + info);
                }
                try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                    info = jedis.clusterInfo();
                } catch (RuntimeException e) {
                    info = e.toString();
                }
                if (!clusterReady(info)) {
                    sleep(Duration.ofMillis(50));
                }
            }
        }
    }

    private static boolean clusterReady(String clusterInfo) {
        return clusterInfo.contains("cluster_state:ok") && clusterInfo.contains("cluster_slots_ok:16384");
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the embedded Redis Cluster", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<Path> redisTempFolders() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("redis-") && Files.isDirectory(p))
                    .collect(Collectors.toCollection(HashSet::new));
        } catch (IOException e) {
            return new HashSet<>();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // best effort: a folder left in the temp dir is harmless
        }
    }

    /** An embedded standalone Redis that one test owns: it may stop and restart it on the same port. */
    public static final class Server implements AutoCloseable {
        private final int port;
        private final Path dataDir;
        private final RedisServer server;

        private Server(int port, Path executable, String... settings) {
            this.port = port;
            try {
                this.dataDir = Files.createTempDirectory("redis-data-");
                RedisServerBuilder builder = RedisServer.newRedisServer();
                if (executable != null) {
                    builder.executableProvider(executable::toFile);
                }
                builder.port(port)
                        .setting("dir " + dataDir.toAbsolutePath())
                        .setting("bind 127.0.0.1")
                        .setting("save \"\"");
                for (String setting : settings) {
                    builder.setting(setting);
                }
                this.server = builder.build();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not configure an embedded Redis", e);
            }
        }

        /** @return the server's port */
        public int port() {
            return port;
        }

        /** @return {@code redis://127.0.0.1:<port>} */
        public String url() {
            return "redis://127.0.0.1:" + port;
        }

        /** Starts (or restarts) the server on its port. */
        public synchronized void start() {
            try {
                if (!server.isActive()) {
                    server.start();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start the embedded Redis on port " + port, e);
            }
        }

        /** Stops the server; {@link #start()} brings it back, empty, on the same port. */
        public synchronized void stop() {
            try {
                if (server.isActive()) {
                    server.stop();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not stop the embedded Redis on port " + port, e);
            }
        }

        @Override
        public void close() {
            try {
                stop();
            } finally {
                deleteTree(dataDir);
            }
        }
    }

    /** An embedded three-master Redis Cluster that one test owns. */
    public static final class Cluster implements AutoCloseable {
        private final RedisShardedCluster cluster;
        private final Set<Path> foldersBefore;

        private Cluster(RedisShardedCluster cluster, Set<Path> foldersBefore) {
            this.cluster = cluster;
            this.foldersBefore = foldersBefore;
        }

        /** @return one {@code redis://} URL per master, to seed a cluster client */
        public List<String> urls() {
            return cluster.serverPorts().stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.toList());
        }

        @Override
        public void close() {
            try {
                cluster.stop();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not stop the embedded Redis Cluster", e);
            } finally {
                Set<Path> now = redisTempFolders();
                now.removeAll(foldersBefore);
                now.forEach(TestRedis::deleteTree);
            }
        }
    }
}
