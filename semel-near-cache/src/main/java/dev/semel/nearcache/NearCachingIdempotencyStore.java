package dev.semel.nearcache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A store in front of another one that answers the claim of a recently completed key from this
 * process's memory: a replay costs no store round trip.
 *
 * <p>Only {@link RecordState#COMPLETED completed} records are cached, and only ones this process
 * knows are committed: those a claim found in the store, and those this process completed itself.
 * A claim of a cached record answers {@link ClaimResult.Found} with it, exactly what the store
 * would answer, so the engine replays it, or answers a mismatch for another payload, as it would
 * from the store. Every other answer (a new key, a key in progress, a lease to take over) comes
 * from the store, and so does every other call.
 *
 * <p><b>Staleness.</b> A cached record is served for at most {@code maxStaleness} after it was
 * cached (default 1 s), and never once the claim's
 * {@code now} reaches the record's {@code expiresAt}. A record deleted by an operator on one
 * instance may still replay from another instance's near cache for at most {@code maxStaleness};
 * on the instance where it was deleted ({@link #delete} through this store, as the Actuator
 * endpoint does) it is gone at once. A {@link #release} or a {@link #complete} of the id drops it
 * too. {@link #purgeExpired} drops nothing: it deletes only records that no longer exist for
 * callers, and a cached record is checked against its expiry at every claim.
 *
 * <p><b>Memory.</b> At most {@code maxEntries} records (default {@value #DEFAULT_MAX_ENTRIES}),
 * evicted by Caffeine's size policy, and no response whose body is larger than
 * {@code maxBodyBytes} (default {@value #DEFAULT_MAX_BODY_BYTES} bytes): a larger one is replayed
 * from the store. The worst case is about {@code maxEntries × (maxBodyBytes + headers)}.
 *
 * <p><b>Transactions.</b> A {@link TransactionalIdempotencyStore} is refused: inside its
 * transaction a claim may find a completed record that this very transaction wrote and may still
 * roll back, which a decorator cannot tell from a committed one; and the engine claims inside the
 * transaction on every request, so a cache filled only outside one would stay empty.
 *
 * <pre>{@code
 * IdempotencyStore store = NearCachingIdempotencyStore.builder(redisStore)
 *         .maxEntries(10_000)
 *         .maxStaleness(Duration.ofSeconds(1))
 *         .build();
 * Idempotency idempotency = Idempotency.create(store, config);
 * }</pre>
 *
 * <p>The asynchronous calls go to the delegate's own asynchronous path (Redis answers them
 * natively); a cache hit completes at once.
 *
 * <p><b>Watching it.</b> {@link #stats()} says how many claims the cache answered and how many went
 * to the store, how many records it holds, and what it evicted or would not keep.
 */
public final class NearCachingIdempotencyStore extends ForwardingIdempotencyStore {
    /** The default bound on cached records: 10,000. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    /**
     * The default staleness bound: 1 s. A retry storm (a client's or a load balancer's retries, a
     * double click) replays within a second or two, which is what the cache is for; an operator's
     * delete on another instance takes effect here within the same second.
     */
    public static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(1);
    /** The default largest response body cached: 8 KiB; larger ones are replayed from the store. */
    public static final int DEFAULT_MAX_BODY_BYTES = 8 * 1024;

    /** Invalidation counters, striped by record id: a fill that raced with a delete is undone. */
    private static final int STRIPES = 64;

    private final Cache<String, Cached> completed;
    /**
     * What this process claimed and may complete: the fingerprint and the rest a completed record
     * needs. A plain map, not a second Caffeine cache: every new key puts and removes one entry,
     * and a bounded cache's writes go through its write buffer and eviction (measured with it:
     * 248 µs of request-thread CPU per new key, 216 µs without). Entries live as long as their
     * request; claims never ended (a lost lease) are bounded by clearing the map past
     * {@code maxEntries}, which only means those completions are not cached.
     */
    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    private final AtomicLongArray epochs = new AtomicLongArray(STRIPES);
    private final int maxEntries;
    private final Duration maxStaleness;
    private final int maxBodyBytes;

    /*
     * The figures of stats(). Counted here rather than with Caffeine's recordStats(): that costs the
     * same (a LongAdder per lookup) but counts lookups, not claims. A lookup that finds a record
     * past its own expiry is a hit for Caffeine and a trip to the store for the caller, and
     * Caffeine's eviction count adds every entry that reached maxStaleness, which hides the one
     * eviction an operator can act on: for room (maxEntries too small).
     */
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder oversized = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    private NearCachingIdempotencyStore(Builder b) {
        super(b.delegate);
        this.maxEntries = b.maxEntries;
        this.maxStaleness = b.maxStaleness;
        this.maxBodyBytes = b.maxBodyBytes;
        this.completed = Caffeine.newBuilder()
                .maximumSize(b.maxEntries)
                .expireAfterWrite(b.maxStaleness)
                .ticker(b.ticker)
                .executor(b.executor)
                // called by the upkeep (not on a request thread) for every eviction, whatever its cause
                .evictionListener((@Nullable String id, @Nullable Cached entry, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
    }

    /**
     * Starts a near cache in front of a store.
     *
     * @param delegate the store that holds the records
     * @return the builder
     * @throws IllegalArgumentException if the store is a {@link TransactionalIdempotencyStore}
     */
    public static Builder builder(IdempotencyStore delegate) {
        Objects.requireNonNull(delegate, "delegate");
        if (delegate instanceof TransactionalIdempotencyStore) {
            throw new IllegalArgumentException("A near cache cannot sit in front of a transactional store ("
                    + delegate + "): inside the business transaction a claim may find a completed record that the "
                    + "same transaction wrote and may still roll back. Use a non-transactional store (JDBC without "
                    + "transactional mode, Redis), or no near cache.");
        }
        return new Builder(delegate);
    }

    /** @return the most records kept */
    public int maxEntries() {
        return maxEntries;
    }

    /** @return how long a cached record is served at most */
    public Duration maxStaleness() {
        return maxStaleness;
    }

    /** @return the largest response body cached */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /**
     * What the cache has done since it was built, read now: cheap enough to call from a metrics
     * scrape or a health check. The counts are read one after the other while requests go on, so
     * two of them may be a request apart.
     *
     * @return the figures
     */
    public Stats stats() {
        return new Stats(hits.sum(), misses.sum(), puts.sum(), evictions.sum(), oversized.sum(),
                completed.estimatedSize());
    }

    // ------------------------------------------------------------------ claim

    @Override
    public ClaimResult claim(ClaimRequest request) {
        IdempotencyRecord hit = cached(request);
        if (hit != null) {
            hits.increment();
            return ClaimResult.found(hit);
        }
        misses.increment();
        long epoch = epoch(request.recordId());
        return learn(request, delegate().claim(request), epoch);
    }

    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        IdempotencyRecord hit = cached(request);
        if (hit != null) {
            hits.increment();
            return CompletableFuture.completedFuture(ClaimResult.found(hit));
        }
        misses.increment();
        long epoch = epoch(request.recordId());
        return delegate().claimAsync(request, blocking).thenApply(result -> learn(request, result, epoch));
    }

    /** The cached completed record for this claim, if still fresh and not expired at the claim's now. */
    private @Nullable IdempotencyRecord cached(ClaimRequest request) {
        @Nullable Cached entry = completed.getIfPresent(request.recordId());
        if (entry == null) {
            return null;
        }
        if (!request.now().isBefore(entry.expiresAt())) {
            completed.asMap().remove(request.recordId(), entry);
            return null;
        }
        return entry.record();
    }

    /** Remembers what a store's claim answer teaches: a committed completed record, or a claim of ours. */
    private ClaimResult learn(ClaimRequest request, ClaimResult result, long epoch) {
        if (result instanceof ClaimResult.Found found) {
            IdempotencyRecord record = found.record();
            if (record.state() == RecordState.COMPLETED && request.now().isBefore(record.expiresAt())) {
                fill(record, record.expiresAt(), epoch);
            }
        } else if (result instanceof ClaimResult.Claimed claimed && !claimed.takeover()) {
            // a takeover's record was created earlier, by someone else: not enough to describe it
            if (claims.size() >= maxEntries) {
                claims.clear(); // claims never ended: forget them (their completions go uncached)
            }
            claims.put(request.recordId(), new Claim(request, claimed.fencingToken()));
        }
        return result;
    }

    // ------------------------------------------------------------------ complete

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        long epoch = epoch(recordId);
        boolean completedHere;
        try {
            completedHere = delegate().complete(recordId, fencingToken, response, expiresAt, now);
        } catch (RuntimeException e) {
            forget(recordId);
            throw e;
        }
        return completed(recordId, fencingToken, response, expiresAt, now, completedHere, epoch);
    }

    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        long epoch = epoch(recordId);
        return delegate().completeAsync(recordId, fencingToken, response, expiresAt, now, blocking)
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        forget(recordId);
                    }
                })
                .thenApply(ok -> completed(recordId, fencingToken, response, expiresAt, now, ok, epoch));
    }

    /**
     * After a completion: the record this process just committed is cached (the store is not
     * transactional, so it is committed once {@code complete} returns); any other answer drops the id.
     */
    private boolean completed(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now, boolean completedHere, long epoch) {
        @Nullable Claim claim = claims.remove(recordId);
        if (completedHere && claim != null && claim.fencingToken() == fencingToken) {
            ClaimRequest r = claim.request();
            fill(new IdempotencyRecord(recordId, r.key(), r.scope(), RecordState.COMPLETED, r.fingerprint(),
                    fencingToken, r.owner(), r.leaseDeadline(), r.now(), now, expiresAt, response), expiresAt, epoch);
        } else {
            invalidate(recordId);
        }
        return completedHere;
    }

    // ------------------------------------------------------------------ release, delete

    @Override
    public boolean release(String recordId, long fencingToken) {
        try {
            return delegate().release(recordId, fencingToken);
        } finally {
            forget(recordId);
        }
    }

    @Override
    public CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        return delegate().releaseAsync(recordId, fencingToken, blocking)
                .whenComplete((ok, failure) -> forget(recordId));
    }

    /** Deletes the record in the store, then drops it here: this instance never replays it again. */
    @Override
    public boolean delete(String recordId) {
        try {
            return delegate().delete(recordId);
        } finally {
            forget(recordId);
        }
    }

    // ------------------------------------------------------------------ forwarded as they are

    @Override
    public boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now) {
        return delegate().renew(recordId, fencingToken, leaseDeadline, now);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        return delegate().find(recordId, now);
    }

    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        return delegate().query(query, now);
    }

    /** Purges in the store; the cache keeps its records, each checked against its expiry at every claim. */
    @Override
    public int purgeExpired(Instant now, int limit) {
        return delegate().purgeExpired(now, limit);
    }

    @Override
    public CompletionStage<Void> awaitChangeAsync(String recordId, Duration timeout) {
        return delegate().awaitChangeAsync(recordId, timeout);
    }

    // ------------------------------------------------------------------ the cache

    private int stripe(String recordId) {
        int h = recordId.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    private long epoch(String recordId) {
        return epochs.get(stripe(recordId));
    }

    /**
     * Caches a committed completed record. {@code epoch} was read before the store was asked: if an
     * invalidation of the id (a delete, a release) ran since, the store's answer may predate it and the
     * entry is taken out again. An invalidation counts up before it removes, so either this check sees
     * it or its removal comes after this put.
     */
    private void fill(IdempotencyRecord record, Instant expiresAt, long epoch) {
        StoredResponse response = record.response();
        if (response == null) {
            return;
        }
        if (response.bodyLength() > maxBodyBytes) {
            oversized.increment();
            return;
        }
        String id = record.recordId();
        Cached entry = new Cached(record, expiresAt);
        completed.put(id, entry);
        puts.increment();
        if (epoch(id) != epoch) {
            completed.asMap().remove(id, entry);
        }
    }

    private void invalidate(String recordId) {
        epochs.incrementAndGet(stripe(recordId));
        completed.invalidate(recordId);
    }

    /** Drops everything known about the id: its cached record and a claim of ours. */
    private void forget(String recordId) {
        claims.remove(recordId);
        invalidate(recordId);
    }

    @Override
    public String toString() {
        return "NearCaching(" + delegate() + ", maxEntries=" + maxEntries + ", maxStaleness=" + maxStaleness + ")";
    }

    /** A cached record and when it stops existing, on the clock of the claims that will read it. */
    private record Cached(IdempotencyRecord record, Instant expiresAt) {
    }

    /** A claim this process holds. */
    private record Claim(ClaimRequest request, long fencingToken) {
    }

    /**
     * What a near cache has done since it was built ({@link #stats()}): an immutable snapshot.
     * Every claim is either a hit or a miss. A miss is not a fault: every new key, every key in
     * progress, and the first replay on an instance other than the one that completed the record go
     * to the store, so the share of hits follows the share of claims that are replays of keys
     * completed within {@code maxStaleness}.
     *
     * @param hits claims answered from the cache, without a store round trip
     * @param misses claims that went to the store: no fresh cached record, or one past its own
     *     expiry at the claim's {@code now}
     * @param puts completed records cached: found by a claim in the store, or completed by this
     *     process (the same record again after it went stale counts again)
     * @param evictions records dropped to stay within {@code maxEntries}; records that reached
     *     {@code maxStaleness} or were deleted, released or completed again are not counted. A
     *     steady rate means {@code maxEntries} is smaller than the records completed per
     *     {@code maxStaleness}
     * @param oversized completed records not cached because their response body was larger than
     *     {@code maxBodyBytes}; each claim that finds such a record in the store counts again
     * @param entries records cached now (Caffeine's estimate: it may still count a few that
     *     expired and are not yet cleaned up)
     */
    public record Stats(long hits, long misses, long puts, long evictions, long oversized, long entries) {
        /**
         * The share of claims answered from the cache.
         *
         * @return {@code hits / (hits + misses)}, or 0 before the first claim
         */
        public double hitRate() {
            long claims = hits + misses;
            return claims == 0 ? 0 : (double) hits / claims;
        }
    }

    /** Settings of a {@link NearCachingIdempotencyStore}; every one has a default. */
    public static final class Builder {
        private final IdempotencyStore delegate;
        private int maxEntries = DEFAULT_MAX_ENTRIES;
        private Duration maxStaleness = DEFAULT_MAX_STALENESS;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Ticker ticker = Ticker.systemTicker();
        private Executor executor = ForkJoinPool.commonPool();

        private Builder(IdempotencyStore delegate) {
            this.delegate = delegate;
        }

        /**
         * The most records kept; the least recently and frequently used go first (Caffeine's policy).
         *
         * @param maxEntries at least 1; default {@value NearCachingIdempotencyStore#DEFAULT_MAX_ENTRIES}
         * @return this builder
         */
        public Builder maxEntries(int maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /**
         * How long a cached record is served at most: how long a record deleted on another instance
         * may still replay here.
         *
         * @param maxStaleness a positive duration; default 1 s
         * @return this builder
         */
        public Builder maxStaleness(Duration maxStaleness) {
            Objects.requireNonNull(maxStaleness, "maxStaleness");
            if (maxStaleness.isNegative() || maxStaleness.isZero()) {
                throw new IllegalArgumentException("maxStaleness must be positive, was " + maxStaleness);
            }
            this.maxStaleness = maxStaleness;
            return this;
        }

        /**
         * The largest response body cached; a record with a larger one is replayed from the store.
         *
         * @param maxBodyBytes zero or more; default {@value NearCachingIdempotencyStore#DEFAULT_MAX_BODY_BYTES}
         * @return this builder
         */
        public Builder maxBodyBytes(int maxBodyBytes) {
            if (maxBodyBytes < 0) {
                throw new IllegalArgumentException("maxBodyBytes must not be negative, was " + maxBodyBytes);
            }
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /**
         * The time source of the staleness bound, for tests that move time without sleeping.
         *
         * @param ticker nanoseconds; default {@link Ticker#systemTicker()}
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Where the cache's upkeep (eviction, expiry) runs. The default, Caffeine's own, is the
         * common fork-join pool: handing it over never waits, and request threads do not run the
         * upkeep themselves. {@code Runnable::run} runs it on the calling thread, which makes
         * eviction immediate (for tests).
         *
         * @param executor the executor; default {@link ForkJoinPool#commonPool()}
         * @return this builder
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Builds the store.
         *
         * @return the near-caching store
         */
        public NearCachingIdempotencyStore build() {
            return new NearCachingIdempotencyStore(this);
        }
    }
}
