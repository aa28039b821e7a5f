package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis going away under a running engine, on a Redis server this test starts and stops
 * itself (append-only file on, so what was written survives a restart like in production).
 */
@Timeout(120)
class RedisFailureTest {
    private static final Scope SCOPE = Scope.of("caller", "POST /charges");
    private static final byte[] PAYLOAD = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);

    private TestRedis.Server server;
    private RedisClient client;
    private RedisIdempotencyStore store;
    private Idempotency engine;
    private final AtomicInteger executions = new AtomicInteger();

    @BeforeEach
    void start() {
        server = TestRedis.startPrivate("appendonly yes", "appendfsync always");
        client = RedisClient.create(server.url());
        store = RedisIdempotencyStore.builder(client)
                .keyPrefix(TestKeys.uniquePrefix(RedisFailureTest.class))
                .commandTimeout(Duration.ofMillis(500))
                .build();
        engine = Idempotency.create(store, IdempotencyConfig.ofDefaults());
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
        client.shutdown();
        server.close();
    }

    private String charge(IdempotencyKey key) {
        return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt-" + executions.incrementAndGet());
    }

    @Test
    void failsClosedWhileRedisIsDownAndRunsNothing() {
        IdempotencyKey done = IdempotencyKey.of("done-" + UUID.randomUUID());
        assertThat(charge(done)).isEqualTo("receipt-1");

        server.stop();

        IdempotencyKey fresh = IdempotencyKey.of("fresh-" + UUID.randomUUID());
        assertThatThrownBy(() -> charge(fresh)).isInstanceOfSatisfying(IdempotencyStoreException.class,
                e -> assertThat(e.retryAfter()).isPresent());
        assertThatThrownBy(() -> charge(done)).isInstanceOf(IdempotencyStoreException.class);
        assertThat(executions).hasValue(1);
    }

    @Test
    void recoversWhenRedisRestartsOnTheSamePortWithoutANewStore() {
        IdempotencyKey done = IdempotencyKey.of("done-" + UUID.randomUUID());
        assertThat(charge(done)).isEqualTo("receipt-1");
        server.stop();
        IdempotencyKey during = IdempotencyKey.of("during-" + UUID.randomUUID());
        assertThatThrownBy(() -> charge(during)).isInstanceOf(IdempotencyStoreException.class);

        server.start();

        // Lettuce reconnects with back-off: retry until the store answers (each failed try waits its timeout)
        String replayed = untilRedisAnswers(() -> charge(done));
        assertThat(replayed).isEqualTo("receipt-1");
        // the claim that timed out while Redis was down was cancelled, never sent later: the key is free
        assertThat(charge(during)).isEqualTo("receipt-2");
        assertThat(charge(during)).isEqualTo("receipt-2");
        assertThat(executions).hasValue(2);
    }

    @Test
    void redisDyingWhileTheOperationRunsNeverLetsARetryRunItAgain() throws Exception {
        IdempotencyKey key = IdempotencyKey.of("mid-" + UUID.randomUUID());
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch redisDown = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> first = pool.submit(() -> engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                executions.incrementAndGet();
                running.countDown();
                redisDown.await();
                return "receipt";
            }));
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            server.stop();
            redisDown.countDown();
            assertThat(first).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(IdempotencyStoreException.class);

            server.start();

            // the claim survived the restart; the lease is still live, so a retry is told to wait
            assertThatThrownBy(() -> untilRedisAnswers(() -> charge(key)))
                    .isInstanceOf(IdempotencyInProgressException.class);
            assertThat(executions).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void scriptFlushMidRunIsRecoveredTransparently() {
        IdempotencyKey before = IdempotencyKey.of("before-" + UUID.randomUUID());
        assertThat(charge(before)).isEqualTo("receipt-1");
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            assertThat(admin.sync().scriptExists(Scripts.CLAIM.sha(), Scripts.COMPLETE.sha())).containsOnly(true);
            IdempotencyKey key = IdempotencyKey.of("flush-" + UUID.randomUUID());
            String result = engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                admin.sync().scriptFlush();
                return "receipt-" + executions.incrementAndGet();
            });

            assertThat(result).isEqualTo("receipt-2");
            assertThat(admin.sync().scriptExists(Scripts.COMPLETE.sha())).containsOnly(true);
            assertThat(charge(key)).isEqualTo("receipt-2");
            assertThat(charge(before)).isEqualTo("receipt-1");
            assertThat(executions).hasValue(2);
        }
    }

    private static <T> T untilRedisAnswers(java.util.concurrent.Callable<T> call) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return call.call();
            } catch (IdempotencyStoreException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
