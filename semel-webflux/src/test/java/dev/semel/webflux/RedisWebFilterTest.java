package dev.semel.webflux;

import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.util.UUID;

/**
 * The behaviour table through the WebFlux filter with the Redis store: the Redis that
 * {@code SEMEL_TEST_REDIS_URL} names, else an embedded one.
 */
class RedisWebFilterTest extends WebFilterContract {
    private RedisClient client;
    private RedisIdempotencyStore redis;

    @Override
    IdempotencyStore newStore() {
        client = RedisClient.create(TestRedis.url());
        redis = RedisIdempotencyStore.builder(client).keyPrefix("semel-webflux-test:" + UUID.randomUUID() + ":")
                .build();
        return redis;
    }

    @Override
    void closeStore() {
        redis.close();
        client.shutdown();
    }
}
