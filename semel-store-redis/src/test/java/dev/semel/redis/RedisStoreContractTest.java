package dev.semel.redis;

import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract on a standalone Redis: {@code SEMEL_TEST_REDIS_URL} when set, else an embedded server. */
class RedisStoreContractTest extends IdempotencyStoreContract {
    private static final String PREFIX = TestKeys.uniquePrefix(RedisStoreContractTest.class);
    private static RedisClient client;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.url());
    }

    @AfterAll
    static void disconnect() {
        TestKeys.deleteAll(client, PREFIX);
        client.shutdown();
    }

    @Override
    protected IdempotencyStore createStore() {
        // the contract moves time with now: judge time by the caller's clock
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).useServerClock(false).build();
    }

    @Override
    protected IdempotencyStore createStoreOnItsOwnClock() {
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build();
    }

    @Override
    protected void disposeStore(IdempotencyStore store) {
        ((RedisIdempotencyStore) store).close();
    }
}
