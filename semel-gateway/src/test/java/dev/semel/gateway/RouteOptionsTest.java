package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyAdmin;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.test.redis.TestRedis;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A route's own {@code ttl} and {@code lease} arguments ({@code Idempotency=false, 2s, 7s}) take
 * effect, as the records in the store show: the engine's are 24 h and 30 s.
 */
class RouteOptionsTest {
    private static CountingUpstream upstream;
    private static CountingUpstream slow;
    private static DyingUpstream dying;
    private static ConfigurableApplicationContext gateway;
    private static String url;
    private static IdempotencyAdmin admin;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        slow = new CountingUpstream(); // holds its /held requests until released
        dying = new DyingUpstream();
        gateway = Gateways.start(Gateways.arguments(upstream.url(), dying.url(), List.of(
                "--semel.store.type=redis",
                "--spring.data.redis.url=" + TestRedis.url(),
                "--semel.store.redis.key-prefix=semel-route-options-" + UUID.randomUUID() + ":",
                "--semel.ttl=24h",
                "--semel.lease=30s"), List.of(
                Map.entry("short-ttl|" + upstream.url() + "|Path=/short/**", List.of("Idempotency=false, 2s")),
                Map.entry("short-lease|" + slow.url() + "|Path=/leased/**",
                        List.of("StripPrefix=1", "Idempotency=false, 1h, 7s")))));
        url = Gateways.url(gateway);
        admin = gateway.getBean(Idempotency.class).admin();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
        slow.close();
        dying.close();
    }

    /** The one record of a key, read through the store ({@code query}, then {@code find}), if it exists. */
    private static Optional<IdempotencyRecord> record(String key) {
        List<IdempotencyRecord> found = admin.records(new RecordQuery(key, null, null, null, 10));
        assertThat(found).hasSizeLessThanOrEqualTo(1);
        return found.isEmpty() ? Optional.empty() : admin.record(found.get(0).recordId());
    }

    @Test
    void aRouteTtlSetsTheRecordsExpiryAndARetryAfterItRunsAgain() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> first = send(post(url + "/short/s1", key, "{}"));
        HttpResponse<byte[]> replay = send(post(url + "/short/s1", key, "{}"));

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        IdempotencyRecord stored = record(key).orElseThrow();
        assertThat(stored.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(Duration.between(stored.completedAt(), stored.expiresAt()))
                .as("the route's 2 s, not the engine's 24 h")
                .isEqualTo(Duration.ofSeconds(2));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (record(key).isPresent()) {
            assertThat(System.nanoTime()).as("the record expires").isLessThan(deadline);
            Thread.sleep(100);
        }
        HttpResponse<byte[]> afterExpiry = send(post(url + "/short/s1", key, "{}"));

        assertThat(afterExpiry.statusCode()).isEqualTo(201);
        assertThat(afterExpiry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(afterExpiry.body()).isEqualTo(CountingUpstream.body("/short/s1", key, 2));
        assertThat(upstream.executions("/short/s1", key)).isEqualTo(2);
    }

    @Test
    void aRouteLeaseIsTheLeaseOfItsRunningRequest() throws Exception {
        String key = UUID.randomUUID().toString();
        CompletableFuture<HttpResponse<byte[]>> running = CompletableFuture.supplyAsync(
                () -> send(post(url + "/leased/held/l1", key, "{}")));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            Optional<IdempotencyRecord> inProgress = record(key);
            while (inProgress.isEmpty() || slow.executions("/held/l1", key) == 0) {
                assertThat(System.nanoTime()).as("the request reaches the upstream").isLessThan(deadline);
                Thread.sleep(20);
                inProgress = record(key);
            }
            IdempotencyRecord record = inProgress.get();

            assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
            // a renewal may have moved the deadline on by the time it is read, never to the engine's 30 s
            assertThat(Duration.between(record.createdAt(), record.leaseDeadline()))
                    .as("the route's 7 s lease, not the engine's 30 s")
                    .isBetween(Duration.ofSeconds(7), Duration.ofSeconds(12));
        } finally {
            slow.release();
        }
        HttpResponse<byte[]> first = running.get(60, TimeUnit.SECONDS);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(record(key).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
    }
}
