package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A store in this JVM's memory: correct across threads, gone on restart, invisible to
 * other instances. Right for tests, single-instance services and as a fast default.
 *
 * <p>Every transition is one atomic {@link ConcurrentHashMap#compute} on the record.
 * Expired records vanish lazily (no background thread is needed); {@link #purgeExpired}
 * frees their memory on demand. The store holds at most {@code maxRecords}: when full it
 * first purges expired records, and if every record is still live it refuses the claim
 * with {@link StoreCapacityExceededException} rather than dropping a live record.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(50_000).build();
 * }</pre>
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {
    /** The default bound on records held: 100,000. */
    public static final int DEFAULT_MAX_RECORDS = 100_000;

    private static final int STRIPES = 64;

    private final ConcurrentHashMap<String, IdempotencyRecord> records = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger();
    private final int maxRecords;
    private final Object[] monitors = new Object[STRIPES];

    /** A store with {@link #DEFAULT_MAX_RECORDS}. */
    public InMemoryIdempotencyStore() {
        this(DEFAULT_MAX_RECORDS);
    }

    private InMemoryIdempotencyStore(int maxRecords) {
        this.maxRecords = maxRecords;
        for (int i = 0; i < STRIPES; i++) {
            monitors[i] = new Object();
        }
    }

    /**
     * Starts configuring a store.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return how many records are held, expired ones not yet purged included */
    public int size() {
        return records.size();
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Instant now = request.now();
        IdempotencyRecord current = records.get(request.recordId());
        boolean mayCreate = current == null;
        if (mayCreate && !reserveSlot(now)) {
            throw new StoreCapacityExceededException("The in-memory idempotency store holds " + maxRecords
                    + " live records (its maxRecords); refusing a new claim rather than dropping a live record");
        }
        ClaimResult[] result = new ClaimResult[1];
        boolean[] created = new boolean[1];
        records.compute(request.recordId(), (id, cur) -> {
            if (cur == null || !cur.expiresAt().isAfter(now)) {
                created[0] = cur == null;
                result[0] = new ClaimResult.Claimed(request.freshToken(), false);
                return new IdempotencyRecord(id, request.key(), request.scope(), RecordState.IN_PROGRESS,
                        request.fingerprint().clone(), request.freshToken(), request.owner(), request.leaseDeadline(),
                        now, null, request.expiresAt(), null);
            }
            if (cur.state() == RecordState.IN_PROGRESS && !cur.leaseDeadline().isAfter(now)
                    && Arrays.equals(cur.fingerprint(), request.fingerprint())) {
                long token = cur.fencingToken() + 1;
                result[0] = new ClaimResult.Claimed(token, true);
                return new IdempotencyRecord(id, cur.key(), cur.scope(), RecordState.IN_PROGRESS, cur.fingerprint(),
                        token, request.owner(), request.leaseDeadline(), cur.createdAt(), null, cur.expiresAt(), null);
            }
            result[0] = ClaimResult.found(cur);
            return cur;
        });
        if (mayCreate && !created[0]) {
            reserved.decrementAndGet();
        } else if (!mayCreate && created[0]) {
            // the record vanished between get and compute (released or purged): count it now
            reserved.incrementAndGet();
        }
        return result[0];
    }

    private boolean reserveSlot(Instant now) {
        if (tryReserve()) {
            return true;
        }
        purgeExpired(now, Integer.MAX_VALUE);
        return tryReserve();
    }

    private boolean tryReserve() {
        while (true) {
            int n = reserved.get();
            if (n >= maxRecords) {
                return false;
            }
            if (reserved.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        boolean[] done = new boolean[1];
        records.computeIfPresent(recordId, (id, cur) -> {
            if (!holds(cur, fencingToken, now)) {
                return cur;
            }
            done[0] = true;
            return new IdempotencyRecord(id, cur.key(), cur.scope(), RecordState.COMPLETED, cur.fingerprint(),
                    cur.fencingToken(), cur.leaseOwner(), cur.leaseDeadline(), cur.createdAt(), now, expiresAt,
                    response);
        });
        if (done[0]) {
            signal(recordId);
        }
        return done[0];
    }

    @Override
    public boolean release(String recordId, long fencingToken) {
        boolean[] done = new boolean[1];
        records.computeIfPresent(recordId, (id, cur) -> {
            if (cur.state() == RecordState.IN_PROGRESS && cur.fencingToken() == fencingToken) {
                done[0] = true;
                return null;
            }
            return cur;
        });
        if (done[0]) {
            reserved.decrementAndGet();
            signal(recordId);
        }
        return done[0];
    }

    @Override
    public boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now) {
        boolean[] done = new boolean[1];
        records.computeIfPresent(recordId, (id, cur) -> {
            if (!holds(cur, fencingToken, now)) {
                return cur;
            }
            done[0] = true;
            return new IdempotencyRecord(id, cur.key(), cur.scope(), cur.state(), cur.fingerprint(),
                    cur.fencingToken(), cur.leaseOwner(), leaseDeadline, cur.createdAt(), null, cur.expiresAt(), null);
        });
        return done[0];
    }

    private static boolean holds(IdempotencyRecord cur, long fencingToken, Instant now) {
        return cur.state() == RecordState.IN_PROGRESS && cur.fencingToken() == fencingToken
                && cur.expiresAt().isAfter(now);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        IdempotencyRecord r = records.get(recordId);
        return r != null && r.expiresAt().isAfter(now) ? Optional.of(r) : Optional.empty();
    }

    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        return records.values().stream()
                .filter(r -> r.expiresAt().isAfter(now) && query.matches(r))
                .sorted(Comparator.comparing(IdempotencyRecord::createdAt).reversed())
                .limit(query.limit())
                .collect(Collectors.toList());
    }

    @Override
    public boolean delete(String recordId) {
        if (records.remove(recordId) != null) {
            reserved.decrementAndGet();
            signal(recordId);
            return true;
        }
        return false;
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        int removed = 0;
        for (Map.Entry<String, IdempotencyRecord> e : records.entrySet()) {
            if (removed >= limit) {
                break;
            }
            IdempotencyRecord r = e.getValue();
            boolean gone = !r.expiresAt().isAfter(now)
                    || (r.state() == RecordState.IN_PROGRESS && !r.leaseDeadline().isAfter(now));
            if (gone && records.remove(e.getKey(), r)) {
                reserved.decrementAndGet();
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        Object monitor = monitorFor(recordId);
        long millis = Math.max(1, timeout.toMillis());
        synchronized (monitor) {
            IdempotencyRecord r = records.get(recordId);
            if (r == null || r.state() != RecordState.IN_PROGRESS) {
                return;
            }
            monitor.wait(millis);
        }
    }

    private void signal(String recordId) {
        Object monitor = monitorFor(recordId);
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    private Object monitorFor(String recordId) {
        return monitors[(recordId.hashCode() & 0x7fffffff) % STRIPES];
    }

    /** Builds an {@link InMemoryIdempotencyStore}. */
    public static final class Builder {
        private int maxRecords = DEFAULT_MAX_RECORDS;

        private Builder() {
        }

        /**
         * Sets the most records held at once. Default {@link #DEFAULT_MAX_RECORDS}.
         *
         * @param maxRecords a positive bound
         * @return this builder
         */
        public Builder maxRecords(int maxRecords) {
            if (maxRecords < 1) {
                throw new IllegalArgumentException("maxRecords must be positive, was " + maxRecords);
            }
            this.maxRecords = maxRecords;
            return this;
        }

        /**
         * Builds the store.
         *
         * @return the store
         */
        public InMemoryIdempotencyStore build() {
            return new InMemoryIdempotencyStore(maxRecords);
        }
    }
}
