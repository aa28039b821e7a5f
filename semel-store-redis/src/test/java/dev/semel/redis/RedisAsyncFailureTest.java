package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous path when Redis misbehaves, on a server this test owns (never the
 * machine's): an emptied script cache is refilled without the caller noticing, and a Redis
 * that does not answer fails the returned stage with a store failure (the engine then fails
 * closed) instead of throwing or never completing.
 */
class RedisAsyncFailureTest {
    private static final Instant T0 = Instant.parse("2030-01-02T03:04:05.678Z");
    /** The store's clock is the caller's: no call hops to the blocking executor. */
    private static final Executor NO_HOP = r -> {
        throw new AssertionError("no blocking hop expected");
    };

    private TestRedis.Server server;
    private RedisClient client;
    private RedisIdempotencyStore store;

    @BeforeEach
    void start() {
        server = TestRedis.startPrivate();
        client = RedisClient.create(server.url());
        store = RedisIdempotencyStore.builder(client).keyPrefix(TestKeys.uniquePrefix(RedisAsyncFailureTest.class))
                .commandTimeout(Duration.ofMillis(500)).useServerClock(false).build();
    }

    @AfterEach
    void stop() {
        store.close();
        client.shutdown();
        server.close();
    }

    private static ClaimRequest claim(String id) {
        return new ClaimRequest(id, "k", "s", Fingerprint.of(new byte[] {1}).bytes(), "owner", 7,
                T0.plusSeconds(30), T0.plus(Duration.ofHours(1)), T0);
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void anEmptiedScriptCacheIsRefilledOnTheAsynchronousPath() throws Exception {
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        assertThat(get(store.claimAsync(claim(first), NO_HOP))).isEqualTo(new ClaimResult.Claimed(7, false));
        assertThat(get(store.claimAsync(claim(second), NO_HOP))).isEqualTo(new ClaimResult.Claimed(7, false));
        try (var admin = client.connect()) {
            admin.sync().scriptFlush();
        }

        assertThat(get(store.completeAsync(first, 7, StoredResponse.of(201, List.of(), new byte[] {1}),
                T0.plusSeconds(60), T0, NO_HOP))).isTrue();
        try (var admin = client.connect()) {
            admin.sync().scriptFlush();
        }
        assertThat(get(store.releaseAsync(second, 7, NO_HOP))).isTrue();

        assertThat(store.find(first, T0).orElseThrow().response().status()).isEqualTo(201);
        assertThat(store.find(second, T0)).isEmpty();
    }

    @Test
    void aRedisThatIsGoneFailsTheAsynchronousStagesWithAStoreFailure() throws Exception {
        String id = UUID.randomUUID().toString();
        assertThat(get(store.claimAsync(claim(id), NO_HOP))).isEqualTo(new ClaimResult.Claimed(7, false));

        server.stop();

        for (CompletionStage<?> stage : List.of(store.claimAsync(claim(UUID.randomUUID().toString()), NO_HOP),
                store.completeAsync(id, 7, StoredResponse.of(201, List.of(), new byte[0]), T0.plusSeconds(60), T0,
                        NO_HOP),
                store.releaseAsync(id, 7, NO_HOP))) {
            assertThatThrownBy(() -> get(stage)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("Redis");
        }
    }
}
