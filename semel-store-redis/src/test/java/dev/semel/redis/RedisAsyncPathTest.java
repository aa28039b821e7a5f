package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyKey;
import dev.semel.Lease;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis store answers the asynchronous path natively: every call completes on Lettuce's own
 * threads, so an executor that refuses all work (an engine whose pool is exhausted) changes
 * nothing, on the server's clock as well as the caller's.
 */
class RedisAsyncPathTest {
    private static final String PREFIX = TestKeys.uniquePrefix(RedisAsyncPathTest.class);
    private static final Executor REFUSING = call -> {
        throw new RejectedExecutionException("the Redis store must not need a thread of ours");
    };
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

    @Test
    void claimCompleteAndReleaseNeedNoThreadOfTheCaller() {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build()) {
            String id = Scope.of("tck", "op").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
            byte[] fp = Fingerprint.of("p".getBytes(StandardCharsets.UTF_8)).bytes();
            Instant now = Instant.now();
            ClaimRequest request = new ClaimRequest(id, "k", "caller POST /things", fp, "owner", 42L,
                    now.plusSeconds(30), now.plus(Duration.ofHours(1)), now);

            ClaimResult claimed = join(store.claimAsync(request, REFUSING));
            assertThat(claimed).isEqualTo(new ClaimResult.Claimed(42L, false));
            StoredResponse response = StoredResponse.of(201, List.of(), "ok".getBytes(StandardCharsets.UTF_8));
            assertThat(join(store.completeAsync(id, 42L, response, now.plus(Duration.ofHours(1)), now, REFUSING)))
                    .isTrue();
            ClaimResult replay = join(store.claimAsync(request, REFUSING));
            assertThat(((ClaimResult.Found) replay).record().response()).isEqualTo(response);

            String other = Scope.of("tck", "op").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
            ClaimRequest second = new ClaimRequest(other, "k2", "caller POST /things", fp, "owner", 7L,
                    now.plusSeconds(30), now.plus(Duration.ofHours(1)), now);
            assertThat(join(store.claimAsync(second, REFUSING))).isInstanceOf(ClaimResult.Claimed.class);
            assertThat(join(store.releaseAsync(other, 7L, REFUSING))).isTrue();
            assertThat(store.find(other, Instant.now())).isEmpty();
        }
    }

    @Test
    void anEngineWhoseStoreExecutorRefusesEverythingStillServesRedis() {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build();
                Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().storeExecutor(REFUSING)
                        .build())) {
            Scope scope = Scope.of("alice", "POST /payments");
            IdempotencyKey key = IdempotencyKey.of("order-" + UUID.randomUUID());
            Fingerprint fp = Fingerprint.of("amount=1250".getBytes(StandardCharsets.UTF_8));
            StoredResponse created = StoredResponse.of(201, List.of(), "{\"id\":7}".getBytes(StandardCharsets.UTF_8));

            Decision first = join(engine.beginAsync(scope, key, fp, CallOptions.DEFAULTS));
            Lease lease = ((Decision.Execute) first).lease();
            assertThat(join(lease.finishAsync(created))).isTrue();

            Decision again = join(engine.beginAsync(scope, key, fp, CallOptions.DEFAULTS));
            assertThat(((Decision.Replay) again).response()).isEqualTo(created);
        }
    }

    @Test
    void encryptionKeepsTheNativePath() {
        ResponseEncryption encryption = ResponseEncryption.builder()
                .key("k1", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").build();
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build();
                Idempotency engine = Idempotency.create(encryption.protect(store),
                        IdempotencyConfig.custom().storeExecutor(REFUSING).build())) {
            Scope scope = Scope.of("alice", "POST /payments");
            IdempotencyKey key = IdempotencyKey.of("order-" + UUID.randomUUID());
            Fingerprint fp = Fingerprint.of("amount=1250".getBytes(StandardCharsets.UTF_8));
            StoredResponse created = StoredResponse.of(201, List.of(), "{\"iban\":\"DE89\"}".getBytes(StandardCharsets.UTF_8));

            Lease lease = ((Decision.Execute) join(engine.beginAsync(scope, key, fp, CallOptions.DEFAULTS))).lease();
            assertThat(join(lease.finishAsync(created))).isTrue();
            assertThat(store.find(scope.recordId(key), Instant.now()).orElseThrow().response().body())
                    .as("stored encrypted").isNotEqualTo(created.body());
            Decision again = join(engine.beginAsync(scope, key, fp, CallOptions.DEFAULTS));
            assertThat(((Decision.Replay) again).response()).isEqualTo(created);
        }
    }

    private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
        return stage.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
