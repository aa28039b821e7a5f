package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * The behaviour table through the gateway application (Spring Cloud Gateway, the Idempotency
 * filter, the Redis store) in front of a deliberately non-idempotent upstream.
 */
class IdempotencyGatewayFilterTest {
    private static CountingUpstream upstream;
    private static DyingUpstream dying;
    private static ConfigurableApplicationContext gateway;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        dying = new DyingUpstream();
        gateway = Gateways.start(Gateways.arguments(upstream.url(), dying.url(),
                "semel-gateway-test-" + UUID.randomUUID() + ":"));
        url = Gateways.url(gateway);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
        dying.close();
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    void replaysTheUpstreamResponseByteForByteWithoutReachingItAgain() {
        String key = key();
        HttpResponse<byte[]> first = send(post(url + "/payments/p1", key, "{\"amount\": 10}"));
        HttpResponse<byte[]> retry = send(post(url + "/payments/p1", key, "{\"amount\":10}"));

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.body()).isEqualTo(CountingUpstream.body("/payments/p1", key, 1));
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.headers().firstValue("X-Upstream-Execution")).hasValue("1");
        assertThat(retry.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
        assertThat(upstream.executions("/payments/p1", key)).isEqualTo(1);
    }

    @Test
    void aStormOfDuplicatesRunsTheUpstreamOnceAndTheOthersAreTurnedAway() throws Exception {
        int n = 12;
        String key = key();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(n - 1);
        try {
            List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    HttpResponse<byte[]> response = send(post(url + "/held/h1", key, "{\"amount\":5}"));
                    answered.countDown();
                    return response;
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            // the upstream holds the one request that reached it until every duplicate has its answer
            boolean duplicatesAnswered = answered.await(60, TimeUnit.SECONDS);
            upstream.release();
            assertThat(duplicatesAnswered).as("the duplicates were answered while the first one ran").isTrue();

            int created = 0;
            int conflicts = 0;
            for (Future<HttpResponse<byte[]>> future : futures) {
                HttpResponse<byte[]> response = future.get(60, TimeUnit.SECONDS);
                if (response.statusCode() == 201) {
                    created++;
                    assertThat(response.body()).isEqualTo(CountingUpstream.body("/held/h1", key, 1));
                } else {
                    assertThat(response.statusCode()).isEqualTo(409);
                    assertThat(response.headers().firstValue("Retry-After")).isPresent();
                    conflicts++;
                }
            }
            assertThat(created).isEqualTo(1);
            assertThat(conflicts).isEqualTo(n - 1);
            assertThat(upstream.executions("/held/h1", key)).isEqualTo(1);

            HttpResponse<byte[]> retry = send(post(url + "/held/h1", key, "{\"amount\":5}"));
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retry.body()).isEqualTo(CountingUpstream.body("/held/h1", key, 1));
            assertThat(upstream.executions("/held/h1", key)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aKeyReusedWithAnotherBodyIsRefusedWith422() {
        String key = key();
        assertThat(send(post(url + "/payments/p2", key, "{\"amount\":10}")).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> other = send(post(url + "/payments/p2", key, "{\"amount\":11}"));

        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(other.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(new String(other.body(), StandardCharsets.UTF_8)).contains("\"instance\":\"/payments/p2\"");
        assertThat(upstream.executions("/payments/p2", key)).isEqualTo(1);
    }

    @Test
    void anUpstream5xxIsNotStoredAndTheRetryReachesTheUpstreamAgain() {
        String key = key();
        HttpResponse<byte[]> first = send(post(url + "/flaky/f1", key, "{}"));
        HttpResponse<byte[]> retry = send(post(url + "/flaky/f1", key, "{}"));

        assertThat(first.statusCode()).isEqualTo(503);
        assertThat(new String(first.body(), StandardCharsets.US_ASCII)).isEqualTo("busy");
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(retry.body()).isEqualTo(CountingUpstream.body("/flaky/f1", key, 2));
        assertThat(upstream.executions("/flaky/f1", key)).isEqualTo(2);
    }

    @Test
    void anUpstreamThatDiesMidRequestGetsA502AndReleasesTheKey() {
        String key = key();
        int before = dying.requests();
        HttpResponse<byte[]> first = send(post(url + "/dying/d1", key, "{\"amount\":1}"));
        HttpResponse<byte[]> retry = send(post(url + "/dying/d1", key, "{\"amount\":1}"));

        assertThat(first.statusCode()).isEqualTo(502);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(retry.statusCode()).as("the key was released: the retry is no 409 nor a replay").isEqualTo(502);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(dying.requests() - before).as("both reached the upstream").isEqualTo(2);
    }

    @Test
    void anUpstreamResponsePastTheCaptureLimitIsStreamedOnceItsRecordIsCompletedAsNotRetained() throws Exception {
        String key = key();
        CompletableFuture<HttpResponse<InputStream>> first = Gateways.CLIENT.sendAsync(
                post(url + "/stream/s1", key, "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        try {
            // the upstream holds the rest of its body: what arrives now was streamed, not held whole
            HttpResponse<InputStream> head = first.get(30, TimeUnit.SECONDS);
            assertThat(head.statusCode()).isEqualTo(201);
            assertThat(head.body().readNBytes(CountingUpstream.STREAM_HEAD))
                    .isEqualTo("x".repeat(CountingUpstream.STREAM_HEAD).getBytes(StandardCharsets.US_ASCII));

            HttpResponse<byte[]> retry = send(post(url + "/stream/s1", key, "{}"));
            assertThat(retry.statusCode()).as("the record was complete before the first byte went out").isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retry.headers().firstValue("Idempotent-Body-Retained")).hasValue("false");
            assertThat(retry.body()).isEmpty();
        } finally {
            upstream.openStream();
        }
        byte[] rest = first.get(30, TimeUnit.SECONDS).body().readAllBytes();
        assertThat(rest).hasSize(CountingUpstream.STREAM_TAIL);
        assertThat(upstream.executions("/stream/s1", key)).isEqualTo(1);
    }

    @Test
    void theSameKeyOnTwoRoutesNeverCollides() {
        String key = key();
        HttpResponse<byte[]> a = send(post(url + "/orders/o1", key, "{}").header("X-Tenant", "a"));
        HttpResponse<byte[]> b = send(post(url + "/orders/o1", key, "{}").header("X-Tenant", "b"));
        HttpResponse<byte[]> aAgain = send(post(url + "/orders/o1", key, "{}").header("X-Tenant", "a"));

        assertThat(a.statusCode()).isEqualTo(201);
        assertThat(b.statusCode()).isEqualTo(201);
        assertThat(b.headers().firstValue("Idempotent-Replayed")).as("route tenant-b is not route tenant-a").isEmpty();
        assertThat(aAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(upstream.executions("/orders/o1", key)).isEqualTo(2);
    }

    @Test
    void theTrustedCallerHeaderSeparatesCallersWithTheSameCredentials() {
        String key = key();
        HttpResponse<byte[]> alice = send(post(url + "/payments/c1", key, "{}").header("X-Caller", "alice"));
        HttpResponse<byte[]> bob = send(post(url + "/payments/c1", key, "{}").header("X-Caller", "bob"));
        HttpResponse<byte[]> aliceAgain = send(post(url + "/payments/c1", key, "{}").header("X-Caller", "alice"));

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(aliceAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(upstream.executions("/payments/c1", key)).isEqualTo(2);
    }

    @Test
    void withoutACallerHeaderTheCredentialSeparatesCallers() {
        String key = key();
        HttpResponse<byte[]> alice = send(post(url + "/payments/c2", key, "{}"));
        HttpResponse<byte[]> carol = send(post(url + "/payments/c2", key, "{}")
                .setHeader("Authorization", "Bearer carol-token"));
        HttpResponse<byte[]> anonymous = send(HttpRequest.newBuilder(URI.create(url + "/payments/c2"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(carol.statusCode()).isEqualTo(201);
        assertThat(carol.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(anonymous.statusCode()).as("a keyed request without any credential").isEqualTo(400);
        assertThat(upstream.executions("/payments/c2", key)).isEqualTo(2);
    }

    @Test
    void aRouteArgumentRequiresAKey() {
        HttpResponse<byte[]> missing = send(post(url + "/required/payments/r1", null, "{}"));
        String key = key();
        HttpResponse<byte[]> keyed = send(post(url + "/required/payments/r1", key, "{}"));
        HttpResponse<byte[]> retry = send(post(url + "/required/payments/r1", key, "{}"));

        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(upstream.executions("/payments/r1", "null")).isZero();
        assertThat(keyed.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(upstream.executions("/payments/r1", key)).isEqualTo(1);
    }

    @Test
    void theShortcutProtectsItsPathsAndProxiesTheRest() {
        String key = key();
        HttpResponse<byte[]> first = send(post(url + "/shortcut/s1", key, "{}"));
        HttpResponse<byte[]> retry = send(post(url + "/shortcut/s1", key, "{}"));
        HttpResponse<byte[]> elsewhere = send(post(url + "/unprotected/u1", key, "{}"));
        HttpResponse<byte[]> elsewhereAgain = send(post(url + "/unprotected/u1", key, "{}"));

        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(upstream.executions("/shortcut/s1", key)).isEqualTo(1);
        assertThat(elsewhereAgain.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(elsewhere.statusCode()).isEqualTo(201);
        assertThat(upstream.executions("/unprotected/u1", key)).as("not protected: runs each time").isEqualTo(2);
    }

    @Test
    void unprotectedRequestsPassThroughWithBodiesBeyondTheCaptureLimits() {
        int large = 3 * 1024 * 1024; // three times the default request and response limits
        HttpResponse<byte[]> download = send(HttpRequest.newBuilder(URI.create(url + "/large?bytes=" + large)).GET());
        HttpResponse<byte[]> upload = send(HttpRequest.newBuilder(URI.create(url + "/size"))
                .header("Authorization", "Bearer alice-token")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[large])));
        // over the 1 MiB limit, within the 2 MiB a refusal reads and drops: answered on an open
        // connection (past 2 MiB the connection closes while the client sends, and it may see a reset)
        HttpResponse<byte[]> keyedUpload = send(HttpRequest.newBuilder(URI.create(url + "/size"))
                .header("Authorization", "Bearer alice-token").header("Idempotency-Key", key())
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[3 * 512 * 1024])));

        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).hasSize(large);
        assertThat(upload.statusCode()).as("no key on a route that does not require one: proxied").isEqualTo(201);
        assertThat(new String(upload.body(), StandardCharsets.US_ASCII)).isEqualTo(Integer.toString(large));
        assertThat(keyedUpload.statusCode()).as("a keyed body over the limit is refused, not captured")
                .isEqualTo(413);
    }
}
