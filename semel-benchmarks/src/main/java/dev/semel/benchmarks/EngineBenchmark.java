package dev.semel.benchmarks;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine over the in-memory store against a bare {@link ConcurrentHashMap} doing the
 * least an idempotency layer must: a SHA-256 of the body, {@code putIfAbsent} to claim,
 * {@code put} to store.
 *
 * <ul>
 *   <li>{@code firstRequest}: {@link Idempotency#execute} on a key nobody used (claim,
 *       lease renewal scheduled and cancelled, the operation's response copied, complete),
 *       then the record deleted so the store stays small;
 *   <li>{@code replay}: {@link Idempotency#begin} on a completed key with the same body;
 *   <li>{@code baseline}: SHA-256 of the body, {@code putIfAbsent}, {@code put}, then
 *       {@code remove} (the same clean-up as {@code firstRequest});
 *   <li>{@code baselineLookup}: SHA-256 of the body and a {@code get} with a digest
 *       comparison, the least a replay can do (for reference; the targets are against
 *       {@code baseline}).
 * </ul>
 * Run by {@link OneThread} and {@link TwoThreads}; every thread uses its own keys.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public abstract class EngineBenchmark {
    private static final int KEYS_PER_THREAD = 1024;
    private static final Scope SCOPE = Scope.of("tenant-42", "POST /payments");

    /** The engine, the store and the baseline map, shared by all threads. */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class Shared {
        /** Request and response body size in bytes. */
        @Param({"1024", "65536"})
        public int bodySize;

        byte[] body;
        InMemoryIdempotencyStore store;
        Idempotency engine;
        final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
        final AtomicInteger threads = new AtomicInteger();

        /** Builds the engine and a random body. */
        @Setup(Level.Trial)
        public void setUp() {
            body = new byte[bodySize];
            new Random(42).nextBytes(body);
            store = InMemoryIdempotencyStore.builder().maxRecords(1_000_000).build();
            engine = Idempotency.create(store);
        }

        /** Stops the engine's renewal thread. */
        @TearDown(Level.Trial)
        public void tearDown() {
            engine.close();
        }
    }

    /** One thread's keys: fresh ones for first requests, one completed key for replays. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class PerThread {
        IdempotencyKey[] keys;
        String[] recordIds;
        String[] mapKeys;
        IdempotencyKey replayKey;
        String replayMapKey;
        MessageDigest sha256;
        int next;

        /**
         * Creates this thread's keys and completes its replay key.
         *
         * @param shared the shared state
         */
        @Setup(Level.Trial)
        public void setUp(Shared shared) throws NoSuchAlgorithmException {
            int thread = shared.threads.getAndIncrement();
            keys = new IdempotencyKey[KEYS_PER_THREAD];
            recordIds = new String[KEYS_PER_THREAD];
            mapKeys = new String[KEYS_PER_THREAD];
            for (int i = 0; i < KEYS_PER_THREAD; i++) {
                keys[i] = IdempotencyKey.of("t" + thread + "-order-" + i);
                recordIds[i] = SCOPE.recordId(keys[i]);
                mapKeys[i] = recordIds[i];
            }
            sha256 = MessageDigest.getInstance("SHA-256");
            replayKey = IdempotencyKey.of("t" + thread + "-replayed");
            byte[] body = shared.body;
            Outcome first = shared.engine.execute(SCOPE, replayKey, Fingerprint.of(body), CallOptions.DEFAULTS,
                    lease -> StoredResponse.of(201, List.of(), body));
            if (!(first instanceof Outcome.Executed)) {
                throw new IllegalStateException("setup could not complete the replay key: " + first);
            }
            replayMapKey = SCOPE.recordId(replayKey);
            shared.map.put(replayMapKey, new Stored(sha256.digest(body), body.clone()));
        }

        int nextIndex() {
            int i = next;
            next = (i + 1) & (KEYS_PER_THREAD - 1);
            return i;
        }
    }

    /** What the baseline keeps per key. */
    record Stored(byte[] digest, byte[] body) {
    }

    private static final Object IN_PROGRESS = new Object();

    /**
     * A first request through the engine, then the record deleted.
     *
     * @param shared shared state
     * @param thread this thread's keys
     * @return the outcome
     */
    @Benchmark
    public Outcome firstRequest(Shared shared, PerThread thread) {
        int i = thread.nextIndex();
        byte[] body = shared.body;
        Outcome outcome = shared.engine.execute(SCOPE, thread.keys[i], Fingerprint.of(body), CallOptions.DEFAULTS,
                lease -> StoredResponse.of(201, List.of(), body));
        shared.store.delete(thread.recordIds[i]);
        return outcome;
    }

    /**
     * A retry of a completed request.
     *
     * @param shared shared state
     * @param thread this thread's keys
     * @return the decision (a replay)
     */
    @Benchmark
    public Decision replay(Shared shared, PerThread thread) {
        return shared.engine.begin(SCOPE, thread.replayKey, Fingerprint.of(shared.body));
    }

    /**
     * SHA-256, putIfAbsent, put (and remove to stay small).
     *
     * @param shared shared state
     * @param thread this thread's keys
     * @return the previous value ({@code null})
     */
    @Benchmark
    public Object baseline(Shared shared, PerThread thread) {
        String key = thread.mapKeys[thread.nextIndex()];
        byte[] digest = thread.sha256.digest(shared.body);
        Object previous = shared.map.putIfAbsent(key, IN_PROGRESS);
        shared.map.put(key, new Stored(digest, shared.body));
        shared.map.remove(key);
        return previous;
    }

    /**
     * SHA-256 and a get with a digest comparison: the least a replay can do.
     *
     * @param shared shared state
     * @param thread this thread's keys
     * @return the stored value
     */
    @Benchmark
    public Object baselineLookup(Shared shared, PerThread thread) {
        byte[] digest = thread.sha256.digest(shared.body);
        Stored stored = (Stored) shared.map.get(thread.replayMapKey);
        if (!MessageDigest.isEqual(digest, stored.digest())) {
            throw new IllegalStateException("digest differs");
        }
        return stored;
    }

    /** The benchmarks on one thread. */
    @Threads(1)
    public static class OneThread extends EngineBenchmark {
    }

    /** The benchmarks on two threads at once. */
    @Threads(2)
    public static class TwoThreads extends EngineBenchmark {
    }
}
