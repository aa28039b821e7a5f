package dev.semel.spring.redis;

import dev.semel.Idempotency;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spring.EngineStores;
import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import dev.semel.test.redis.TestRedis;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/** No DataSource, a Redis connection from spring.data.redis.url: the Redis store is chosen. */
@SpringBootTest(classes = RedisStoreHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
class RedisStoreHttpTest {
    static final String PREFIX = "semel-spring-test:" + UUID.randomUUID() + ":";

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.url", TestRedis::url);
        registry.add("semel.store.redis.key-prefix", () -> PREFIX);
    }

    @LocalServerPort
    int port;

    @Autowired
    Idempotency idempotency;

    @Autowired
    StringRedisTemplate redis;

    @Test
    void choosesTheRedisStoreFromTheApplicationsRedisConnectionAndReplaysThroughIt() {
        assertThat(EngineStores.of(idempotency)).isInstanceOf(RedisIdempotencyStore.class);
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();
        int before = Transfers.COUNT.get();

        Http.Response first = http.post("/transfers", "{\"to\":\"bob\"}", "Idempotency-Key", key);
        Http.Response retry = http.post("/transfers", "{\"to\":\"bob\"}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(Transfers.COUNT.get() - before).isEqualTo(1);
        assertThat(redis.keys(PREFIX + "*")).isNotEmpty();
    }

    @RestController
    static class Transfers {
        static final AtomicInteger COUNT = new AtomicInteger();

        @Idempotent
        @PostMapping("/transfers")
        Map<String, Object> transfer() {
            return Map.of("transfer", COUNT.incrementAndGet(), "nonce", UUID.randomUUID().toString());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Transfers.class})
    static class App {
    }
}
