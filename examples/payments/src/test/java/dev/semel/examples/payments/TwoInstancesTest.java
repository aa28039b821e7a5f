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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
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
        first = start(database);
        second = start(database);
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

    private static ConfigurableApplicationContext start(String database) {
        return new SpringApplicationBuilder(PaymentsApplication.class).run(
                "--server.port=0", "--spring.main.banner-mode=off", "--payments.provider.latency=0ms",
                "--spring.datasource.url=" + database);
    }

    private static Api api(ConfigurableApplicationContext context) {
        return Api.onPort(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }

    @Test
    void aRetrySentToTheOtherInstanceIsReplayed() {
        String key = UUID.randomUUID().toString();
        String body = payment("12.50", "EUR", "two-" + UUID.randomUUID());

        Api.Reply original = api(first).post("/payments", body, key);
        Api.Reply retry = api(second).post("/payments", body, key);

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
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Integer> statuses = new ArrayList<>();
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Api api = api(i % 2 == 0 ? first : second);
                futures.add(pool.submit(() -> {
                    start.await();
                    return api.post("/payments", body, key).status();
                }));
            }
            start.countDown();
            for (Future<Integer> future : futures) {
                statuses.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(statuses).allSatisfy(status -> assertThat(status).isIn(201, 409)).contains(201);
        assertThat(api(first).get("/payments?recipient=" + to).json().size()).isEqualTo(1);
    }
}
