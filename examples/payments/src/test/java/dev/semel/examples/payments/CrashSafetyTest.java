package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The default setup (H2 file under {@code ./data}, JDBC transactional mode) as a user runs it,
 * in a JVM of its own that is killed for real: what a client was told survives SIGKILL, and
 * what was in flight at SIGTERM finishes and is kept.
 */
class CrashSafetyTest {
    private static final int PAYMENTS = 40;

    private final Path workDir = Path.of("target", "test-data", "crash-" + UUID.randomUUID()).toAbsolutePath();

    @Test
    void everyPaymentAnsweredBeforeASigkillIsThereAfterTheRestartAndItsKeyReplays() throws Exception {
        List<Sent> sent;
        try (ChildService service = ChildService.start("crash-h2", workDir)) {
            sent = sendTogether(service.api(), "crash", PAYMENTS, "12.50");
            service.kill(); // right after the last answer arrived: no shutdown hook, no flush
            assertThat(sent).allSatisfy(s -> assertThat(s.reply.status()).as(s.reply.toString()).isEqualTo(201));

            service.start();
            assertEveryKeyReplaysItsPaymentOnce(service.api(), sent);
        }
    }

    @Test
    void aSigtermLetsTheRequestsInFlightFinishAndKeepTheirRecords() throws Exception {
        try (ChildService service = ChildService.start("graceful-h2", workDir, "--payments.provider.slow-latency=8s",
                // transactional mode holds a connection for each whole request: 6 in flight and up
                // to 6 probing duplicates waiting on their row locks must not queue for the
                // default 10 (that is a 503 store-unavailable, not what this test is about)
                "--spring.datasource.hikari.maximum-pool-size=16")) {
            Api api = service.api();
            int inFlight = 6;
            ExecutorService pool = Executors.newFixedThreadPool(2 * inFlight);
            List<Sent> sent = new ArrayList<>();
            try {
                List<Future<Api.Reply>> replies = new ArrayList<>();
                for (int i = 0; i < inFlight; i++) {
                    String key = UUID.randomUUID().toString();
                    String body = payment("9.99", "EUR", "slow-graceful-" + UUID.randomUUID());
                    sent.add(new Sent(key, body, null));
                    replies.add(pool.submit(() -> api.post("/payments", body, key)));
                }
                // Every request has claimed its key (a duplicate is told it is in progress)
                // before the signal: they are all in flight, inside the slow charge.
                List<Future<?>> checks = new ArrayList<>();
                for (Sent s : sent) {
                    checks.add(pool.submit(() -> awaitInProgress(api, s)));
                }
                for (Future<?> check : checks) {
                    check.get(60, TimeUnit.SECONDS);
                }
                int exit = service.terminate();

                for (int i = 0; i < inFlight; i++) {
                    Api.Reply reply = replies.get(i).get(60, TimeUnit.SECONDS);
                    // 409 only if the probing duplicate reached the server first and holds the key
                    assertThat(reply.status()).as("in-flight request %d answered during shutdown: %s", i, reply).isIn(201, 409);
                    sent.set(i, new Sent(sent.get(i).key, sent.get(i).body, reply));
                }
                assertThat(exit).as("exit code after SIGTERM").isIn(0, 143);
            } finally {
                pool.shutdownNow();
            }

            service.start();
            Api after = service.api();
            for (Sent s : sent) {
                Api.Reply replay = after.post("/payments", s.body, s.key);
                assertThat(replay.status()).as("the key is completed, not stuck in progress: %s", replay).isEqualTo(201);
                assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
                if (s.reply.status() == 201) {
                    assertThat(replay.bytes()).isEqualTo(s.reply.bytes());
                }
                String recipient = replay.json().get("recipient").asString();
                assertThat(after.get("/payments?recipient=" + recipient).json().size()).isEqualTo(1);
            }
        }
    }

    /**
     * Waits until the request has claimed its key: a duplicate is told 409, or (transactional
     * mode on H2) waits on the first one's row lock beyond a short client deadline. A duplicate
     * answered 201 would mean the first request had already finished.
     */
    private static void awaitInProgress(Api api, Sent s) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                Api.Reply duplicate = api.send(api.request("/payments").timeout(java.time.Duration.ofSeconds(1))
                        .header("Content-Type", "application/json").header("Idempotency-Key", s.key)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(s.body)));
                if (duplicate.status() == 409) {
                    return;
                }
                assertThat(duplicate.status()).as("a duplicate before the first finished: %s", duplicate).isNotEqualTo(201);
            } catch (java.io.UncheckedIOException e) {
                if (e.getCause() instanceof java.net.http.HttpTimeoutException) {
                    return; // waiting on the first request's record
                }
                throw e;
            }
            assertThat(System.nanoTime()).as("the slow request claimed its key").isLessThan(deadline);
        }
    }

    static List<Sent> sendTogether(Api api, String prefix, int count, String amount) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch ready = new CountDownLatch(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Sent>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = UUID.randomUUID().toString();
                String body = payment(amount, "EUR", prefix + "-" + UUID.randomUUID());
                boolean firstOfThread = i < 8;
                futures.add(pool.submit(() -> {
                    if (firstOfThread) {
                        ready.countDown();
                        go.await();
                    }
                    return new Sent(key, body, api.post("/payments", body, key));
                }));
            }
            ready.await();
            go.countDown();
            List<Sent> sent = new ArrayList<>();
            for (Future<Sent> future : futures) {
                sent.add(future.get(120, TimeUnit.SECONDS));
            }
            return sent;
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertEveryKeyReplaysItsPaymentOnce(Api api, List<Sent> sent) {
        for (Sent s : sent) {
            Api.Reply replay = api.post("/payments", s.body, s.key);
            assertThat(replay.status()).as("replay of %s after the restart: %s", s.key, replay).isEqualTo(201);
            assertThat(replay.header("Idempotent-Replayed")).as("replayed, not charged again").isEqualTo("true");
            assertThat(replay.bytes()).as("the same payment").isEqualTo(s.reply.bytes());
            String recipient = s.reply.json().get("recipient").asString();
            assertThat(api.get("/payments?recipient=" + recipient).json().size()).as("payments to " + recipient).isEqualTo(1);
            assertThat(api.get(s.reply.header("Location")).json()).isEqualTo(s.reply.json());
        }
    }

    record Sent(String key, String body, Api.Reply reply) {
    }
}
