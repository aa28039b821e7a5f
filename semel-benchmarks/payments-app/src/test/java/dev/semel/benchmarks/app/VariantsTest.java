package dev.semel.benchmarks.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.test.jdbc.TestPostgres;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Every variant of the benchmark does what it claims, so that the figures compare like with
 * like: a retry with the same key gets the first answer and never runs the handler again; a new
 * key runs it. The bare variant, which protects nothing, runs it every time.
 */
class VariantsTest {
    private static final String BODY = "{\"amount\":1250,\"currency\":\"EUR\",\"customer\":\"cus_42\","
            + "\"description\":\"benchmark\"}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestPostgres.Server privatePostgres;
    private static String postgresUrl;

    @BeforeAll
    static void postgres() {
        postgresUrl = System.getenv("SEMEL_TEST_POSTGRES_URL");
        if (postgresUrl == null || postgresUrl.isBlank()) {
            privatePostgres = TestPostgres.startPrivate();
            postgresUrl = privatePostgres.jdbcUrl();
        }
    }

    @AfterAll
    static void stopPostgres() {
        if (privatePostgres != null) {
            privatePostgres.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"naive-redis", "naive-postgres", "semel-memory", "semel-redis", "semel-redis-nearcache",
        "semel-postgres", "semel-postgres-readfirst-off"})
    void aRetryReplaysTheFirstAnswerAndNeverRunsTheHandlerAgain(String variant) throws Exception {
        if (variant.equals("naive-redis")) {
            Assumptions.assumeTrue(redisHasSetNxGet(), "the baseline's SET NX GET needs Redis 7 (this one is older)");
        }
        try (ConfigurableApplicationContext app = start(variant)) {
            String base = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
            String key = "variant-" + UUID.randomUUID();
            if (variant.equals("semel-redis-nearcache")) {
                assertThat(app.getBean(Idempotency.class).admin().storeType().getSimpleName())
                        .isEqualTo("NearCachingIdempotencyStore");
            }

            HttpResponse<String> first = post(base, key);
            HttpResponse<String> retry = post(base, key);
            assertThat(first.statusCode()).isEqualTo(201);
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(retry.body()).isEqualTo(first.body()).contains("\"status\":\"created\"");
            assertThat(count(base)).isEqualTo(1);

            assertThat(post(base, key + "-other").statusCode()).isEqualTo(201);
            assertThat(count(base)).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @CsvSource({"semel-postgres, true", "semel-postgres-readfirst-off, false"})
    void thePostgresVariantsDifferInTheReadFirstClaim(String variant, boolean readFirst) {
        try (ConfigurableApplicationContext app = start(variant)) {
            JdbcIdempotencyStore store = app.getBean(JdbcIdempotencyStore.class);
            assertThat(store).isInstanceOf(TransactionalJdbcIdempotencyStore.class);
            assertThat(store.readsFirst()).isEqualTo(readFirst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = "bare")
    void theBareVariantProtectsNothing(String variant) throws Exception {
        try (ConfigurableApplicationContext app = start(variant)) {
            String base = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
            String key = "variant-" + UUID.randomUUID();
            assertThat(post(base, key).statusCode()).isEqualTo(201);
            assertThat(post(base, key).statusCode()).isEqualTo(201);
            assertThat(count(base)).isEqualTo(2);
        }
    }

    private static ConfigurableApplicationContext start(String variant) {
        return new SpringApplicationBuilder(BenchmarkApp.class).profiles(variant).run("--server.port=0",
                "--spring.data.redis.url=" + TestRedis.url(), "--spring.datasource.url=" + postgresUrl);
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

    private static boolean redisHasSetNxGet() {
        RedisClient client = RedisClient.create(TestRedis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            String version = c.sync().info("server").lines().filter(l -> l.startsWith("redis_version:"))
                    .findFirst().orElse("redis_version:0").substring("redis_version:".length());
            return Integer.parseInt(version.split("\\.")[0]) >= 7;
        } finally {
            client.shutdown();
        }
    }
}
