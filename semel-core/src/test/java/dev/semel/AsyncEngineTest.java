package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous path ({@link Idempotency#beginAsync}, {@link Lease#finishAsync},
 * {@link Lease#releaseAsync}) decides exactly as the blocking one, and never runs a blocking
 * store call on the caller's thread.
 */
class AsyncEngineTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final Fingerprint FP = Fingerprint.of("amount=1250".getBytes(StandardCharsets.UTF_8));
    private static final StoredResponse CREATED = StoredResponse.of(201,
            List.of(new StoredResponse.Header("Location", "/payments/7")), "{\"id\":7}".getBytes(StandardCharsets.UTF_8));

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final List<Idempotency> engines = new ArrayList<>();

    @AfterEach
    void close() {
        engines.forEach(Idempotency::close);
    }

    private Idempotency engine(dev.semel.spi.IdempotencyStore store, IdempotencyConfig config) {
        Idempotency engine = Idempotency.create(store, config);
        engines.add(engine);
        return engine;
    }

    private static Decision join(java.util.concurrent.CompletionStage<Decision> stage) {
        return stage.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("the stage did not fail");
    }

    @Test
    void aFirstRequestExecutesAndItsStoredResponseIsReplayedByteForByte() {
        Idempotency engine = engine(memory, IdempotencyConfig.ofDefaults());
        Decision first = join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
        assertThat(first).isInstanceOf(Decision.Execute.class);
        Lease lease = ((Decision.Execute) first).lease();
        assertThat(lease.finishAsync(CREATED).toCompletableFuture().join()).isTrue();
        assertThat(lease.status()).isEqualTo(Lease.Status.COMPLETED);

        Decision again = join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
        assertThat(again).isInstanceOf(Decision.Replay.class);
        StoredResponse replayed = ((Decision.Replay) again).response();
        assertThat(replayed.status()).isEqualTo(201);
        assertThat(replayed.headers()).isEqualTo(CREATED.headers());
        assertThat(replayed.body()).isEqualTo(CREATED.body());
    }

    @Test
    void anotherPayloadIsAMismatchAndADuplicateWhileRunningIsInProgress() {
        Idempotency engine = engine(memory, IdempotencyConfig.ofDefaults());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();

        Decision duplicate = join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
        assertThat(duplicate).isInstanceOf(Decision.InProgress.class);
        assertThat(((Decision.InProgress) duplicate).retryAfter()).isPositive();

        Fingerprint other = Fingerprint.of("amount=9999".getBytes(StandardCharsets.UTF_8));
        assertThat(join(engine.beginAsync(SCOPE, KEY, other, CallOptions.DEFAULTS)))
                .isEqualTo(new Decision.Mismatch(KEY));
        lease.releaseAsync().toCompletableFuture().join();
    }

    @Test
    void anOutcomeThePolicyDoesNotKeepReleasesTheKeySoTheRetryRunsAgain() {
        Idempotency engine = engine(memory, IdempotencyConfig.ofDefaults());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        assertThat(lease.finishAsync(StoredResponse.of(503, List.of(), new byte[0])).toCompletableFuture().join())
                .isFalse();
        assertThat(lease.status()).isEqualTo(Lease.Status.RELEASED);
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now())).isEmpty();
        assertThat(join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).isInstanceOf(Decision.Execute.class);
    }

    @Test
    void aWaitingDuplicateHoldsNoThreadAndReplaysOnceTheFirstCompletes() throws Exception {
        Idempotency engine = engine(memory, IdempotencyConfig.custom().waitPollInterval(Duration.ofMillis(20)).build());
        CallOptions waiting = CallOptions.custom().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(10))).build();
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, waiting))).lease();

        CompletableFuture<Decision> duplicate = engine.beginAsync(SCOPE, KEY, FP, waiting).toCompletableFuture();
        // the caller's thread is back at once: the wait is a stage, not a blocked thread
        assertThat(duplicate).isNotDone();
        lease.completeAsync(CREATED).toCompletableFuture().join();

        Decision decision = duplicate.get(10, TimeUnit.SECONDS);
        assertThat(decision).isInstanceOf(Decision.Replay.class);
        assertThat(((Decision.Replay) decision).response().body()).isEqualTo(CREATED.body());
    }

    @Test
    void aWaitThatRunsOutAnswersInProgress() {
        Idempotency engine = engine(memory, IdempotencyConfig.custom().waitPollInterval(Duration.ofMillis(10)).build());
        CallOptions briefly = CallOptions.custom().waitPolicy(WaitPolicy.waitUpTo(Duration.ofMillis(50))).build();
        join(engine.beginAsync(SCOPE, KEY, FP, briefly));
        assertThat(join(engine.beginAsync(SCOPE, KEY, FP, briefly))).isInstanceOf(Decision.InProgress.class);
    }

    @Test
    void aBlockingStoreRunsOnTheStoreExecutorNeverOnTheCallersThread() {
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        ForwardingIdempotencyStore recording = new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                threads.add(Thread.currentThread().getName());
                return super.claim(request);
            }

            @Override
            public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt,
                    Instant now) {
                threads.add(Thread.currentThread().getName());
                return super.complete(recordId, token, response, expiresAt, now);
            }
        };
        Idempotency engine = engine(recording, IdempotencyConfig.ofDefaults());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        lease.completeAsync(CREATED).toCompletableFuture().join();

        assertThat(threads).hasSize(2).allSatisfy(name -> assertThat(name).startsWith("semel-store-"));
    }

    @Test
    void aConfiguredStoreExecutorIsUsedAndOneThatRefusesFailsClosedWithRetryAfter() {
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "my-store-thread"));
        try {
            List<String> threads = Collections.synchronizedList(new ArrayList<>());
            ForwardingIdempotencyStore recording = new ForwardingIdempotencyStore(memory) {
                @Override
                public ClaimResult claim(ClaimRequest request) {
                    threads.add(Thread.currentThread().getName());
                    return super.claim(request);
                }
            };
            join(engine(recording, IdempotencyConfig.custom().storeExecutor(mine).build())
                    .beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
            assertThat(threads).containsExactly("my-store-thread");
        } finally {
            mine.shutdownNow();
        }

        Idempotency full = engine(new ForwardingIdempotencyStore(memory) { }, IdempotencyConfig.custom()
                .storeExecutor(call -> {
                    throw new RejectedExecutionException("queue full");
                })
                .storeFailureRetryAfter(Duration.ofSeconds(3)).build());
        Throwable refused = failure(full.beginAsync(SCOPE, IdempotencyKey.of("order-8"), FP, CallOptions.DEFAULTS));
        assertThat(refused).isInstanceOf(IdempotencyStoreException.class);
        assertThat(((IdempotencyStoreException) refused).retryAfter()).contains(Duration.ofSeconds(3));
        assertThat(memory.find(SCOPE.recordId(IdempotencyKey.of("order-8")), Instant.now())).isEmpty();
    }

    @Test
    void aCallStillQueuedAtItsDeadlineIsDroppedAndAnsweredAsAStoreFailure() throws Exception {
        ExecutorService oneThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "my-store-thread"));
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        List<String> claimed = Collections.synchronizedList(new ArrayList<>());
        AtomicLong nanos = new AtomicLong();
        try {
            ForwardingIdempotencyStore hanging = new ForwardingIdempotencyStore(memory) {
                @Override
                public ClaimResult claim(ClaimRequest request) {
                    claimed.add(request.key());
                    if (request.key().equals("order-1")) {
                        entered.countDown();
                        try {
                            stuck.await(); // a store that stopped answering for a while
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return super.claim(request);
                }
            };
            Idempotency engine = engine(hanging, IdempotencyConfig.custom().storeExecutor(oneThread)
                    .ticker(nanos::get).asyncStoreDeadline(Duration.ofSeconds(1)).build());
            var first = engine.beginAsync(SCOPE, IdempotencyKey.of("order-1"), FP, CallOptions.DEFAULTS);
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            var queued = engine.beginAsync(SCOPE, IdempotencyKey.of("order-2"), FP, CallOptions.DEFAULTS);
            nanos.addAndGet(Duration.ofSeconds(2).toNanos()); // the queued call's deadline passes
            stuck.countDown();

            assertThat(join(first)).isInstanceOf(Decision.Execute.class); // it had started: it ran
            assertThat(failure(queued)).isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("deadline");
            // dropped, not run late: its key is free for the client's retry
            assertThat(claimed).containsExactly("order-1");
            assertThat(memory.find(SCOPE.recordId(IdempotencyKey.of("order-2")), Instant.now())).isEmpty();
        } finally {
            stuck.countDown();
            oneThread.shutdownNow();
        }
    }

    @Test
    void aFailingStoreFailsOpenWhenToldTo() {
        ForwardingIdempotencyStore down = new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new IllegalStateException("connection refused");
            }
        };
        Idempotency engine = engine(down, IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN).build());
        Decision decision = join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
        assertThat(decision).isInstanceOf(Decision.Execute.class);
        Lease lease = ((Decision.Execute) decision).lease();
        assertThat(lease.isFailOpen()).isTrue();
        lease.finishAsync(CREATED).toCompletableFuture().join();
        assertThat(lease.status()).isEqualTo(Lease.Status.COMPLETED);
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now())).isEmpty();
    }

    @Test
    void aFailedCompletionIsRetriedWhileTheLeaseHoldsAndThenReplays() {
        AtomicInteger completions = new AtomicInteger();
        ForwardingIdempotencyStore flaky = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt,
                    Instant now) {
                if (completions.incrementAndGet() == 1) {
                    throw new IllegalStateException("failover in progress");
                }
                return super.complete(recordId, token, response, expiresAt, now);
            }
        };
        Idempotency engine = engine(flaky, IdempotencyConfig.ofDefaults());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        lease.completeAsync(CREATED).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();

        assertThat(completions).hasValue(2);
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().state())
                .isEqualTo(RecordState.COMPLETED);
    }

    @Test
    void aCompletionTheStoreKeepsRefusingAbandonsTheLeaseWithoutReleasingTheKey() {
        ForwardingIdempotencyStore broken = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt,
                    Instant now) {
                throw new IllegalStateException("disk full");
            }
        };
        Idempotency engine = engine(broken, IdempotencyConfig.custom().completeAttempts(1).build());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        assertThat(failure(lease.completeAsync(CREATED))).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("disk full");
        assertThat(lease.status()).isEqualTo(Lease.Status.ABANDONED);
        // the effect may have happened: the key stays taken
        assertThat(join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).isInstanceOf(Decision.InProgress.class);
    }

    @Test
    void aLeaseWhoseRecordWasDeletedIsLostAndAnEndedLeaseCannotEndAgain() {
        Idempotency engine = engine(memory, IdempotencyConfig.ofDefaults());
        Lease lease = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        memory.delete(SCOPE.recordId(KEY));
        assertThat(failure(lease.completeAsync(CREATED))).isInstanceOf(LeaseLostException.class);
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);

        Lease second = ((Decision.Execute) join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS))).lease();
        second.releaseAsync().toCompletableFuture().join();
        assertThat(failure(second.releaseAsync())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentFirstRequestsReleasedTogetherExecuteExactlyOnce() throws Exception {
        Idempotency engine = engine(memory, IdempotencyConfig.ofDefaults());
        int callers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch ready = new CountDownLatch(callers);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Decision>> decisions = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                decisions.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS));
                }));
            }
            assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
            start.countDown();
            int executed = 0;
            for (Future<Decision> d : decisions) {
                if (d.get(10, TimeUnit.SECONDS) instanceof Decision.Execute) {
                    executed++;
                } else {
                    assertThat(d.get()).isInstanceOf(Decision.InProgress.class);
                }
            }
            assertThat(executed).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClosedEngineRefusesAsynchronousCallsAsAStoreFailure() {
        // a store with blocking calls only (the in-memory store answers on the caller's thread)
        Idempotency engine = engine(new ForwardingIdempotencyStore(memory) { }, IdempotencyConfig.ofDefaults());
        join(engine.beginAsync(SCOPE, KEY, FP, CallOptions.DEFAULTS)); // starts the pool
        engine.close();
        assertThatThrownBy(() -> engine.beginAsync(SCOPE, IdempotencyKey.of("late"), FP, CallOptions.DEFAULTS)
                .toCompletableFuture().join())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(IdempotencyStoreException.class);
    }
}
