package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What the two pages rely on, over plain HTTP (no browser needed): the records view's data behind
 * the demo operator login, and the flaky-network proxy that the checkout page calls across origins.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "payments.provider.latency=0ms", "payments.flaky-network.drop-rate=0"})
class OperationsAndFlakyNetworkTest {
    @LocalServerPort
    int port;
    Api api;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> TestDatabases.h2File(Path.of("target", "test-data", "ops-" + UUID.randomUUID())));
    }

    @BeforeEach
    void connect() {
        api = Api.onPort(port);
    }

    @Test
    void theIdempotencyRecordsAreForTheDemoOperatorOnly() {
        assertThat(api.get("/actuator/idempotency").status()).isEqualTo(401);
        assertThat(api.as("alice").get("/actuator/idempotency").status()).isEqualTo(403);
        assertThat(api.withPassword("ops", "nope").get("/actuator/idempotency").status()).isEqualTo(401);
        assertThat(api.as("ops").get("/actuator/idempotency").status()).isEqualTo(200);
        assertThat(api.get("/actuator/health").status()).isEqualTo(200);
    }

    @Test
    void aPageScriptGetsNoBasicChallengeSoTheBrowserOpensNoPasswordDialog() {
        Api.Reply fromBrowserUser = api.get("/actuator/idempotency");
        Api.Reply fromPageScript = api.send(api.request("/actuator/idempotency").header("X-Requested-With", "XMLHttpRequest").GET());

        assertThat(fromBrowserUser.header("WWW-Authenticate")).isEqualTo("Basic realm=\"payments\"");
        assertThat(fromPageScript.status()).isEqualTo(401);
        assertThat(fromPageScript.header("WWW-Authenticate")).isNull();
        assertThat(fromPageScript.header("Content-Type")).isEqualTo("application/problem+json");
    }

    @Test
    void storedBodiesStayHiddenFromTheRecordsView() {
        String key = "hidden-" + UUID.randomUUID();
        api.as("bob").post("/payments", payment("4.00", "EUR", "dave"), key);

        Api.Reply records = api.as("ops").get("/actuator/idempotency?keyPrefix=" + key);

        assertThat(records.json().get("count").asInt()).isEqualTo(1);
        assertThat(records.json().get("records").get(0).get("response").get("status").asInt()).isEqualTo(201);
        assertThat(records.json().get("records").get(0).get("response").has("body")).isFalse();
        assertThat(records.json().get("records").get(0).get("response").has("headers")).isFalse();
    }

    @Test
    void theFlakyNetworkProxyAnswersCorsForThePagesOfThisServiceOnly() {
        int proxyPort = api.get("/demo/flaky-network").json().get("port").asInt();
        Api proxy = Api.onPort(proxyPort);
        String page = "http://127.0.0.1:" + port;

        Api.Reply allowed = proxy.send(preflight(proxyPort, page));
        Api.Reply foreign = proxy.send(preflight(proxyPort, "http://evil.example:" + port));

        assertThat(allowed.status()).isEqualTo(204);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(page);
        assertThat(allowed.header("Access-Control-Allow-Headers")).contains("Idempotency-Key");
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void aPaymentThroughTheProxyExposesTheReplayHeaderToThePage() {
        int proxyPort = api.get("/demo/flaky-network").json().get("port").asInt();
        String page = "http://127.0.0.1:" + port;
        String key = UUID.randomUUID().toString();
        String body = payment("5.00", "EUR", "erin-" + key);

        Api.Reply first = api.send(viaProxy(proxyPort, page, key, body));
        Api.Reply retry = api.send(viaProxy(proxyPort, page, key, body));

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.header("Access-Control-Allow-Origin")).isEqualTo(page);
        assertThat(retry.header("Access-Control-Expose-Headers")).contains("Idempotent-Replayed").contains("Retry-After");
        assertThat(retry.bytes()).isEqualTo(first.bytes());
    }

    private static HttpRequest.Builder preflight(int proxyPort, String origin) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/payments"))
                .timeout(Duration.ofSeconds(10))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,idempotency-key")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody());
    }

    private static HttpRequest.Builder viaProxy(int proxyPort, String origin, String key, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/payments"))
                .timeout(Duration.ofSeconds(10))
                .header("Origin", origin)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }
}
