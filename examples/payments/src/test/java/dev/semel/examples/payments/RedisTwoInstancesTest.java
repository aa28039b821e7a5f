package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.test.redis.TestRedis;
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
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The README's Redis switch ({@code SEMEL_STORE_TYPE=redis}, {@code SPRING_DATA_REDIS_URL}):
 * two instances against the same Redis behave as one service. Each instance keeps its payments
 * in an in-memory H2 database of its own, so a payment found on one instance only was charged
 * there, and a retry answered by the other instance can only have come from Redis.
 */
class RedisTwoInstancesTest {
    /** Our own keys in a Redis that other tests may share. */
    private static final String PREFIX = "payments-test:" + UUID.randomUUID() + ":";

    private static ConfigurableApplicationContext first;
    private static ConfigurableApplicationContext second;

    @BeforeAll
    static void startTwoInstancesOnOneRedis() {
        first = startOnRedis();
        second = startOnRedis();
    }

    private static ConfigurableApplicationContext startOnRedis() {
        String ownDatabase = "jdbc:h2:mem:payments-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        return Api.startService(ownDatabase,
                "--semel.store.type=redis",
                "--spring.data.redis.url=" + TestRedis.url(),
                "--semel.store.redis.key-prefix=" + PREFIX);
    }

    @AfterAll
    static void stop() {
        if (first != null) {
            StringRedisTemplate redis = first.getBean(StringRedisTemplate.class);
            redis.delete(redis.keys(PREFIX + "*"));
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    @Test
    void aRetryToTheSameInstanceIsReplayedFromRedis() {
        String key = UUID.randomUUID().toString();
        String body = payment("12.50", "EUR", "redis-" + UUID.randomUUID());

        Api.Reply original = Api.of(first).post("/payments", body, key);
        Api.Reply retry = Api.of(first).post("/payments", body, key);

        assertThat(first.getBean(IdempotencyStore.class)).isInstanceOf(RedisIdempotencyStore.class);
        assertThat(original.status()).isEqualTo(201);
        assertThat(original.header("Idempotent-Replayed")).isNull();
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(original.bytes());
        assertThat(retry.header("Location")).isEqualTo(original.header("Location"));
        assertThat(first.getBean(StringRedisTemplate.class).keys(PREFIX + "*")).as("the record is in Redis").isNotEmpty();
    }

    @Test
    void aRetrySentToTheOtherInstanceIsReplayedWithoutChargingThere() {
        String key = UUID.randomUUID().toString();
        String to = "redis-" + UUID.randomUUID();
        String body = payment("7.25", "EUR", to);

        Api.Reply original = Api.of(first).post("/payments", body, key);
        Api.Reply retry = Api.of(second).post("/payments", body, key);

        assertThat(original.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.bytes()).isEqualTo(original.bytes());
        assertThat(charged(first, to)).isEqualTo(1);
        assertThat(charged(second, to)).as("the second instance did not charge").isZero();
    }

    @Test
    void duplicatesRacingAcrossBothInstancesChargeOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        String to = "redis-" + UUID.randomUUID();
        String body = payment("3.00", "EUR", to);
        int threads = 20;
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Api.Reply> replies = new ArrayList<>();
        try {
            List<Future<Api.Reply>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Api api = Api.of(i % 2 == 0 ? first : second);
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return api.post("/payments", body, key);
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("every thread parked at the start gate").isTrue();
            start.countDown();
            for (Future<Api.Reply> future : futures) {
                replies.add(future.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(replies).allSatisfy(reply -> assertThat(reply.status()).isIn(201, 409));
        List<Api.Reply> created = replies.stream().filter(reply -> reply.status() == 201).toList();
        assertThat(created).isNotEmpty()
                .allSatisfy(reply -> assertThat(reply.bytes()).isEqualTo(created.get(0).bytes()));
        assertThat(charged(first, to) + charged(second, to)).as("one charge across both instances").isEqualTo(1);
    }

    private static int charged(ConfigurableApplicationContext instance, String recipient) {
        return Api.of(instance).get("/payments?recipient=" + recipient).json().size();
    }
}
