package dev.semel.nearcache;

import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Redis store keeps the whole contract behind a near cache, at its default staleness, on the
 * asynchronous path too (the cache forwards to Lettuce's): {@code SEMEL_TEST_REDIS_URL} when set,
 * else an embedded server.
 */
class NearCachedRedisStoreContractTest extends IdempotencyStoreContract {
    private static final String PREFIX = RedisKeys.uniquePrefix(NearCachedRedisStoreContractTest.class);
    private static RedisClient client;
    private final Map<IdempotencyStore, RedisIdempotencyStore> raw = new ConcurrentHashMap<>();

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.url());
    }

    @AfterAll
    static void disconnect() {
        RedisKeys.deleteAll(client, PREFIX);
        client.shutdown();
    }

    @Override
    protected IdempotencyStore createStore() {
        // the contract moves time with now: judge time by the caller's clock
        return nearCache(RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).useServerClock(false).build());
    }

    @Override
    protected IdempotencyStore createStoreOnItsOwnClock() {
        return nearCache(RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build());
    }

    private IdempotencyStore nearCache(RedisIdempotencyStore redis) {
        IdempotencyStore cached = NearCachingIdempotencyStore.builder(redis).build();
        raw.put(cached, redis);
        return cached;
    }

    @Override
    protected void disposeStore(IdempotencyStore store) {
        raw.remove(store).close();
    }
}
