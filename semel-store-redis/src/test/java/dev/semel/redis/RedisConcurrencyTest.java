package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two service instances (two clients, two stores, two engines) sharing one Redis. */
@Timeout(120)
class RedisConcurrencyTest {
    private static final String PREFIX = TestKeys.uniquePrefix(RedisConcurrencyTest.class);
    private static final Scope SCOPE = Scope.of("caller", "POST /charges");
    private static final byte[] PAYLOAD = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
    private static RedisClient clientA;
    private static RedisClient clientB;

    @BeforeAll
    static void connect() {
        clientA = RedisClient.create(TestRedis.url());
        clientB = RedisClient.create(TestRedis.url());
    }

    @AfterAll
    static void disconnect() {
        TestKeys.deleteAll(clientA, PREFIX);
        clientA.shutdown();
        clientB.shutdown();
    }

    private static RedisIdempotencyStore store(RedisClient client) {
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).build();
    }

    @Test
    void twoEnginesOnTwoConnectionsRacingOnOneKeyExecuteItExactlyOnce() throws Exception {
        int threads = 16;
        try (RedisIdempotencyStore storeA = store(clientA); RedisIdempotencyStore storeB = store(clientB);
                Idempotency engineA = Idempotency.create(storeA); Idempotency engineB = Idempotency.create(storeB)) {
            for (int round = 0; round < 5; round++) {
                IdempotencyKey key = IdempotencyKey.of("race-" + UUID.randomUUID());
                AtomicInteger executions = new AtomicInteger();
                CountDownLatch ready = new CountDownLatch(threads);
                CountDownLatch go = new CountDownLatch(1);
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                List<Future<String>> answers = new ArrayList<>();
                try {
                    for (int i = 0; i < threads; i++) {
                        Idempotency engine = i % 2 == 0 ? engineA : engineB;
                        answers.add(pool.submit(() -> {
                            ready.countDown();
                            go.await();
                            try {
                                return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                                    executions.incrementAndGet();
                                    return "receipt";
                                });
                            } catch (IdempotencyInProgressException e) {
                                return "in-progress";
                            }
                        }));
                    }
                    assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
                    go.countDown();
                    List<String> seen = new ArrayList<>();
                    for (Future<String> f : answers) {
                        seen.add(f.get(30, TimeUnit.SECONDS));
                    }
                    assertThat(executions).hasValue(1);
                    assertThat(seen).contains("receipt").allMatch(a -> a.equals("receipt") || a.equals("in-progress"));
                } finally {
                    pool.shutdownNow();
                }
                assertThat(engineB.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "again")).isEqualTo("receipt");
                assertThat(engineA.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "again")).isEqualTo("receipt");
                assertThat(executions).hasValue(1);
            }
        }
    }

    @Test
    void aWaiterOnAnotherInstanceIsWokenByTheOwnersCompletionNotByPolling() throws Exception {
        Queue<String> events = new ConcurrentLinkedQueue<>();
        IdempotencyConfig waitLong = IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(90)))
                // far longer than this test may take: only a wake-up can end the wait in time
                .waitPollInterval(Duration.ofSeconds(90))
                .build();
        try (RedisIdempotencyStore storeA = store(clientA); RedisIdempotencyStore storeB = store(clientB);
                Idempotency owner = Idempotency.create(new ForwardingIdempotencyStore(storeA) {
                    @Override
                    public boolean complete(String recordId, long fencingToken, StoredResponse response,
                            Instant expiresAt, Instant now) {
                        // recorded before the call: the script publishes the wake-up in the same step
                        // that stores the response, so the waiter may answer before this call returns
                        events.add("owner completing");
                        return super.complete(recordId, fencingToken, response, expiresAt, now);
                    }
                });
                Idempotency waiter = Idempotency.create(storeB, waitLong);
                StatefulRedisConnection<String, String> admin = clientA.connect()) {
            IdempotencyKey key = IdempotencyKey.of("wake-" + UUID.randomUUID());
            String channel = storeB.channel(SCOPE.recordId(key));
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<String> first = pool.submit(() -> owner.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> {
                    running.countDown();
                    finish.await();
                    return "first";
                }));
                assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
                Future<String> second = pool.submit(() -> {
                    String answer = waiter.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "duplicate");
                    events.add("waiter answered " + answer);
                    return answer;
                });
                // the waiter is subscribed on the server before the owner finishes
                while (subscribers(admin, channel) == 0) {
                    assertThat(second).isNotDone();
                    Thread.onSpinWait();
                }
                assertThat(events).isEmpty();
                finish.countDown();

                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("first");
                assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo("first");
                assertThat(events).containsExactly("owner completing", "waiter answered first");
                assertThat(storeB.isWaiting(SCOPE.recordId(key))).isFalse();
            } finally {
                finish.countDown();
                pool.shutdownNow();
            }
        }
    }

    private static long subscribers(StatefulRedisConnection<String, String> admin, String channel) {
        Map<String, Long> counts = admin.sync().pubsubNumsub(channel);
        return counts.getOrDefault(channel, 0L);
    }
}
