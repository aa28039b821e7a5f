package dev.semel.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.jdbc.TestPostgres;
import dev.semel.test.redis.TestRedis;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chaos suite: three instances of the payments service, each a JVM of its own, on one
 * store server this test starts itself. Client threads send every key several times, to random
 * instances, and retry each send with the same key until it gets a final answer, while instances
 * are killed with SIGKILL and restarted, and while the store server is stopped and started.
 *
 * <p>What must hold: exactly one payment per key; every final answer for a key carries the same
 * payment, byte for byte; no acknowledged payment lost; no 5xx but 503 with {@code Retry-After};
 * every instance answers again, without a restart, once the store is back.
 *
 * <p>Two set-ups: PostgreSQL holds payments and records (JDBC transactional mode, the record
 * commits with the payment); Redis holds the records and the payments stay in PostgreSQL (never
 * stopped here), the one place where three instances can be counted, as a real deployment
 * of the Redis switch would share its database.
 *
 * <p>Size: CI by default (150 keys × 5 sends, 2 kills, 1 outage per store); the full size with
 * {@code -Dchaos.full=true} (1,000 keys × 20 sends, 4 kills, 2 outages), see
 * semel-benchmarks/RESULTS.md. Every figure can be set: {@code -Dchaos.keys}, {@code
 * -Dchaos.duplicates}, {@code -Dchaos.kills}, {@code -Dchaos.outages}, {@code -Dchaos.threads}.
 * Traffic goes to 127.0.0.1 only; only the servers and JVMs this test started are stopped.
 */
class ChaosTest {
    private static final boolean FULL = Boolean.getBoolean("chaos.full");
    private static final int KEYS = Integer.getInteger("chaos.keys", FULL ? 1000 : 150);
    private static final int DUPLICATES = Integer.getInteger("chaos.duplicates", FULL ? 20 : 5);
    private static final int KILLS = Integer.getInteger("chaos.kills", FULL ? 4 : 2);
    private static final int OUTAGES = Integer.getInteger("chaos.outages", FULL ? 2 : 1);
    private static final int THREADS = Integer.getInteger("chaos.threads", 16);
    private static final Duration OUTAGE = Duration.ofSeconds(3);
    private static final Duration GIVE_UP = Duration.ofSeconds(180);
    private static final int INSTANCES = 3;

    private static final String AUTHORIZATION = "Basic "
            + Base64.getEncoder().encodeToString("alice:alice".getBytes(StandardCharsets.UTF_8));
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private final String run = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
    private final Path workDir = Path.of("target", "test-data", run).toAbsolutePath();

    @Test
    void threeInstancesOnOnePostgresChargeEveryKeyOnceThroughKillsAndAnOutage() throws Exception {
        try (TestPostgres.Server postgres = TestPostgres.startPrivate()) {
            Store store = new Store("postgres", postgres::stop, postgres::start);
            chaos(store, postgres.jdbcUrl(), List.of("--spring.datasource.url=" + postgres.jdbcUrl()));
        }
    }

    @Test
    void threeInstancesOnOneRedisChargeEveryKeyOnceThroughKillsAndAnOutage() throws Exception {
        try (TestPostgres.Server postgres = TestPostgres.startPrivate();
             // the records survive the outage (a Redis that loses them cannot keep the promise)
             TestRedis.Server redis = TestRedis.startPrivate("appendonly yes", "appendfsync always")) {
            Store store = new Store("redis", redis::stop, redis::start);
            chaos(store, postgres.jdbcUrl(), List.of(
                    "--spring.datasource.url=" + postgres.jdbcUrl(),
                    "--semel.store.type=redis",
                    "--spring.data.redis.url=" + redis.url()));
        }
    }

    private void chaos(Store store, String paymentsDatabase, List<String> settings) throws Exception {
        Report report = new Report(store.name);
        List<String> all = new ArrayList<>(settings);
        // a killed instance's lease runs out in 5 s (default 30 s), to keep the suite short
        all.add("--semel.lease=5s");
        List<ChildService> instances = startAll(store.name, all);
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        try {
            List<Key> keys = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                keys.add(new Key(UUID.randomUUID().toString(), run + "-" + store.name + "-" + i));
            }
            List<Key> sends = new ArrayList<>();
            for (Key key : keys) {
                for (int d = 0; d < DUPLICATES; d++) {
                    sends.add(key);
                }
            }
            Collections.shuffle(sends, new Random(42));

            int events = KILLS + OUTAGES;
            List<List<Key>> chunks = chunks(sends, events + 1);
            int kills = 0;
            int outages = 0;
            for (int c = 0; c < chunks.size(); c++) {
                List<Future<?>> inFlight = new ArrayList<>();
                CountDownLatch begun = new CountDownLatch(Math.min(THREADS, chunks.get(c).size()));
                for (Key key : chunks.get(c)) {
                    inFlight.add(clients.submit(() -> {
                        begun.countDown();
                        untilFinal(instances, key, report);
                    }));
                }
                begun.await();
                if (c < events) {
                    // alternate: kill, outage, kill, ... while this chunk's sends are in flight
                    boolean kill = (c % 2 == 0 && kills < KILLS) || outages >= OUTAGES;
                    if (kill) {
                        kills++;
                        ChildService victim = instances.get(ThreadLocalRandom.current().nextInt(INSTANCES));
                        victim.kill();
                        report.kills.incrementAndGet();
                        victim.start();
                    } else {
                        outages++;
                        store.stop.run();
                        report.outages.incrementAndGet();
                        pause(OUTAGE);
                        store.start.run();
                        long back = System.nanoTime();
                        for (ChildService instance : instances) {
                            Key probe = new Key(UUID.randomUUID().toString(),
                                    run + "-" + store.name + "-probe-" + UUID.randomUUID());
                            keys.add(probe);
                            untilFinal(List.of(instance), probe, report);
                            report.recovery(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
                        }
                    }
                }
                for (Future<?> send : inFlight) {
                    send.get(GIVE_UP.toSeconds() * 2, TimeUnit.SECONDS);
                }
            }

            // every key once more, to any instance: its record outlived the kills and the outage
            List<Future<?>> replays = new ArrayList<>();
            for (Key key : keys) {
                replays.add(clients.submit(() -> untilFinal(instances, key, report)));
            }
            for (Future<?> replay : replays) {
                replay.get(GIVE_UP.toSeconds() * 2, TimeUnit.SECONDS);
            }

            Map<String, List<String>> stored = paymentsIn(paymentsDatabase, run + "-" + store.name + "-");
            report.print(KEYS, DUPLICATES, stored, paymentsFoundAgain());
            assertThat(report.violations).as("answers that break the promise").isEmpty();
            for (Key key : keys) {
                assertThat(key.finals).as("final answers for %s", key.recipient).isNotEmpty();
                String first = key.finals.peek();
                assertThat(key.finals).as("every final answer for %s carries the same payment", key.recipient)
                        .allSatisfy(body -> assertThat(body).isEqualTo(first));
                String id = Api.JSON.readTree(first).get("id").asString();
                assertThat(stored.get(key.recipient)).as("payments to %s (acknowledged %s)", key.recipient, id)
                        .containsExactly(id);
            }
            assertThat(stored.values().stream().mapToInt(List::size).sum()).as("payments in all").isEqualTo(keys.size());
            assertThat(report.kills.get()).isEqualTo(KILLS);
            assertThat(report.outages.get()).isEqualTo(OUTAGES);
        } finally {
            clients.shutdownNow();
            instances.forEach(ChildService::close);
        }
    }

    /** Sends the key's payment to random instances until an answer is final (201), as a retrying client does. */
    private static void untilFinal(List<ChildService> instances, Key key, Report report) {
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        while (true) {
            ChildService instance = instances.get(ThreadLocalRandom.current().nextInt(instances.size()));
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.port() + "/payments"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", AUTHORIZATION)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", key.key)
                    .POST(HttpRequest.BodyPublishers.ofString(key.body()))
                    .build();
            long start = System.nanoTime();
            report.requests.incrementAndGet();
            try {
                HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 201) {
                    key.finals.add(response.body());
                    return;
                }
                if (status == 503) {
                    report.unavailable(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    if (response.headers().firstValue("Retry-After").isEmpty()) {
                        report.violations.add("503 without Retry-After for " + key.recipient + ": " + response.body());
                    }
                } else if (status == 409) {
                    report.inProgress.incrementAndGet();
                } else {
                    report.violations.add(status + " for " + key.recipient + ": " + response.body());
                }
            } catch (IOException e) {
                report.connectionFailures.incrementAndGet(); // the instance is down or was killed mid-request
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                report.violations.add("no final answer within " + GIVE_UP + " for " + key.recipient);
                return;
            }
            pause(Duration.ofMillis(100));
        }
    }

    private List<ChildService> startAll(String name, List<String> settings) throws Exception {
        ExecutorService starter = Executors.newFixedThreadPool(INSTANCES);
        try {
            List<Future<ChildService>> started = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                String instance = name + "-" + i;
                started.add(starter.submit(() -> ChildService.start(run + "-" + instance, workDir.resolve(instance),
                        settings.toArray(String[]::new))));
            }
            List<ChildService> instances = new ArrayList<>();
            for (Future<ChildService> future : started) {
                instances.add(future.get(5, TimeUnit.MINUTES));
            }
            return instances;
        } finally {
            starter.shutdown();
        }
    }

    /** How often an instance found the payment of a key whose record was lost (see PaymentsController). */
    private long paymentsFoundAgain() throws IOException {
        Path logs = Path.of("target", "child-logs");
        long found = 0;
        try (Stream<Path> files = Files.list(logs)) {
            for (Path log : (Iterable<Path>) files.filter(f -> f.getFileName().toString().startsWith(run))::iterator) {
                try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
                    found += lines.filter(l -> l.contains("was already made for this idempotency key")).count();
                }
            }
        }
        return found;
    }

    private static Map<String, List<String>> paymentsIn(String jdbcUrl, String recipientPrefix) throws SQLException {
        Map<String, List<String>> byRecipient = new HashMap<>();
        try (Connection connection = DriverManager.getConnection(jdbcUrl);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT recipient, id FROM payments WHERE recipient LIKE '"
                     + recipientPrefix + "%'")) {
            while (rows.next()) {
                byRecipient.computeIfAbsent(rows.getString(1), r -> new ArrayList<>()).add(rows.getString(2));
            }
        }
        return byRecipient;
    }

    private static <T> List<List<T>> chunks(List<T> all, int count) {
        List<List<T>> chunks = new ArrayList<>();
        int size = (all.size() + count - 1) / count;
        for (int from = 0; from < all.size(); from += size) {
            chunks.add(all.subList(from, Math.min(all.size(), from + size)));
        }
        return chunks;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The store server under test: how to stop and start it. */
    private record Store(String name, Runnable stop, Runnable start) {
    }

    /** One idempotency key: one payment to a recipient of its own, sent many times. */
    private static final class Key {
        final String key;
        final String recipient;
        final Queue<String> finals = new ConcurrentLinkedQueue<>();

        Key(String key, String recipient) {
            this.key = key;
            this.recipient = recipient;
        }

        String body() {
            return Api.payment("4.20", "EUR", recipient);
        }
    }

    /** What the clients saw. */
    private static final class Report {
        final String store;
        final long started = System.nanoTime();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger inProgress = new AtomicInteger();
        final AtomicInteger connectionFailures = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        final AtomicInteger unavailableAfterOneSecond = new AtomicInteger();
        final AtomicLong longestUnavailableMillis = new AtomicLong();
        final AtomicLong longestRecoveryMillis = new AtomicLong();
        final AtomicInteger kills = new AtomicInteger();
        final AtomicInteger outages = new AtomicInteger();
        final Queue<String> violations = new ConcurrentLinkedQueue<>();

        Report(String store) {
            this.store = store;
        }

        void unavailable(long millis) {
            unavailable.incrementAndGet();
            if (millis > 1000) {
                unavailableAfterOneSecond.incrementAndGet();
            }
            longestUnavailableMillis.accumulateAndGet(millis, Math::max);
        }

        void recovery(long millis) {
            longestRecoveryMillis.accumulateAndGet(millis, Math::max);
        }

        void print(int keys, int duplicates, Map<String, List<String>> stored, long foundAgain) {
            long duplicated = stored.values().stream().filter(ids -> ids.size() > 1).count();
            String line = String.format(
                    "chaos[%s] keys=%d sends/key=%d requests=%d kills=%d outages=%d 201s-final=%d 409=%d 503=%d "
                            + "503-after-1s=%d connection-failures=%d longest-503-ms=%d longest-recovery-ms=%d "
                            + "duplicated-keys=%d found-again=%d violations=%d seconds=%d load=%s",
                    store, keys, duplicates, requests.get(), kills.get(), outages.get(), stored.size(), inProgress.get(),
                    unavailable.get(), unavailableAfterOneSecond.get(), connectionFailures.get(),
                    longestUnavailableMillis.get(), longestRecoveryMillis.get(), duplicated, foundAgain, violations.size(),
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), loadAverage());
            System.out.println(line);
            try {
                Path file = Path.of("target", "chaos-report.txt");
                Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                // the figures are on stdout too
            }
        }

        private static String loadAverage() {
            try (Stream<String> lines = Files.lines(Path.of("/proc/loadavg"))) {
                return lines.findFirst().map(l -> l.substring(0, l.indexOf(' ', l.indexOf(' ', l.indexOf(' ') + 1) + 1)))
                        .orElse("?").replace(' ', '/');
            } catch (IOException | RuntimeException e) {
                return "?";
            }
        }
    }
}
