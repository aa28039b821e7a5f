package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The in-memory store's bounds: what it evicts when full (completed records, oldest first),
 * what it never evicts (records in progress), the byte bound with large bodies, and the
 * bounds under races. The store contract itself is {@code semel-store-tck}'s
 * {@code InMemoryStoreContractTest}.
 */
class InMemoryIdempotencyStoreTest {
    private static final Instant T0 = Instant.parse("2031-01-01T00:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofHours(24);
    private static final int RACERS = 32;

    private static final AtomicLong TOKENS = new AtomicLong(1000);

    private static ClaimRequest claimAt(String id, Instant now) {
        return claimAt(id, fingerprint(id), now, now.plus(TTL));
    }

    private static ClaimRequest claimAt(String id, byte[] fingerprint, Instant now, Instant expiresAt) {
        return new ClaimRequest(id, "key-" + id, "caller POST /payments", fingerprint, "owner",
                TOKENS.incrementAndGet(), now.plus(LEASE), expiresAt, now);
    }

    private static byte[] fingerprint(String id) {
        return Fingerprint.of(id.getBytes(StandardCharsets.UTF_8)).bytes();
    }

    private static long claimed(ClaimResult result) {
        assertThat(result).isInstanceOf(ClaimResult.Claimed.class);
        return ((ClaimResult.Claimed) result).fencingToken();
    }

    private static StoredResponse answer(String body) {
        return StoredResponse.of(201, List.of(new StoredResponse.Header("Content-Type", "text/plain")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** Claims and completes {@code id} at {@code now}, with the answer "answer-{id}". */
    private static void completeNew(InMemoryIdempotencyStore store, String id, Instant now) {
        long token = claimed(store.claim(claimAt(id, now)));
        assertThat(store.complete(id, token, answer("answer-" + id), now.plus(TTL), now)).isTrue();
    }

    private static boolean holds(InMemoryIdempotencyStore store, String id, Instant now) {
        return store.find(id, now).isPresent();
    }

    private static StoredResponse body(int size, int seed) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return StoredResponse.of(200, List.of(new StoredResponse.Header("Content-Type", "application/octet-stream")),
                bytes);
    }

    // ------------------------------------------------------------------ eviction order

    @Test
    void aFullStoreEvictsTheOldestCompletedRecordToAcceptANewKey() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(3).build();
        completeNew(store, "a", T0);
        completeNew(store, "b", T0.plusSeconds(1));
        completeNew(store, "c", T0.plusSeconds(2));

        Instant now = T0.plusSeconds(3);
        claimed(store.claim(claimAt("d", now)));

        assertThat(holds(store, "a", now)).isFalse();
        assertThat(store.find("b", now).orElseThrow().response()).isEqualTo(answer("answer-b"));
        assertThat(store.find("c", now).orElseThrow().response()).isEqualTo(answer("answer-c"));
        assertThat(store.find("d", now).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.evictions()).isEqualTo(1);
    }

    @Test
    void evictionFollowsTheOrderOfCompletionNotOfClaim() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(2).build();
        long first = claimed(store.claim(claimAt("claimed-first", T0)));
        long second = claimed(store.claim(claimAt("claimed-second", T0)));
        store.complete("claimed-second", second, answer("2"), T0.plus(TTL), T0.plusSeconds(1));
        store.complete("claimed-first", first, answer("1"), T0.plus(TTL), T0.plusSeconds(2));

        Instant now = T0.plusSeconds(3);
        claimed(store.claim(claimAt("new", now)));

        assertThat(holds(store, "claimed-second", now)).isFalse();
        assertThat(holds(store, "claimed-first", now)).isTrue();
    }

    @Test
    void aRecordInProgressIsNeverEvictedEvenWhenItIsTheOldest() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(3).build();
        long running = claimed(store.claim(claimAt("running", T0)));
        completeNew(store, "b", T0.plusSeconds(1));
        completeNew(store, "c", T0.plusSeconds(2));

        Instant now = T0.plusSeconds(3);
        claimed(store.claim(claimAt("d", now)));
        claimed(store.claim(claimAt("e", now)));

        assertThat(holds(store, "b", now)).isFalse();
        assertThat(holds(store, "c", now)).isFalse();
        assertThat(store.find("running", now).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(store.complete("running", running, answer("done"), now.plus(TTL), now)).isTrue();
        assertThat(store.find("running", now).orElseThrow().response()).isEqualTo(answer("done"));
    }

    @Test
    void aNewKeyIsRefusedOnlyWhenRecordsInProgressAloneFillTheStore() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(2).build();
        long a = claimed(store.claim(claimAt("a", T0)));
        claimed(store.claim(claimAt("b", T0)));

        assertThatThrownBy(() -> store.claim(claimAt("c", T0)))
                .isInstanceOf(StoreCapacityExceededException.class)
                .hasMessageContaining("full of requests in progress")
                .hasMessageContaining("2 records");
        assertThat(holds(store, "a", T0)).isTrue();
        assertThat(holds(store, "b", T0)).isTrue();

        // once one of them completes, its record is the one to go
        store.complete("a", a, answer("a"), T0.plus(TTL), T0);
        claimed(store.claim(claimAt("c", T0)));
        assertThat(holds(store, "a", T0)).isFalse();
        assertThat(store.find("b", T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    }

    @Test
    void recordsThatExpiredMakeRoomBeforeALiveCompletedRecordIsEvicted() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(2).build();
        claimed(store.claim(claimAt("short-lived", fingerprint("s"), T0, T0.plusSeconds(10))));
        completeNew(store, "live", T0);

        Instant now = T0.plusSeconds(20);
        claimed(store.claim(claimAt("new", now)));

        assertThat(holds(store, "live", now)).isTrue();
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.evictions()).isZero();
    }

    @Test
    void anAbandonedLeaseMakesRoomOnlyWhenNoCompletedRecordIsLeft() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(2).build();
        claimed(store.claim(claimAt("abandoned", T0)));
        completeNew(store, "done", T0);
        Instant afterLease = T0.plus(LEASE).plusSeconds(1);

        claimed(store.claim(claimAt("first", afterLease)));
        assertThat(holds(store, "done", afterLease)).isFalse();
        assertThat(holds(store, "abandoned", afterLease)).isTrue();

        claimed(store.claim(claimAt("second", afterLease)));
        assertThat(holds(store, "abandoned", afterLease)).isFalse();
        assertThat(holds(store, "first", afterLease)).isTrue();
    }

    @Test
    void aFullStoreKeepsAcceptingNewKeysAndRemembersTheLatestOnes() {
        int bound = 1_000;
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(bound).build();
        int keys = 20_000;
        for (int i = 0; i < keys; i++) {
            completeNew(store, "k" + i, T0.plusMillis(i));
        }
        Instant now = T0.plusMillis(keys);
        assertThat(store.size()).isEqualTo(bound);
        assertThat(store.evictions()).isEqualTo(keys - bound);
        for (int i = keys - bound; i < keys; i++) {
            assertThat(store.claim(claimAt("k" + i, now))).isInstanceOf(ClaimResult.Found.class);
        }
        assertThat(holds(store, "k" + (keys - bound - 1), now)).isFalse();
    }

    @Test
    void anEngineOverAFullStoreRunsNewKeysAndReplaysTheRecentOnes() {
        MutableClock clock = new MutableClock(T0);
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(2).build();
        Scope scope = Scope.of("alice", "POST /payments");
        try (Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build())) {
            List<String> runs = new ArrayList<>();
            IntFunction<String> pay = n -> engine.once(scope, IdempotencyKey.of("order-" + n), new byte[] {1},
                    ResultCodec.utf8(), () -> {
                        runs.add("order-" + n);
                        return "receipt-" + n;
                    });
            assertThat(pay.apply(1)).isEqualTo("receipt-1");
            assertThat(pay.apply(2)).isEqualTo("receipt-2");
            assertThat(pay.apply(3)).isEqualTo("receipt-3");
            assertThat(pay.apply(3)).isEqualTo("receipt-3");
            assertThat(pay.apply(2)).isEqualTo("receipt-2");
            assertThat(runs).containsExactly("order-1", "order-2", "order-3");
        }
    }

    // ------------------------------------------------------------------ the byte bound

    @Test
    void theByteBoundEvictsOldBodiesAndKeepsTheNewestWhole() {
        long maxBytes = 1024 * 1024;
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxBytes(maxBytes).build();
        int size = 300 * 1024;
        for (int i = 0; i < 6; i++) {
            String id = "large-" + i;
            long token = claimed(store.claim(claimAt(id, T0)));
            assertThat(store.complete(id, token, body(size, i), T0.plus(TTL), T0)).isTrue();
            assertThat(store.estimatedBytes()).isLessThanOrEqualTo(maxBytes);
        }
        assertThat(store.size()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            assertThat(holds(store, "large-" + i, T0)).isFalse();
        }
        for (int i = 3; i < 6; i++) {
            StoredResponse kept = store.find("large-" + i, T0).orElseThrow().response();
            assertThat(kept.bodyRetained()).isTrue();
            assertThat(kept.body()).isEqualTo(body(size, i).body());
        }
    }

    @Test
    void aBodyLargerThanTheWholeByteBoundIsKeptWithoutItsBodySoTheOperationNeverRunsTwice() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxBytes(1024 * 1024).build();
        completeNew(store, "small", T0);
        long token = claimed(store.claim(claimAt("huge", T0)));

        assertThat(store.complete("huge", token, body(2 * 1024 * 1024, 7), T0.plus(TTL), T0)).isTrue();

        IdempotencyRecord huge = store.find("huge", T0).orElseThrow();
        assertThat(huge.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(huge.response().status()).isEqualTo(200);
        assertThat(huge.response().header("Content-Type")).contains("application/octet-stream");
        assertThat(huge.response().bodyRetained()).isFalse();
        assertThat(huge.response().bodyLength()).isZero();
        assertThat(holds(store, "small", T0)).as("nothing had to be evicted for a record without its body").isTrue();
        assertThat(store.claim(claimAt("huge", T0))).isInstanceOf(ClaimResult.Found.class);
    }

    @Test
    void recordsInProgressCountAgainstTheByteBoundButAreNeverEvictedForABody() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxBytes(64 * 1024).build();
        List<String> running = new ArrayList<>();
        StoreCapacityExceededException refused = null;
        for (int i = 0; i < 10_000 && refused == null; i++) {
            try {
                claimed(store.claim(claimAt("running-" + i, T0)));
                running.add("running-" + i);
            } catch (StoreCapacityExceededException full) {
                refused = full;
            }
        }
        assertThat(refused).as("a claim refused once records in progress fill 64 KiB").isNotNull();
        assertThat(running).hasSizeGreaterThan(10);
        assertThat(store.estimatedBytes()).isLessThanOrEqualTo(64 * 1024);
        for (String id : running) {
            assertThat(store.find(id, T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
        }
    }

    @Test
    void aTypicalRecordCostsWhatTheDefaultsPromise() {
        String recordId = Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of(
                "8d3c4f1e-6a2b-4c1d-9e7f-0a1b2c3d4e5f"));
        IdempotencyRecord running = new IdempotencyRecord(recordId, "8d3c4f1e-6a2b-4c1d-9e7f-0a1b2c3d4e5f",
                "alice POST /payments", RecordState.IN_PROGRESS, new byte[32], 1, "host-1/12345@7f3a", T0, T0, null,
                T0, null);
        long bare = InMemoryIdempotencyStore.estimate(running);
        assertThat(bare).isBetween(500L, 800L);
        StoredResponse kib = StoredResponse.of(201, List.of(new StoredResponse.Header("Content-Type",
                "application/json"), new StoredResponse.Header("Location", "/payments/123")), new byte[1024]);
        long withAnswer = InMemoryIdempotencyStore.estimate(new IdempotencyRecord(recordId, running.key(),
                running.scope(), RecordState.COMPLETED, running.fingerprint(), 1, running.leaseOwner(), T0, T0, T0, T0,
                kib));
        long perDefaultBytes = InMemoryIdempotencyStore.DEFAULT_MAX_BYTES / withAnswer;
        assertThat(perDefaultBytes).isBetween(30_000L, 40_000L);
    }

    @Test
    void theBuilderRefusesBoundsThatCannotHoldARecord() {
        assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maxRecords(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecords must be positive");
        assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maxBytes(1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 65536");
    }

    // ------------------------------------------------------------------ reported

    @Test
    void evictionsAreReportedInTheLogAtMostOnceAMinute() {
        Logger logger = Logger.getLogger(InMemoryIdempotencyStore.class.getName());
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(1).build();
            completeNew(store, "a", T0);
            assertThat(logged).isEmpty();
            completeNew(store, "b", T0.plusSeconds(1));
            completeNew(store, "c", T0.plusSeconds(2));
            completeNew(store, "d", T0.plusSeconds(3));
            assertThat(logged).singleElement().satisfies(r -> {
                assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
                assertThat(r.getMessage()).contains("evicted 1 completed record,", "semel.store.memory");
            });
            completeNew(store, "e", T0.plusSeconds(62));
            assertThat(logged).hasSize(2);
            assertThat(logged.get(1).getMessage()).contains("evicted 3 completed records since the last report");
        } finally {
            logger.removeHandler(handler);
        }
    }

    // ------------------------------------------------------------------ races

    @Test
    @Timeout(60)
    void racersClaimingDistinctKeysOnANearlyFullStoreAllGetTheirClaim() throws Exception {
        int bound = 100;
        for (int round = 0; round < 20; round++) {
            InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(bound).build();
            for (int i = 0; i < bound - 1; i++) {
                completeNew(store, "old-" + i, T0);
            }
            List<ClaimResult> results = race(RACERS, i -> store.claim(claimAt("new-" + i, T0)));

            assertThat(results).allMatch(r -> r instanceof ClaimResult.Claimed);
            assertThat(store.size()).isEqualTo(bound);
            assertThat(store.evictions()).isEqualTo(RACERS - 1);
            for (int i = 0; i < RACERS; i++) {
                assertThat(store.find("new-" + i, T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
            }
            long oldKept = 0;
            for (int i = 0; i < bound - 1; i++) {
                oldKept += holds(store, "old-" + i, T0) ? 1 : 0;
            }
            assertThat(oldKept).isEqualTo(bound - RACERS);
            // the oldest went first
            assertThat(holds(store, "old-" + (RACERS - 2), T0)).isFalse();
            assertThat(holds(store, "old-" + (RACERS - 1), T0)).isTrue();
        }
    }

    @Test
    @Timeout(60)
    void racersOnAStoreFullOfRecordsInProgressGetExactlyTheRoomThatIsLeft() throws Exception {
        int bound = 50;
        for (int round = 0; round < 20; round++) {
            InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(bound).build();
            for (int i = 0; i < bound - 10; i++) {
                claimed(store.claim(claimAt("running-" + i, T0)));
            }
            List<Object> results = race(RACERS, i -> {
                try {
                    return store.claim(claimAt("new-" + i, T0));
                } catch (StoreCapacityExceededException e) {
                    return e;
                }
            });
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Claimed).hasSize(10);
            assertThat(results).filteredOn(r -> r instanceof StoreCapacityExceededException).hasSize(RACERS - 10);
            assertThat(store.size()).isEqualTo(bound);
            for (int i = 0; i < bound - 10; i++) {
                assertThat(holds(store, "running-" + i, T0)).isTrue();
            }
        }
    }

    @Test
    @Timeout(60)
    void racersOnOneNewKeyOfAFullStoreYieldOneClaimAndOneEviction() throws Exception {
        int bound = 100;
        for (int round = 0; round < 20; round++) {
            InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(bound).build();
            for (int i = 0; i < bound; i++) {
                completeNew(store, "old-" + i, T0);
            }
            byte[] fp = fingerprint("same");
            List<ClaimResult> results = race(RACERS,
                    i -> store.claim(claimAt("contested", fp, T0, T0.plus(TTL))));

            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Claimed).hasSize(1);
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Found).hasSize(RACERS - 1);
            assertThat(store.evictions()).isEqualTo(1);
            assertThat(store.size()).isEqualTo(bound);
        }
    }

    @Test
    @Timeout(120)
    void racersClaimingAndCompletingLargeBodiesKeepBothBoundsAndEveryKeptBodyWhole() throws Exception {
        long maxBytes = 2 * 1024 * 1024;
        int maxRecords = 200;
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(maxRecords)
                .maxBytes(maxBytes).build();
        int perThread = 200;
        int threads = 8;
        List<Boolean> completions = race(threads, t -> {
            boolean all = true;
            for (int i = 0; i < perThread; i++) {
                String id = "t" + t + "-" + i;
                long token = claimed(store.claim(claimAt(id, T0)));
                all &= store.complete(id, token, body(1024 + (i % 7) * 16 * 1024, t * 1000 + i), T0.plus(TTL), T0);
                assertThat(store.estimatedBytes()).isLessThanOrEqualTo(maxBytes);
                assertThat(store.size()).isLessThanOrEqualTo(maxRecords);
            }
            return all;
        });
        assertThat(completions).containsOnly(true);
        assertThat(store.evictions() + store.size()).isEqualTo((long) threads * perThread);
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                int index = i;
                int thread = t;
                store.find("t" + t + "-" + i, T0).ifPresent(r -> assertThat(r.response().body())
                        .isEqualTo(body(1024 + (index % 7) * 16 * 1024, thread * 1000 + index).body()));
            }
        }
    }

    private static <T> List<T> race(int n, RaceTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<T> c = () -> {
                    ready.countDown();
                    go.await();
                    return task.run(index);
                };
                futures.add(pool.submit(c));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface RaceTask<T> {
        T run(int index) throws Exception;
    }
}
