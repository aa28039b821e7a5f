package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
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

/** Two gateway instances (two application contexts) on one Redis share every key. */
class TwoGatewaysTest {
    private static CountingUpstream upstream;
    private static DyingUpstream dying;
    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        dying = new DyingUpstream();
        String prefix = "semel-gateway-two-" + UUID.randomUUID() + ":";
        first = Gateways.start(Gateways.arguments(upstream.url(), dying.url(), prefix));
        second = Gateways.start(Gateways.arguments(upstream.url(), dying.url(), prefix));
    }

    @AfterAll
    static void stop() throws Exception {
        for (ConfigurableApplicationContext context : new ConfigurableApplicationContext[] {first, second}) {
            if (context != null) {
                context.close();
            }
        }
        upstream.close();
        dying.close();
    }

    @Test
    void aRetryThroughTheOtherInstanceIsReplayed() {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> viaFirst = send(post(Gateways.url(first) + "/payments/t1", key, "{\"amount\":3}"));
        HttpResponse<byte[]> viaSecond = send(post(Gateways.url(second) + "/payments/t1", key, "{\"amount\":3}"));

        assertThat(viaFirst.statusCode()).isEqualTo(201);
        assertThat(viaSecond.statusCode()).isEqualTo(201);
        assertThat(viaSecond.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(viaSecond.body()).isEqualTo(viaFirst.body());
        assertThat(upstream.executions("/payments/t1", key)).isEqualTo(1);
    }

    @Test
    void duplicatesReleasedTogetherThroughBothInstancesRunTheUpstreamOnce() throws Exception {
        int n = 10;
        String key = UUID.randomUUID().toString();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String url = Gateways.url(i % 2 == 0 ? first : second);
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return send(post(url + "/payments/t2", key, "{\"amount\":4}"));
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            int fresh = 0;
            for (Future<HttpResponse<byte[]>> future : futures) {
                HttpResponse<byte[]> response = future.get(60, TimeUnit.SECONDS);
                assertThat(response.statusCode()).isIn(201, 409);
                if (response.statusCode() == 201) {
                    assertThat(response.body()).isEqualTo(CountingUpstream.body("/payments/t2", key, 1));
                    if (response.headers().firstValue("Idempotent-Replayed").isEmpty()) {
                        fresh++;
                    }
                }
            }
            assertThat(fresh).isEqualTo(1);
            assertThat(upstream.executions("/payments/t2", key)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }
}
