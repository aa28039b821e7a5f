package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.semel.Idempotency;
import dev.semel.nearcache.NearCachingIdempotencyStore;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * Two running applications, each with its own near cache, over one real Redis, as users run them:
 * requests over HTTP, the operator's delete through one instance's Actuator endpoint, and each
 * instance's staleness clock moved by hand. A record deleted on A runs again on A at once; on B it
 * replays from the near cache for at most {@code semel.near-cache.max-staleness}, then runs again.
 */
class NearCacheTwoInstancesHttpTest {
    private static final String PREFIX = "semel-spring-test:near-cache:" + UUID.randomUUID() + ":";
    private static final Duration STALENESS = Duration.ofSeconds(2);
    private static final String BODY = "{\"amount\":100}";

    private static Instance a;
    private static Instance b;

    /** One application instance and its staleness clock. */
    private record Instance(ConfigurableApplicationContext context, AtomicLong nanos, Http http) {
        static Instance start() {
            AtomicLong nanos = new AtomicLong();
            ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                    .initializers(c -> c.getBeanFactory().registerSingleton("nearCacheTicker", (Ticker) nanos::get))
                    .run("--server.port=0", "--spring.main.banner-mode=off",
                            "--spring.autoconfigure.exclude="
                                    + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                            "--spring.data.redis.url=" + TestRedis.url(),
                            "--semel.store.redis.key-prefix=" + PREFIX,
                            "--semel.web.caller-secret=the-same-secret-on-every-instance",
                            "--semel.near-cache.enabled=true",
                            "--semel.near-cache.max-staleness=" + STALENESS.toMillis() + "ms",
                            "--management.endpoints.web.exposure.include=idempotency");
            int port = Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
            return new Instance(context, nanos, new Http(port));
        }

        Http.Response pay(String key) {
            return http.post("/payments", BODY, "Idempotency-Key", key);
        }

        /** The operator, on this instance: finds the key's record and deletes it through the Actuator endpoint. */
        void deleteThroughActuator(String key) {
            JsonNode found = http.get("/actuator/idempotency?keyPrefix=" + key).json();
            assertThat(found.path("count").asInt()).isEqualTo(1);
            String recordId = found.path("records").get(0).path("recordId").asString();
            Http.Response deleted = http.delete("/actuator/idempotency/" + recordId);
            assertThat(deleted.status()).isEqualTo(200);
            assertThat(deleted.json().path("deleted").asBoolean()).isTrue();
        }
    }

    @BeforeAll
    static void startTwoInstances() {
        a = Instance.start();
        b = Instance.start();
    }

    @AfterAll
    static void stop() {
        a.context().close();
        b.context().close();
        RedisClient client = RedisClient.create(TestRedis.url());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            var keys = connection.sync().keys(PREFIX + "*");
            if (!keys.isEmpty()) {
                connection.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void bothInstancesReplayThroughTheirNearCache() {
        assertThat(EngineStores.of(a.context().getBean(Idempotency.class)))
                .isInstanceOf(NearCachingIdempotencyStore.class);
        assertThat(EngineStores.of(b.context().getBean(Idempotency.class)))
                .isInstanceOf(NearCachingIdempotencyStore.class);
    }

    @Test
    void aRecordDeletedThroughAnotherInstanceReplaysFromTheNearCacheForAtMostMaxStaleness() {
        String key = "stale-" + UUID.randomUUID();
        int before = Payments.EXECUTIONS.get();
        Http.Response first = a.pay(key);
        assertThat(first.status()).isEqualTo(200);
        Http.Response onB = b.pay(key);
        assertThat(onB.header("Idempotent-Replayed")).as("B replays A's response from Redis").isEqualTo("true");
        assertThat(onB.body()).isEqualTo(first.body());

        a.deleteThroughActuator(key);

        b.nanos().addAndGet(STALENESS.minusMillis(1).toNanos());
        Http.Response stale = b.pay(key);
        assertThat(stale.header("Idempotent-Replayed")).as("within max-staleness: B's near cache").isEqualTo("true");
        assertThat(stale.body()).isEqualTo(first.body());
        assertThat(Payments.EXECUTIONS.get() - before).isEqualTo(1);

        b.nanos().addAndGet(Duration.ofMillis(1).toNanos());
        Http.Response again = b.pay(key);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).as("past max-staleness: B asks Redis, the key runs again")
                .isNull();
        assertThat(again.body()).isNotEqualTo(first.body());
        assertThat(Payments.EXECUTIONS.get() - before).isEqualTo(2);
    }

    @Test
    void aRecordDeletedThroughThisInstanceRunsAgainAtOnce() {
        String key = "here-" + UUID.randomUUID();
        int before = Payments.EXECUTIONS.get();
        Http.Response first = a.pay(key);
        assertThat(a.pay(key).header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(b.pay(key).header("Idempotent-Replayed")).isEqualTo("true");

        a.deleteThroughActuator(key);

        Http.Response again = a.pay(key);
        assertThat(again.header("Idempotent-Replayed")).as("no time has passed, yet A runs it again").isNull();
        assertThat(again.body()).isNotEqualTo(first.body());
        assertThat(Payments.EXECUTIONS.get() - before).isEqualTo(2);
    }

    @RestController
    static class Payments {
        static final AtomicInteger EXECUTIONS = new AtomicInteger();

        @Idempotent
        @PostMapping("/payments")
        Map<String, Object> pay() {
            return Map.of("payment", EXECUTIONS.incrementAndGet(), "nonce", UUID.randomUUID().toString());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Payments.class})
    static class App {
        /** The near cache of {@code semel.near-cache.*}, on this instance's hand-moved staleness clock. */
        @Bean
        SemelNearCacheConfiguration.Wrapper semelNearCache(SemelProperties properties, Ticker nearCacheTicker) {
            return SemelNearCacheConfiguration.Factory.wrapper(properties, nearCacheTicker);
        }
    }
}
