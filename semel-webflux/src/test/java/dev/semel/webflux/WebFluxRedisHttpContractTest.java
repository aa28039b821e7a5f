package dev.semel.webflux;

import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.util.UUID;

/**
 * The shared HTTP contract through the WebFlux filter on the Redis store, whose asynchronous
 * path answers on Lettuce's threads: the Redis {@code SEMEL_TEST_REDIS_URL} names, else an
 * embedded one.
 */
class WebFluxRedisHttpContractTest extends WebFluxHttpContractTest {
    private RedisClient client;

    @Override
    protected IdempotencyStore createStore() {
        client = RedisClient.create(TestRedis.url());
        return RedisIdempotencyStore.builder(client).keyPrefix("semel-http-contract:" + UUID.randomUUID() + ":")
                .build();
    }

    @Override
    protected void disposeStore(IdempotencyStore store) {
        ((RedisIdempotencyStore) store).close();
        client.shutdown();
    }
}
