package dev.semel.benchmarks.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.test.redis.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Every variant of the WebFlux benchmark does what it claims, so that the figures compare like
 * with like: behind Semel a retry gets the first answer without running the handler again; the
 * bare variant runs it every time.
 */
class WebFluxVariantsTest {
    private static final String BODY = "{\"amount\":1250,\"currency\":\"EUR\",\"customer\":\"cus_42\","
            + "\"description\":\"benchmark\"}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @ParameterizedTest
    @ValueSource(strings = {"webflux-semel-memory", "webflux-semel-redis"})
    void aRetryReplaysTheFirstAnswerAndNeverRunsTheHandlerAgain(String variant) throws Exception {
        try (ConfigurableApplicationContext app = start(variant)) {
            String base = base(app);
            String key = "variant-" + UUID.randomUUID();

            HttpResponse<String> first = post(base, key);
            HttpResponse<String> retry = post(base, key);
            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(retry.body()).isEqualTo(first.body()).contains("\"status\":\"created\"");
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(count(base)).isEqualTo(1);

            assertThat(post(base, key + "-other").statusCode()).isEqualTo(201);
            assertThat(count(base)).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = "webflux-bare")
    void theBareVariantProtectsNothing(String variant) throws Exception {
        try (ConfigurableApplicationContext app = start(variant)) {
            String base = base(app);
            String key = "variant-" + UUID.randomUUID();
            assertThat(post(base, key).statusCode()).isEqualTo(201);
            assertThat(post(base, key).statusCode()).isEqualTo(201);
            assertThat(count(base)).isEqualTo(2);
        }
    }

    private static ConfigurableApplicationContext start(String variant) {
        return new SpringApplicationBuilder(WebFluxBenchmarkApp.class).profiles(variant)
                .run("--server.port=0", "--spring.data.redis.url=" + TestRedis.url());
    }

    private static String base(ConfigurableApplicationContext app) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    private static HttpResponse<String> post(String base, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/payments"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .header("Authorization", "Bearer bench-token") // as the load script sends: Semel scopes keys by caller
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long count(String base) throws Exception {
        return Long.parseLong(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/payments/count")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }
}
