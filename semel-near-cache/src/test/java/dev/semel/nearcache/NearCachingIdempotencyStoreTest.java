package dev.semel.nearcache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyMismatchException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.nearcache.NearCachingIdempotencyStore.Stats;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import dev.semel.test.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The near cache over the in-memory store, with time moved by hand (a fake ticker and clock). */
class NearCachingIdempotencyStoreTest {
    private static final Instant START = Instant.parse("2031-03-04T05:06:07Z");
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);

    private final AtomicLong nanos = new AtomicLong();
    private final MutableClock clock = new MutableClock(START);
    private final CountingStore counting = new CountingStore(new InMemoryIdempotencyStore());
    private final AtomicInteger executions = new AtomicInteger();
    private NearCachingIdempotencyStore store = nearCache(NearCachingIdempotencyStore.builder(counting));
    private Idempotency engine = engine(store);

    private NearCachingIdempotencyStore nearCache(NearCachingIdempotencyStore.Builder builder) {
        return builder.ticker(nanos::get).build();
    }

    private Idempotency engine(IdempotencyStore s) {
        return Idempotency.create(s, IdempotencyConfig.custom().clock(clock).ttl(Duration.ofHours(1)).build());
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private String charge(IdempotencyKey key) {
        return charge(SCOPE, key, PAYLOAD);
    }

    private String charge(Scope scope, IdempotencyKey key, byte[] payload) {
        return engine.once(scope, key, payload, ResultCodec.utf8(),
                () -> "receipt-" + executions.incrementAndGet());
    }

    private void advanceTicker(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void replaysARecordThisInstanceCompletedWithoutAskingTheStore() {
        IdempotencyKey key = IdempotencyKey.of("k1");
        assertThat(charge(key)).isEqualTo("receipt-1");
        assertThat(counting.claims).hasValue(1);

        assertThat(charge(key)).isEqualTo("receipt-1");
        assertThat(charge(key)).isEqualTo("receipt-1");

        assertThat(counting.claims).as("replays answered from the near cache").hasValue(1);
        assertThat(executions).hasValue(1);
    }

    @Test
    void fillsFromACompletedRecordTheStoreFoundAndThenAnswersFromMemory() {
        IdempotencyKey key = IdempotencyKey.of("k2");
        // another instance (an engine straight on the store) completed it
        try (Idempotency other = engine(counting)) {
            other.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "theirs");
        }
        int before = counting.claims.get();

        assertThat(charge(key)).isEqualTo("theirs");
        assertThat(counting.claims.get() - before).as("the first replay asks the store").isEqualTo(1);
        assertThat(charge(key)).isEqualTo("theirs");
        assertThat(counting.claims.get() - before).as("the second one does not").isEqualTo(1);
        assertThat(executions).hasValue(0);
    }

    @Test
    void asksTheStoreAgainOnceMaxStalenessHasPassed() {
        IdempotencyKey key = IdempotencyKey.of("k3");
        charge(key);
        advanceTicker(NearCachingIdempotencyStore.DEFAULT_MAX_STALENESS.minusMillis(1));
        charge(key);
        assertThat(counting.claims).as("still fresh").hasValue(1);

        advanceTicker(Duration.ofMillis(1));
        assertThat(charge(key)).isEqualTo("receipt-1");
        assertThat(counting.claims).as("stale: the store answers").hasValue(2);
        assertThat(executions).hasValue(1);
    }

    @Test
    void neverServesARecordPastItsOwnExpiry() {
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxStaleness(Duration.ofDays(7)));
        engine.close();
        engine = engine(store);
        IdempotencyKey key = IdempotencyKey.of("k4");
        charge(key);
        clock.advance(Duration.ofMinutes(59));
        charge(key);
        assertThat(counting.claims).hasValue(1);

        clock.advance(Duration.ofMinutes(1)); // the record's ttl (1 h) has passed; the ticker has not moved
        assertThat(charge(key)).as("the expired record runs again").isEqualTo("receipt-2");
        assertThat(executions).hasValue(2);
    }

    @Test
    void keepsAtMostMaxEntriesRecords() {
        // eviction on the calling thread, so the bound holds the moment a record is added
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxEntries(10).executor(Runnable::run));
        engine.close();
        engine = engine(store);
        for (int i = 0; i < 100; i++) {
            charge(IdempotencyKey.of("bounded-" + i));
        }
        int before = counting.claims.get();
        for (int i = 0; i < 100; i++) {
            assertThat(charge(IdempotencyKey.of("bounded-" + i))).isEqualTo("receipt-" + (i + 1));
        }
        assertThat(counting.claims.get() - before).as("replays that had to ask the store").isGreaterThanOrEqualTo(90);
        assertThat(executions).hasValue(100);
    }

    @Test
    void claimsNeverEndedDoNotStopItCachingWhatCompletesLater() {
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxEntries(10));
        engine.close();
        engine = engine(store);
        for (int i = 0; i < 50; i++) { // leases nobody ends (a lost request)
            assertThat(engine.begin(SCOPE, IdempotencyKey.of("abandoned-" + i), Fingerprint.of(PAYLOAD),
                    CallOptions.DEFAULTS)).isInstanceOf(Decision.Execute.class);
        }
        IdempotencyKey key = IdempotencyKey.of("after-them");
        assertThat(charge(key)).isEqualTo("receipt-1");
        int before = counting.claims.get();
        assertThat(charge(key)).isEqualTo("receipt-1");
        assertThat(counting.claims.get() - before).as("the replay came from the near cache").isZero();
    }

    @Test
    void doesNotCacheResponsesLargerThanMaxBodyBytes() {
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxBodyBytes(8));
        engine.close();
        engine = engine(store);
        IdempotencyKey small = IdempotencyKey.of("small");
        IdempotencyKey large = IdempotencyKey.of("large");
        engine.once(SCOPE, small, PAYLOAD, ResultCodec.utf8(), () -> "12345678");
        engine.once(SCOPE, large, PAYLOAD, ResultCodec.utf8(), () -> "123456789");
        int before = counting.claims.get();

        engine.once(SCOPE, small, PAYLOAD, ResultCodec.utf8(), () -> "again");
        assertThat(counting.claims.get() - before).isEqualTo(0);
        assertThat(engine.once(SCOPE, large, PAYLOAD, ResultCodec.utf8(), () -> "again")).isEqualTo("123456789");
        assertThat(counting.claims.get() - before).isEqualTo(1);
    }

    @Test
    void aDeleteOnThisInstanceTakesEffectAtOnce() {
        IdempotencyKey key = IdempotencyKey.of("k5");
        charge(key);
        charge(key);
        assertThat(engine.admin().delete(SCOPE.recordId(key))).isTrue();

        assertThat(charge(key)).as("deleted: runs again at once, no stale replay").isEqualTo("receipt-2");
        assertThat(executions).hasValue(2);
    }

    @Test
    void aReleaseOfTheIdDropsItsCachedRecord() {
        IdempotencyKey key = IdempotencyKey.of("k6");
        charge(key);
        String id = SCOPE.recordId(key);
        long token = store.find(id, START).orElseThrow().fencingToken();
        assertThat(store.release(id, token)).as("a completed record is not released").isFalse();

        charge(key);
        assertThat(counting.claims).as("the release dropped the cached record").hasValue(2);
        assertThat(executions).hasValue(1);
    }

    @Test
    void aFailedCompletionDropsTheCachedRecord() {
        IdempotencyKey key = IdempotencyKey.of("k6b");
        charge(key);
        String id = SCOPE.recordId(key);
        assertThat(store.complete(id, 12345, StoredResponse.ofResult(new byte[] {1}), START.plusSeconds(60), START))
                .isFalse();
        charge(key);
        assertThat(counting.claims).hasValue(2);
    }

    @Test
    void anotherPayloadUnderACachedKeyIsStillAMismatch() {
        IdempotencyKey key = IdempotencyKey.of("k7");
        charge(key);
        byte[] other = "{\"amount\":999}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> charge(SCOPE, key, other)).isInstanceOf(IdempotencyMismatchException.class);
        assertThat(counting.claims).as("answered from the cached record's fingerprint").hasValue(1);
        assertThat(executions).hasValue(1);
    }

    @Test
    void anotherCallersKeyNeverReplaysThisCallersResponse() {
        IdempotencyKey key = IdempotencyKey.of("same-key");
        Scope bob = Scope.of("bob", "POST /payments");
        assertThat(SCOPE.recordId(key)).isNotEqualTo(bob.recordId(key));
        assertThat(charge(SCOPE, key, PAYLOAD)).isEqualTo("receipt-1");

        assertThat(charge(bob, key, PAYLOAD)).as("bob runs his own").isEqualTo("receipt-2");
        assertThat(charge(bob, key, PAYLOAD)).isEqualTo("receipt-2");
        assertThat(charge(SCOPE, key, PAYLOAD)).isEqualTo("receipt-1");
        Scope otherRoute = Scope.of("alice", "POST /refunds");
        assertThat(charge(otherRoute, key, PAYLOAD)).as("nor on another route").isEqualTo("receipt-3");
    }

    @Test
    void neverCachesARecordInProgress() {
        String id = SCOPE.recordId(IdempotencyKey.of("running"));
        byte[] fp = Fingerprint.of(PAYLOAD).bytes();
        assertThat(store.claim(request(id, fp, 1))).isInstanceOf(ClaimResult.Claimed.class);

        for (int i = 0; i < 3; i++) {
            ClaimResult result = store.claim(request(id, fp, 2));
            assertThat(result).isInstanceOf(ClaimResult.Found.class);
            assertThat(((ClaimResult.Found) result).record().state()).isEqualTo(RecordState.IN_PROGRESS);
        }
        assertThat(counting.claims).as("every claim of a running key asks the store").hasValue(4);
    }

    @Test
    void asynchronousClaimsAreAnsweredFromTheCacheAndCompletionsFillIt() throws Exception {
        ExecutorService blocking = Executors.newSingleThreadExecutor();
        try {
            String id = SCOPE.recordId(IdempotencyKey.of("async"));
            byte[] fp = Fingerprint.of(PAYLOAD).bytes();
            ClaimResult claimed = store.claimAsync(request(id, fp, 1), blocking).toCompletableFuture().get();
            long token = ((ClaimResult.Claimed) claimed).fencingToken();
            StoredResponse response = StoredResponse.ofResult("done".getBytes(StandardCharsets.UTF_8));
            assertThat(store.completeAsync(id, token, response, START.plusSeconds(60), START, blocking)
                    .toCompletableFuture().get()).isTrue();

            CompletableFuture<ClaimResult> replay = store.claimAsync(request(id, fp, 2), blocking)
                    .toCompletableFuture();
            assertThat(replay).as("a hit completes at once").isCompleted();
            ClaimResult.Found found = (ClaimResult.Found) replay.get();
            assertThat(found.record().response()).isEqualTo(response);
            assertThat(found.record().fingerprint()).isEqualTo(fp);
            assertThat(counting.claims).hasValue(1);
            assertThat(store.stats().hits()).as("the asynchronous hit counts too").isEqualTo(1);
            assertThat(store.stats().misses()).isEqualTo(1);
        } finally {
            blocking.shutdownNow();
        }
    }

    /** The race a cache invites: a claim reads the record, a delete runs, then the claim would cache it. */
    @Test
    void aRecordDeletedWhileAClaimWasReadingItIsNotCached() throws Exception {
        IdempotencyKey key = IdempotencyKey.of("raced");
        String id = SCOPE.recordId(key);
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch deleted = new CountDownLatch(1);
        AtomicInteger storeClaims = new AtomicInteger();
        IdempotencyStore slow = new ForwardingIdempotencyStore(new InMemoryIdempotencyStore()) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                storeClaims.incrementAndGet();
                ClaimResult result = super.claim(request);
                if (result instanceof ClaimResult.Found && read.getCount() > 0) {
                    read.countDown();
                    await(deleted);
                }
                return result;
            }
        };
        try (Idempotency other = engine(slow)) {
            other.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "first");
        }
        NearCachingIdempotencyStore cache = nearCache(NearCachingIdempotencyStore.builder(slow));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ClaimResult> claim = pool.submit(() -> cache.claim(request(id, Fingerprint.of(PAYLOAD).bytes(), 5)));
            assertThat(read.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cache.delete(id)).isTrue();
            deleted.countDown();
            assertThat(claim.get(10, TimeUnit.SECONDS)).isInstanceOf(ClaimResult.Found.class);
        } finally {
            pool.shutdownNow();
        }
        int before = storeClaims.get();
        assertThat(cache.claim(request(id, Fingerprint.of(PAYLOAD).bytes(), 6)))
                .as("the deleted record was not cached: the key is claimed afresh")
                .isInstanceOf(ClaimResult.Claimed.class);
        assertThat(storeClaims.get() - before).isEqualTo(1);
    }

    @Test
    void refusesATransactionalStore() {
        TransactionalIdempotencyStore transactional = new Transactional(new InMemoryIdempotencyStore());
        assertThatThrownBy(() -> NearCachingIdempotencyStore.builder(transactional))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transactional store");
    }

    @Test
    void refusesBadSettings() {
        NearCachingIdempotencyStore.Builder builder = NearCachingIdempotencyStore.builder(counting);
        assertThatThrownBy(() -> builder.maxEntries(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxStaleness(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxStaleness(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxBodyBytes(-1)).isInstanceOf(IllegalArgumentException.class);
        NearCachingIdempotencyStore defaults = builder.build();
        assertThat(defaults.maxEntries()).isEqualTo(10_000);
        assertThat(defaults.maxStaleness()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.usesOwnClock()).isFalse();
        assertThat(defaults.stats()).isEqualTo(new Stats(0, 0, 0, 0, 0, 0));
        assertThat(defaults.stats().hitRate()).as("no claim yet").isZero();
    }

    // ------------------------------------------------------------------ stats

    @Test
    void countsAReplayFromMemoryAsAHitAndTheClaimThatRanAsAMiss() {
        IdempotencyKey key = IdempotencyKey.of("s1");
        charge(key);
        charge(key);
        charge(key);

        Stats stats = store.stats();
        assertThat(stats).isEqualTo(new Stats(2, 1, 1, 0, 0, 1));
        assertThat(stats.hitRate()).isEqualTo(2.0 / 3);
        assertThat(counting.claims).as("the misses are the claims the store saw").hasValue((int) stats.misses());
    }

    @Test
    void countsEveryNewKeyAsAMiss() {
        for (int i = 0; i < 3; i++) {
            charge(IdempotencyKey.of("new-" + i));
        }
        assertThat(store.stats()).isEqualTo(new Stats(0, 3, 3, 0, 0, 3));
    }

    @Test
    void countsAClaimOfARecordFromAnotherInstanceAsAMissThenAHit() {
        IdempotencyKey key = IdempotencyKey.of("s2");
        try (Idempotency other = engine(counting)) {
            other.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "theirs");
        }
        charge(key);
        assertThat(store.stats()).as("found in the store, then cached").isEqualTo(new Stats(0, 1, 1, 0, 0, 1));
        charge(key);
        assertThat(store.stats().hits()).isEqualTo(1);
    }

    /** Caffeine's own statistics would count this one a hit: the lookup found the entry. */
    @Test
    void countsAClaimOfACachedRecordPastItsOwnExpiryAsAMiss() {
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxStaleness(Duration.ofDays(7)));
        engine.close();
        engine = engine(store);
        IdempotencyKey key = IdempotencyKey.of("s3");
        charge(key);
        clock.advance(Duration.ofHours(1)); // the record's ttl

        assertThat(charge(key)).isEqualTo("receipt-2");
        Stats stats = store.stats();
        assertThat(stats.hits()).isZero();
        assertThat(stats.misses()).isEqualTo(2);
        assertThat(counting.claims).hasValue(2);
    }

    @Test
    void countsEvictionsForRoomButNotRecordsThatWentStale() {
        // eviction on the calling thread, so that it has happened when the figures are read
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxEntries(10).executor(Runnable::run));
        engine.close();
        engine = engine(store);
        for (int i = 0; i < 100; i++) {
            charge(IdempotencyKey.of("room-" + i));
        }
        Stats full = store.stats();
        assertThat(full.puts()).isEqualTo(100);
        assertThat(full.evictions()).isEqualTo(90);
        assertThat(full.entries()).isEqualTo(10);

        advanceTicker(NearCachingIdempotencyStore.DEFAULT_MAX_STALENESS);
        charge(IdempotencyKey.of("after-the-staleness")); // a write: the upkeep drops the stale entries
        Stats later = store.stats();
        assertThat(later.entries()).as("the stale entries are gone").isEqualTo(1);
        assertThat(later.evictions()).as("going stale is not an eviction").isEqualTo(90);
    }

    @Test
    void countsRecordsWhoseBodyIsTooLargeToCacheEachTimeTheStoreAnswersWithOne() {
        store = nearCache(NearCachingIdempotencyStore.builder(counting).maxBodyBytes(8));
        engine.close();
        engine = engine(store);
        IdempotencyKey large = IdempotencyKey.of("large");
        engine.once(SCOPE, large, PAYLOAD, ResultCodec.utf8(), () -> "123456789");
        assertThat(store.stats()).as("completed here, not cached").isEqualTo(new Stats(0, 1, 0, 0, 1, 0));

        engine.once(SCOPE, large, PAYLOAD, ResultCodec.utf8(), () -> "again");
        assertThat(store.stats()).as("replayed from the store, not cached again")
                .isEqualTo(new Stats(0, 2, 0, 0, 2, 0));
    }

    @Test
    void countsEveryOneOfManyConcurrentReplays() throws Exception {
        IdempotencyKey key = IdempotencyKey.of("storm");
        charge(key);
        int threads = 8;
        int replaysEach = 500;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                running.add(pool.submit(() -> {
                    await(start);
                    for (int i = 0; i < replaysEach; i++) {
                        assertThat(charge(key)).isEqualTo("receipt-1");
                    }
                }));
            }
            start.countDown();
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Stats stats = store.stats();
        assertThat(stats.hits()).isEqualTo((long) threads * replaysEach);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(executions).hasValue(1);
    }

    private ClaimRequest request(String id, byte[] fingerprint, long token) {
        Instant now = clock.instant();
        return new ClaimRequest(id, "key", SCOPE.toString(), fingerprint, "owner-" + token, token,
                now.plusSeconds(30), now.plus(Duration.ofHours(1)), now);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A transactional store in name: enough to be refused. */
    private static final class Transactional extends ForwardingIdempotencyStore
            implements TransactionalIdempotencyStore {
        Transactional(IdempotencyStore delegate) {
            super(delegate);
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            return work.run();
        }
    }
}
