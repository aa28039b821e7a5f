package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of the service on one PostgreSQL database behave as one service: a retry sent
 * to the other instance is replayed, and duplicates racing across both charge once.
 */
class TwoInstancesTest {
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;

    @BeforeAll
    static void startTwoInstances() {
        String database = TestDatabases.postgresSchema("payments_two");
        first = Api.startService(database);
        second = Api.startService(database);
    }

    @AfterAll
    static void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }


    @Test
    void aRetrySentToTheOtherInstanceIsReplayed() {
        String key = UUID.randomUUID().toString();
        String body = payment("12.50", "EUR", "two-" + UUID.randomUUID());

        Api.Reply original = Api.of(first).post("/payments", body, key);
        Api.Reply retry = Api.of(second).post("/payments", body, key);

        assertThat(original.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(original.bytes());
    }

    @Test
    void duplicatesRacingAcrossBothInstancesChargeOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        String to = "two-" + UUID.randomUUID();
        String body = payment("3.00", "EUR", to);
        int threads = 20;
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Integer> statuses = new ArrayList<>();
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Api api = Api.of(i % 2 == 0 ? first : second);
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return api.post("/payments", body, key).status();
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("every thread parked at the start gate").isTrue();
            start.countDown();
            for (Future<Integer> future : futures) {
                statuses.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(statuses).allSatisfy(status -> assertThat(status).isIn(201, 409)).contains(201);
        assertThat(Api.of(first).get("/payments?recipient=" + to).json().size()).isEqualTo(1);
    }
}
