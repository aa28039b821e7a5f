package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A Redis that evicts keys when memory runs out can drop a live record, and the retry then runs
 * the operation again: the store refuses such a server unless told to accept it. Runs on Redis
 * servers this test starts itself (never the machine's).
 */
class RedisEvictionPolicyTest {
    private TestRedis.Server server;
    private RedisClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.shutdown();
        }
        if (server != null) {
            server.close();
        }
    }

    private void start(String... settings) {
        server = TestRedis.startPrivate(settings);
        client = RedisClient.create(server.url());
    }

    @Test
    void refusesToStartOnARedisThatEvictsKeys() {
        start("maxmemory 64mb", "maxmemory-policy volatile-lru");
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("volatile-lru")
                .hasMessageContaining("noeviction")
                .hasMessageContaining("semel.store.redis.allow-eviction");
        // the refused store leaves no connection open on the user's client
        try (var admin = client.connect()) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (admin.sync().clientList().lines().count() > 1) {
                assertThat(System.nanoTime()).as("the refused store's connection closed").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void startsOnARedisThatEvictsKeysWhenExplicitlyAllowed() {
        start("maxmemory 64mb", "maxmemory-policy allkeys-lru");
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).allowEviction(true).build()) {
            assertThat(store.claim(claim())).isInstanceOf(ClaimResult.Claimed.class);
        }
    }

    @Test
    void startsOnARedisThatNeverEvicts() {
        start("maxmemory 64mb", "maxmemory-policy noeviction");
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).build()) {
            assertThat(store.claim(claim())).isInstanceOf(ClaimResult.Claimed.class);
        }
    }

    @Test
    void warnsAndStartsWhenTheServerHidesItsConfiguration() {
        // managed services disable or rename CONFIG
        start("rename-command CONFIG \"\"", "maxmemory-policy volatile-lru");
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).build()) {
            assertThat(store.claim(claim())).isInstanceOf(ClaimResult.Claimed.class);
        }
    }

    @Test
    void aStoreBuiltWhileRedisWasDownRefusesAnEvictingServerAtItsFirstCall() {
        start("maxmemory 64mb", "maxmemory-policy volatile-lru");
        server.stop();
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client)
                .commandTimeout(Duration.ofMillis(500)).build()) {
            server.start();
            assertThatThrownBy(() -> store.claim(claim()))
                    .isInstanceOf(dev.semel.IdempotencyStoreException.class)
                    .hasMessageContaining("volatile-lru");
        }
    }

    private static ClaimRequest claim() {
        Instant now = Instant.now();
        return new ClaimRequest("r-" + System.nanoTime(), "k", "s", new byte[32], "owner", 7, now.plusSeconds(30),
                now.plusSeconds(3600), now);
    }
}
