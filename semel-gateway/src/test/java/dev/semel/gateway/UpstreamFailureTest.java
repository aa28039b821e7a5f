package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.redis.TestRedis;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An upstream that fails, under the two outcome policies: a request that never reached the
 * upstream releases its key and answers 502 {@code upstream-unreachable} with
 * {@code Retry-After}; a request that was sent and got no complete response answers 502
 * {@code upstream-failed} (504 {@code upstream-timeout} after the response timeout), an upstream
 * 5xx outcome: released under the default policy (a retry runs again), stored where 5xx are
 * stored (every retry replays the answer, the upstream is not reached again), whether the engine
 * stores them ({@code semel.stored-outcomes}) or the route does ({@code storeServerErrors}).
 * Every problem names the key.
 */
class UpstreamFailureTest {
    private static final String UNREACHABLE = "https://semel.dev/problems/upstream-unreachable";
    private static final String FAILED = "https://semel.dev/problems/upstream-failed";
    private static final String TIMED_OUT = "https://semel.dev/problems/upstream-timeout";

    private static CountingUpstream upstream;
    private static CountingUpstream slow;
    private static DyingUpstream dying;
    private static int refusedByReleasing;
    private static int refusedByStoring;
    private static ConfigurableApplicationContext releasing;
    private static ConfigurableApplicationContext storing;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        slow = new CountingUpstream(); // its /held paths never answer while the tests run
        dying = new DyingUpstream();
        refusedByReleasing = freePort();
        refusedByStoring = freePort();
        releasing = Gateways.start(arguments(refusedByReleasing, List.of()));
        storing = Gateways.start(arguments(refusedByStoring, List.of("--semel.stored-outcomes=including-server-errors")));
    }

    private static List<String> arguments(int refused, List<String> more) {
        List<String> store = new ArrayList<>(List.of(
                "--semel.store.type=redis",
                "--spring.data.redis.url=" + TestRedis.url(),
                "--semel.store.redis.key-prefix=semel-upstream-failure-" + UUID.randomUUID() + ":"));
        store.addAll(more);
        return Gateways.arguments(upstream.url(), dying.url(), store, List.of(
                Map.entry("refused|http://127.0.0.1:" + refused + "|Path=/refused/**", List.of("Idempotency")),
                Map.entry("stores-5xx|" + dying.url() + "|Path=/stores-5xx/**",
                        List.of("Idempotency:storeServerErrors=true")),
                Map.entry("releases-5xx|" + dying.url() + "|Path=/releases-5xx/**",
                        List.of("Idempotency:storeServerErrors=false")),
                Map.entry("slow|" + slow.url() + "|Path=/slow/**|meta:response-timeout=500",
                        List.of("StripPrefix=1", "Idempotency"))));
    }

    /** A port nobody listens on (until a test starts an upstream there). */
    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (ConfigurableApplicationContext gateway : new ConfigurableApplicationContext[] {releasing, storing}) {
            if (gateway != null) {
                gateway.close();
            }
        }
        upstream.close();
        slow.close();
        dying.close();
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    private static void assertProblem(HttpResponse<byte[]> response, String type, String key) {
        int status = type.equals(TIMED_OUT) ? 504 : 502;
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
                .contains("\"type\":\"" + type + "\"").contains("\"status\":" + status)
                .contains("\"idempotencyKey\":\"" + key + "\"");
        assertThat(response.headers().firstValue("X-Upstream")).as("nothing of the upstream's answer").isEmpty();
    }

    @Test
    void anUnreachableUpstreamIsA502WithRetryAfterAndTheRetryRunsOnceItIsThereUnderTheDefaultPolicy()
            throws Exception {
        neverReachedReleasesTheKey(releasing, refusedByReleasing);
    }

    @Test
    void anUnreachableUpstreamReleasesTheKeyEvenWhere5xxAreStored() throws Exception {
        neverReachedReleasesTheKey(storing, refusedByStoring);
    }

    private static void neverReachedReleasesTheKey(ConfigurableApplicationContext gateway, int port)
            throws Exception {
        String url = Gateways.url(gateway) + "/refused/r1";
        String key = key();
        HttpResponse<byte[]> first = send(post(url, key, "{\"amount\":1}"));

        assertProblem(first, UNREACHABLE, key);
        assertThat(first.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();

        try (CountingUpstream there = new CountingUpstream(port)) {
            HttpResponse<byte[]> retry = send(post(url, key, "{\"amount\":1}"));

            assertThat(retry.statusCode()).as("the key was released: the retry ran").isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(retry.body()).isEqualTo(CountingUpstream.body("/refused/r1", key, 1));
            assertThat(there.executions("/refused/r1", key)).isEqualTo(1);
        }
    }

    @Test
    void anUpstreamThatResetsBeforeAnsweringIsA502AndTheRetryRunsAgainUnderTheDefaultPolicy() {
        sentAndReleased(releasing, "/dying/d1");
    }

    @Test
    void anUpstreamThatResetsMidResponseIsA502AndTheRetryRunsAgainUnderTheDefaultPolicy() {
        sentAndReleased(releasing, "/dying/mid/d2");
    }

    @Test
    void aRouteThatReleases5xxRunsAgainWhereTheEngineStoresThem() {
        sentAndReleased(storing, "/releases-5xx/mid/d6");
    }

    private static void sentAndReleased(ConfigurableApplicationContext gateway, String path) {
        String url = Gateways.url(gateway) + path;
        String key = key();
        int before = dying.requests();
        HttpResponse<byte[]> first = send(post(url, key, "{\"amount\":1}"));
        HttpResponse<byte[]> retry = send(post(url, key, "{\"amount\":1}"));

        assertProblem(first, FAILED, key);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertProblem(retry, FAILED, key);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("released: the retry ran again").isEmpty();
        assertThat(dying.requests() - before).as("both reached the upstream").isEqualTo(2);
    }

    @Test
    void anUpstreamThatResetsBeforeAnsweringIsAStored502WhereServerErrorsAreStored() {
        sentAndStored(storing, "/dying/d3");
    }

    @Test
    void anUpstreamThatResetsMidResponseIsAStored502WhereServerErrorsAreStored() {
        sentAndStored(storing, "/dying/mid/d4");
    }

    @Test
    void aRouteThatStores5xxReplaysThe502UnderTheDefaultPolicy() {
        sentAndStored(releasing, "/stores-5xx/d5");
    }

    private static void sentAndStored(ConfigurableApplicationContext gateway, String path) {
        String url = Gateways.url(gateway) + path;
        String key = key();
        int before = dying.requests();
        HttpResponse<byte[]> first = send(post(url, key, "{\"amount\":1}"));
        HttpResponse<byte[]> retry = send(post(url, key, "{\"amount\":1}"));
        HttpResponse<byte[]> again = send(post(url, key, "{\"amount\":1}"));

        assertProblem(first, FAILED, key);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        for (HttpResponse<byte[]> replay : List.of(retry, again)) {
            assertProblem(replay, FAILED, key);
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(replay.body()).isEqualTo(first.body());
        }
        assertThat(dying.requests() - before).as("only the first reached the upstream").isEqualTo(1);
    }

    @Test
    void aResponseTimeoutIsA504AndTheRetryRunsAgainUnderTheDefaultPolicy() {
        String url = Gateways.url(releasing) + "/slow/held/t1";
        String key = key();
        HttpResponse<byte[]> first = send(post(url, key, "{}"));
        HttpResponse<byte[]> retry = send(post(url, key, "{}"));

        assertProblem(first, TIMED_OUT, key);
        assertProblem(retry, TIMED_OUT, key);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(slow.executions("/held/t1", key)).isEqualTo(2);
    }

    @Test
    void aResponseTimeoutIsAStored504WhereServerErrorsAreStored() {
        String url = Gateways.url(storing) + "/slow/held/t2";
        String key = key();
        HttpResponse<byte[]> first = send(post(url, key, "{}"));
        HttpResponse<byte[]> retry = send(post(url, key, "{}"));

        assertProblem(first, TIMED_OUT, key);
        assertProblem(retry, TIMED_OUT, key);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(slow.executions("/held/t2", key)).isEqualTo(1);
    }
}
