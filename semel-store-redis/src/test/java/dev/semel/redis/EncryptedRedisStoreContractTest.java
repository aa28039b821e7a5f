package dev.semel.redis;

import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract on a standalone Redis with encryption at rest on. */
class EncryptedRedisStoreContractTest extends IdempotencyStoreContract {
    private static final String PREFIX = TestKeys.uniquePrefix(EncryptedRedisStoreContractTest.class);
    private static final ResponseEncryption ENCRYPTION = ResponseEncryption.builder()
            .key("redis-1", "hex:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
            .build();
    private static RedisClient client;
    private final Map<IdempotencyStore, RedisIdempotencyStore> raw = new ConcurrentHashMap<>();

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
        RedisIdempotencyStore redis = RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).useServerClock(false).build();
        IdempotencyStore encrypted = ENCRYPTION.protect(redis);
        raw.put(encrypted, redis);
        return encrypted;
    }

    @Override
    protected void disposeStore(IdempotencyStore store) {
        raw.remove(store).close();
    }
}
