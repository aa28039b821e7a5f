package dev.semel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.redis.TestRedis;
import example.usergateway.UserGatewayApplication;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A user's own gateway ({@link UserGatewayApplication}): the {@code Idempotency} filter comes from
 * the auto-configuration, and the caller of each request is the principal Spring Security
 * authenticated (HTTP Basic), which wins over the trusted caller header.
 */
class UserGatewayTest {
    private static CountingUpstream upstream;
    private static ConfigurableApplicationContext gateway;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        upstream = new CountingUpstream();
        String route = "--spring.cloud.gateway.server.webflux.routes[0]";
        gateway = new SpringApplication(UserGatewayApplication.class).run(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--spring.autoconfigure.exclude="
                        + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
                        + "org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration,"
                        + "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration,"
                        + "org.springframework.boot.jdbc.autoconfigure.health.DataSourceHealthContributorAutoConfiguration,"
                        + "org.springframework.boot.jdbc.autoconfigure.metrics.DataSourcePoolMetricsAutoConfiguration",
                "--semel.store.type=redis",
                "--spring.data.redis.url=" + TestRedis.url(),
                "--semel.store.redis.key-prefix=semel-user-gateway-" + UUID.randomUUID() + ":",
                "--semel.gateway.caller-header=X-Caller",
                route + ".id=payments",
                route + ".uri=" + upstream.url(),
                route + ".predicates[0]=Path=/payments/**",
                route + ".filters[0]=Idempotency");
        url = "http://127.0.0.1:" + gateway.getEnvironment().getRequiredProperty("local.server.port");
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    private static HttpResponse<byte[]> post(String path, String key, String user) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":10}"));
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + user + "-password").getBytes(StandardCharsets.UTF_8)));
        }
        return Gateways.send(request);
    }

    @Test
    void theFilterIsThereWithoutAnySemelBeanOfTheApplication() {
        assertThat(gateway.getBeansOfType(IdempotencyGatewayFilterFactory.class)).hasSize(1);
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> first = post("/payments/a1", key, "alice");
        HttpResponse<byte[]> retry = post("/payments/a1", key, "alice");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(upstream.executions("/payments/a1", key)).isEqualTo(1);
    }

    @Test
    void theSameKeyFromTwoAuthenticatedUsersRunsTwiceAndEachReplaysTheirOwn() {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> alice = post("/payments/p1", key, "alice");
        HttpResponse<byte[]> bob = post("/payments/p1", key, "bob");
        HttpResponse<byte[]> aliceAgain = post("/payments/p1", key, "alice");
        HttpResponse<byte[]> bobAgain = post("/payments/p1", key, "bob");

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).as("bob is not alice").isEmpty();
        assertThat(upstream.executions("/payments/p1", key)).isEqualTo(2);
        assertThat(aliceAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(aliceAgain.body()).isEqualTo(alice.body());
        assertThat(bobAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(bobAgain.body()).isEqualTo(bob.body()).isNotEqualTo(alice.body());
    }

    @Test
    void thePrincipalWinsOverTheCallerHeader() {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> alice = post("/payments/p2", key, "alice");
        HttpResponse<byte[]> bobClaimingAlice = Gateways.send(HttpRequest.newBuilder(URI.create(url + "/payments/p2"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header("X-Caller", "alice")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        "bob:bob-password".getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":10}")));

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bobClaimingAlice.statusCode()).isEqualTo(201);
        assertThat(bobClaimingAlice.headers().firstValue("Idempotent-Replayed"))
                .as("bob's principal, not the header's alice").isEmpty();
        assertThat(upstream.executions("/payments/p2", key)).isEqualTo(2);
    }

    @Test
    void anUnauthenticatedRequestNeverReachesTheUpstream() {
        String key = UUID.randomUUID().toString();
        HttpResponse<byte[]> anonymous = post("/payments/p3", key, null);

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(upstream.executions("/payments/p3", key)).isZero();
    }
}
