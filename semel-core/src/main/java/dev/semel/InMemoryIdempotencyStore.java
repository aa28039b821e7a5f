package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A store in this JVM's memory: correct across threads, gone on restart, invisible to
 * other instances. Right for tests, single-instance services and as a fast default.
 *
 * <p><b>Bounded, and never full of old answers.</b> The store holds at most
 * {@code maxRecords} records and about {@code maxBytes} bytes (each record's stored body,
 * headers, key, scope and fingerprint plus a fixed per-record overhead: an estimate of the
 * heap it takes, not an exact measure). When a new key or a completed response needs room,
 * the store first drops records that have expired anyway, then <em>evicts completed
 * records, the longest-completed first</em>. A retry of an evicted key runs its operation
 * again, so the bounds decide how far back duplicates are caught: with 1,000 new keys a
 * second and the default 100,000 records, the last 100 seconds or so. Evictions are
 * reported in the log (at most once a minute) and counted by {@link #evictions()}.
 *
 * <p>An {@code IN_PROGRESS} record is never evicted. Only when records in progress alone
 * fill the bounds (every completed record evicted and no abandoned lease left) is a new
 * claim refused, with {@link StoreCapacityExceededException} (a 503 over HTTP). A response
 * that does not fit even then, or whose record is larger than {@code maxBytes} on its own,
 * is kept without its body ({@link StoredResponse#bodyRetained()} {@code false}, as for a
 * body over the capture limit) so the operation still never runs twice.
 *
 * <p><b>Cost.</b> Every call (claim, complete, release, renew, find, delete) takes constant
 * time whatever the store holds: a hash lookup plus a few links in two lists, one of records
 * in progress ordered by claim or last renewal, one of completed records in completion
 * order. Changes happen under one lock held only for those steps (no copying, allocation of
 * bodies, I/O or logging inside); {@link #find} and a claim that meets a live record take no
 * lock at all. {@link #purgeExpired} walks the two lists from their oldest end and stops at
 * the first live record, so it costs what it removes. With one TTL and one lease duration
 * (the usual case) that is every expired record; with mixed ones, an expired record queued
 * behind a longer-lived one stays (invisible, as every expired record is) until it reaches
 * the front, is evicted or its key is claimed again. {@link #query} scans every record (an
 * admin view).
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder()
 *         .maxRecords(50_000)
 *         .maxBytes(32L * 1024 * 1024)
 *         .build();
 * }</pre>
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {
    /** The default bound on records held: 100,000. */
    public static final int DEFAULT_MAX_RECORDS = 100_000;

    /**
     * The default bound on the estimated bytes held: 64 MiB, a quarter of a 256 MiB heap (a
     * 1 GiB container at the JVM's default of 25%). A record costs about 700 bytes plus its
     * answer's body and headers, so this holds about 95,000 records with answers of a few
     * bytes and about 34,000 with 1 KiB answers and two headers.
     */
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;

    /** The smallest {@code maxBytes} accepted: 64 KiB, room for any record without its body. */
    static final long MIN_MAX_BYTES = 64L * 1024;

    private static final System.Logger LOG = System.getLogger(InMemoryIdempotencyStore.class.getName());
    private static final Duration LOG_INTERVAL = Duration.ofMinutes(1);
    private static final int STRIPES = 64;

    // Estimated heap per record beyond its strings and arrays: the record, its node, the map
    // entry and table slot, four Instants and the fingerprint's array header.
    private static final long RECORD_OVERHEAD = 256;
    private static final long RESPONSE_OVERHEAD = 96;
    private static final long HEADER_OVERHEAD = 32;
    private static final long STRING_OVERHEAD = 40;

    private final int maxRecords;
    private final long maxBytes;
    private final ConcurrentHashMap<String, Node> records = new ConcurrentHashMap<>();
    private final Object[] monitors = new Object[STRIPES];

    /** Guards every change to {@link #records}, both lists and the counters below. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Records in progress, the oldest claimed (or least recently renewed) first. */
    private final Node inProgress = Node.sentinel();
    /** Completed records, the oldest completed first: the eviction order. */
    private final Node completed = Node.sentinel();
    private int count;
    private int inProgressCount;
    private long bytes;
    private long inProgressBytes;
    private volatile long evictions;
    private long evictedSinceLog;
    private long bodiesDroppedSinceLog;
    private @Nullable Instant nextLogAt;

    /** A store with {@link #DEFAULT_MAX_RECORDS} and {@link #DEFAULT_MAX_BYTES}. */
    public InMemoryIdempotencyStore() {
        this(DEFAULT_MAX_RECORDS, DEFAULT_MAX_BYTES);
    }

    private InMemoryIdempotencyStore(int maxRecords, long maxBytes) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
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

    /** @return how many records are held, expired ones not yet purged or evicted included */
    public int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the estimated bytes the records take, the figure bounded by {@code maxBytes}.
     *
     * @return the estimate, expired records not yet purged or evicted included
     */
    public long estimatedBytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns how many live completed records were evicted to make room since the store was
     * built. Each one is a key whose retry would run its operation again.
     *
     * @return the count
     */
    public long evictions() {
        return evictions;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Instant now = request.now();
        Node seen = records.get(request.recordId());
        if (seen != null) {
            IdempotencyRecord cur = seen.record;
            if (cur.expiresAt().isAfter(now) && !mayTakeOver(cur, request)) {
                // a read of an immutable value that was current: no lock needed to report it
                return ClaimResult.found(cur);
            }
        }
        String log;
        ClaimResult result;
        lock.lock();
        try {
            result = claimLocked(request, now);
            log = logMessage(now);
        } finally {
            lock.unlock();
        }
        log(log);
        return result;
    }

    private ClaimResult claimLocked(ClaimRequest request, Instant now) {
        String id = request.recordId();
        Node node = records.get(id);
        if (node != null) {
            IdempotencyRecord cur = node.record;
            if (cur.expiresAt().isAfter(now)) {
                if (!mayTakeOver(cur, request)) {
                    return ClaimResult.found(cur);
                }
                long token = cur.fencingToken() + 1;
                IdempotencyRecord taken = new IdempotencyRecord(id, cur.key(), cur.scope(), RecordState.IN_PROGRESS,
                        cur.fingerprint(), token, request.owner(), request.leaseDeadline(), cur.createdAt(), null,
                        cur.expiresAt(), null);
                replaceInProgress(node, taken);
                makeRoom(0, 0, now); // a longer owner name may have gone over the byte bound
                return new ClaimResult.Claimed(token, true);
            }
            remove(node);
        }
        IdempotencyRecord fresh = new IdempotencyRecord(id, request.key(), request.scope(), RecordState.IN_PROGRESS,
                request.fingerprint().clone(), request.freshToken(), request.owner(), request.leaseDeadline(), now, null,
                request.expiresAt(), null);
        long size = estimate(fresh);
        if (!makeRoom(1, size, now)) {
            throw new StoreCapacityExceededException("The in-memory idempotency store is full of requests in progress ("
                    + inProgressCount + " records, about " + inProgressBytes + " bytes; its bounds are " + maxRecords
                    + " records and " + maxBytes + " bytes); refusing a new claim, since a record in progress is "
                    + "never evicted. Raise maxRecords/maxBytes or use a shared store");
        }
        node = new Node(id, fresh, size);
        records.put(id, node);
        linkLast(inProgress, node);
        count++;
        bytes += size;
        inProgressCount++;
        inProgressBytes += size;
        return new ClaimResult.Claimed(request.freshToken(), false);
    }

    private static boolean mayTakeOver(IdempotencyRecord cur, ClaimRequest request) {
        return cur.state() == RecordState.IN_PROGRESS && leaseEnded(cur, request.now())
                && Arrays.equals(cur.fingerprint(), request.fingerprint());
    }

    /** Whether a record's lease has ended; this store writes a deadline on every claim and renewal. */
    private static boolean leaseEnded(IdempotencyRecord r, Instant now) {
        Instant deadline = r.leaseDeadline();
        return deadline == null || !deadline.isAfter(now);
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        String log;
        lock.lock();
        try {
            Node node = records.get(recordId);
            if (node == null || !holds(node.record, fencingToken, now)) {
                return false;
            }
            IdempotencyRecord cur = node.record;
            // take it out of the in-progress accounting first: evicting can never touch it then
            unlink(node);
            count--;
            bytes -= node.bytes;
            inProgressCount--;
            inProgressBytes -= node.bytes;

            // what evicting every completed record would leave for this one
            long room = maxBytes - inProgressBytes;
            IdempotencyRecord done = completed(cur, response, expiresAt, now);
            long size = estimate(done);
            if (size > room && response.bodyRetained()) {
                done = completed(cur, StoredResponse.withoutBody(response.status(), response.headers()), expiresAt,
                        now);
                size = estimate(done);
                if (size > room) {
                    done = completed(cur, StoredResponse.withoutBody(response.status(), List.of()), expiresAt, now);
                    size = estimate(done);
                }
                bodiesDroppedSinceLog++;
            }
            // the effect happened: the record is stored even if records in progress leave no room
            makeRoom(1, size, now);
            node.record = done;
            node.bytes = size;
            linkLast(completed, node);
            count++;
            bytes += size;
            log = logMessage(now);
        } finally {
            lock.unlock();
        }
        log(log);
        signal(recordId);
        return true;
    }

    private static IdempotencyRecord completed(IdempotencyRecord cur, StoredResponse response, Instant expiresAt,
            Instant now) {
        return new IdempotencyRecord(cur.recordId(), cur.key(), cur.scope(), RecordState.COMPLETED, cur.fingerprint(),
                cur.fencingToken(), cur.leaseOwner(), cur.leaseDeadline(), cur.createdAt(), now, expiresAt, response);
    }

    @Override
    public boolean release(String recordId, long fencingToken) {
        lock.lock();
        try {
            Node node = records.get(recordId);
            if (node == null || node.record.state() != RecordState.IN_PROGRESS
                    || node.record.fencingToken() != fencingToken) {
                return false;
            }
            remove(node);
        } finally {
            lock.unlock();
        }
        signal(recordId);
        return true;
    }

    @Override
    public boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now) {
        lock.lock();
        try {
            Node node = records.get(recordId);
            if (node == null || !holds(node.record, fencingToken, now)) {
                return false;
            }
            IdempotencyRecord cur = node.record;
            replaceInProgress(node, new IdempotencyRecord(recordId, cur.key(), cur.scope(), cur.state(),
                    cur.fingerprint(), cur.fencingToken(), cur.leaseOwner(), leaseDeadline, cur.createdAt(), null,
                    cur.expiresAt(), null));
            return true;
        } finally {
            lock.unlock();
        }
    }

    private static boolean holds(IdempotencyRecord cur, long fencingToken, Instant now) {
        return cur.state() == RecordState.IN_PROGRESS && cur.fencingToken() == fencingToken
                && cur.expiresAt().isAfter(now);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        Node node = records.get(recordId);
        IdempotencyRecord r = node == null ? null : node.record;
        return r != null && r.expiresAt().isAfter(now) ? Optional.of(r) : Optional.empty();
    }

    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        return records.values().stream()
                .map(node -> node.record)
                .filter(r -> r.expiresAt().isAfter(now) && query.matches(r))
                .sorted(Comparator.comparing(IdempotencyRecord::createdAt).reversed())
                .limit(query.limit())
                .collect(Collectors.toList());
    }

    @Override
    public boolean delete(String recordId) {
        lock.lock();
        try {
            Node node = records.get(recordId);
            if (node == null) {
                return false;
            }
            remove(node);
        } finally {
            lock.unlock();
        }
        signal(recordId);
        return true;
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        int removed = 0;
        lock.lock();
        try {
            while (removed < limit) {
                Node oldestDone = oldest(completed);
                Node oldestRunning = oldest(inProgress);
                if (oldestDone != null && !oldestDone.record.expiresAt().isAfter(now)) {
                    remove(oldestDone);
                } else if (oldestRunning != null && (!oldestRunning.record.expiresAt().isAfter(now)
                        || leaseEnded(oldestRunning.record, now))) {
                    remove(oldestRunning);
                } else {
                    break;
                }
                removed++;
            }
        } finally {
            lock.unlock();
        }
        return removed;
    }

    /** Answered on the caller's thread: an in-memory claim does no I/O and holds its lock only briefly. */
    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        try {
            return CompletableFuture.completedFuture(claim(request));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Answered on the caller's thread, as {@link #claimAsync}. */
    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        try {
            return CompletableFuture.completedFuture(complete(recordId, fencingToken, response, expiresAt, now));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Answered on the caller's thread, as {@link #claimAsync}. */
    @Override
    public CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        try {
            return CompletableFuture.completedFuture(release(recordId, fencingToken));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        Object monitor = monitorFor(recordId);
        long millis = Math.max(1, timeout.toMillis());
        synchronized (monitor) {
            Node node = records.get(recordId);
            if (node == null || node.record.state() != RecordState.IN_PROGRESS) {
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

    @Override
    public String toString() {
        return "InMemoryIdempotencyStore[maxRecords=" + maxRecords + ", maxBytes=" + maxBytes + "]";
    }

    // ------------------------------------------------------------------ under the lock

    /**
     * Makes room for {@code newRecords} more records taking {@code newBytes}: first records
     * that have expired anyway (at the front of either list), then completed records, the
     * oldest first, and only when none is left, records in progress whose lease ended (as
     * {@link #purgeExpired} would remove them). A live lease is never touched.
     *
     * @return {@code false} if records in progress leave no room
     */
    private boolean makeRoom(int newRecords, long newBytes, Instant now) {
        while (count + newRecords > maxRecords || bytes + newBytes > maxBytes) {
            Node oldestDone = oldest(completed);
            Node oldestRunning = oldest(inProgress);
            if (oldestDone != null && !oldestDone.record.expiresAt().isAfter(now)) {
                remove(oldestDone);
            } else if (oldestRunning != null && !oldestRunning.record.expiresAt().isAfter(now)) {
                remove(oldestRunning);
            } else if (oldestDone != null) {
                remove(oldestDone);
                evictions++;
                evictedSinceLog++;
            } else if (oldestRunning != null && leaseEnded(oldestRunning.record, now)) {
                remove(oldestRunning);
            } else {
                return false;
            }
        }
        return true;
    }

    private void replaceInProgress(Node node, IdempotencyRecord record) {
        long size = estimate(record);
        bytes += size - node.bytes;
        inProgressBytes += size - node.bytes;
        node.bytes = size;
        node.record = record;
        // keeps the list ordered by lease deadline when leases have one duration
        unlink(node);
        linkLast(inProgress, node);
    }

    private void remove(Node node) {
        records.remove(node.id, node);
        unlink(node);
        count--;
        bytes -= node.bytes;
        if (node.record.state() == RecordState.IN_PROGRESS) {
            inProgressCount--;
            inProgressBytes -= node.bytes;
        }
    }

    private static @Nullable Node oldest(Node list) {
        return list.next == list ? null : list.next;
    }

    private static void linkLast(Node list, Node node) {
        node.prev = list.prev;
        node.next = list;
        list.prev.next = node;
        list.prev = node;
    }

    private static void unlink(Node node) {
        node.prev.next = node.next;
        node.next.prev = node.prev;
        node.prev = node; // alone, as a new node is
        node.next = node;
    }

    /** Returns a message to log when evictions or dropped bodies are due to be reported, else {@code null}. */
    private @Nullable String logMessage(Instant now) {
        if ((evictedSinceLog == 0 && bodiesDroppedSinceLog == 0)
                || (nextLogAt != null && now.isBefore(nextLogAt))) {
            return null;
        }
        String since = nextLogAt == null ? "" : " since the last report";
        StringBuilder message = new StringBuilder("The in-memory idempotency store is at its bounds (")
                .append(maxRecords).append(" records, ").append(maxBytes).append(" bytes): ");
        if (evictedSinceLog > 0) {
            message.append("evicted ").append(evictedSinceLog)
                    .append(evictedSinceLog == 1 ? " completed record" : " completed records").append(since)
                    .append(", oldest first (a retry of an evicted key runs its operation again)");
        }
        if (bodiesDroppedSinceLog > 0) {
            message.append(evictedSinceLog > 0 ? "; " : "").append("kept ").append(bodiesDroppedSinceLog)
                    .append(bodiesDroppedSinceLog == 1 ? " response" : " responses").append(since)
                    .append(" without its body, too large for the bounds");
        }
        message.append(". Raise maxRecords/maxBytes (semel.store.memory.max-records/max-bytes) or use a shared store");
        evictedSinceLog = 0;
        bodiesDroppedSinceLog = 0;
        nextLogAt = now.plus(LOG_INTERVAL);
        return message.toString();
    }

    private static void log(@Nullable String message) {
        if (message != null) {
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }

    /**
     * Estimates the heap a record takes: its strings and arrays, its stored response and a
     * fixed overhead for the objects around them.
     */
    static long estimate(IdempotencyRecord r) {
        long n = RECORD_OVERHEAD + r.fingerprint().length + string(r.recordId()) + string(r.key())
                + string(r.scope()) + string(r.leaseOwner());
        StoredResponse response = r.response();
        if (response != null) {
            n += RESPONSE_OVERHEAD + response.bodyLength();
            for (StoredResponse.Header h : response.headers()) {
                n += HEADER_OVERHEAD + string(h.name()) + string(h.value());
            }
        }
        return n;
    }

    private static long string(@Nullable String s) {
        return s == null ? 0 : STRING_OVERHEAD + s.length();
    }

    /** One record's place in the map and in its list; links and size change under the lock only. */
    private static final class Node {
        final String id;
        /** The current record: replaced, never changed, so lock-free readers see a whole one. */
        volatile IdempotencyRecord record;
        long bytes;
        /** Neighbours in its list; a node in no list (or an empty list's sentinel) links to itself. */
        Node prev = this;
        Node next = this;

        Node(String id, IdempotencyRecord record, long bytes) {
            this.id = id;
            this.record = record;
            this.bytes = bytes;
        }

        /** The head of an empty list; its id and record are never read. */
        @SuppressWarnings("NullAway")
        static Node sentinel() {
            return new Node(null, null, 0);
        }
    }

    /** Builds an {@link InMemoryIdempotencyStore}. */
    public static final class Builder {
        private int maxRecords = DEFAULT_MAX_RECORDS;
        private long maxBytes = DEFAULT_MAX_BYTES;

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
         * Sets the most bytes the records take, by the store's estimate (stored bodies,
         * headers, keys, scopes, fingerprints and a fixed overhead per record). Default
         * {@link #DEFAULT_MAX_BYTES}.
         *
         * @param maxBytes a bound of at least 64 KiB (65,536)
         * @return this builder
         */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < MIN_MAX_BYTES) {
                throw new IllegalArgumentException("maxBytes must be at least " + MIN_MAX_BYTES
                        + " (64 KiB), was " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /**
         * Builds the store.
         *
         * @return the store
         */
        public InMemoryIdempotencyStore build() {
            return new InMemoryIdempotencyStore(maxRecords, maxBytes);
        }
    }
}
