package dev.semel.nearcache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The near cache keeps Redis's own asynchronous path: no asynchronous call falls back to the SPI's
 * default, which would run the blocking method on the engine's store executor.
 */
class NativeAsyncOnRedisTest {
    private final String prefix = RedisKeys.uniquePrefix(NativeAsyncOnRedisTest.class);
    private final RedisClient client = RedisClient.create(TestRedis.url());
    private final RedisIdempotencyStore redis = RedisIdempotencyStore.builder(client).keyPrefix(prefix)
            .useServerClock(false).build();
    private final NearCachingIdempotencyStore store = NearCachingIdempotencyStore.builder(redis).build();
    private final AtomicInteger blockingCalls = new AtomicInteger();
    private final Executor blocking = task -> {
        blockingCalls.incrementAndGet();
        task.run();
    };

    @AfterEach
    void close() {
        RedisKeys.deleteAll(client, prefix);
        redis.close();
        client.shutdown();
    }

    @Test
    void claimCompleteAndReleaseRunOnLettuceNotOnTheStoreExecutor() throws Exception {
        Scope scope = Scope.of("alice", "POST /payments");
        String done = scope.recordId(IdempotencyKey.of("done-" + UUID.randomUUID()));
        String released = scope.recordId(IdempotencyKey.of("released-" + UUID.randomUUID()));
        byte[] fp = Fingerprint.of("{}".getBytes(StandardCharsets.UTF_8)).bytes();

        long token = claimed(store.claimAsync(request(done, fp, 11), blocking).toCompletableFuture()
                .get(10, TimeUnit.SECONDS));
        StoredResponse response = StoredResponse.ofResult("ok".getBytes(StandardCharsets.UTF_8));
        Instant now = Instant.now();
        assertThat(store.completeAsync(done, token, response, now.plusSeconds(60), now, blocking)
                .toCompletableFuture().get(10, TimeUnit.SECONDS)).isTrue();
        ClaimResult replay = store.claimAsync(request(done, fp, 12), blocking).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertThat(((ClaimResult.Found) replay).record().response()).isEqualTo(response);

        long other = claimed(store.claimAsync(request(released, fp, 13), blocking).toCompletableFuture()
                .get(10, TimeUnit.SECONDS));
        assertThat(store.releaseAsync(released, other, blocking).toCompletableFuture().get(10, TimeUnit.SECONDS))
                .isTrue();
        store.awaitChangeAsync(released, java.time.Duration.ofMillis(50)).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        assertThat(blockingCalls).as("calls run on the store executor").hasValue(0);
    }

    private static long claimed(ClaimResult result) {
        assertThat(result).isInstanceOf(ClaimResult.Claimed.class);
        return ((ClaimResult.Claimed) result).fencingToken();
    }

    private static ClaimRequest request(String id, byte[] fingerprint, long token) {
        Instant now = Instant.now();
        return new ClaimRequest(id, "key", "alice POST /payments", fingerprint, "owner", token, now.plusSeconds(30),
                now.plusSeconds(60), now);
    }
}
