package dev.semel.benchmarks;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import java.time.Instant;
import java.util.List;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-memory store's cost per new key, empty against full: it must stay flat (issue 13:
 * the old store scanned every record on each claim once full, then refused new keys).
 *
 * <p>{@code claimAndComplete} claims a key never used and completes it with a small answer.
 * With {@code fill=0} it then deletes the record, so the store stays empty and every call
 * does one removal; with {@code fill=100000} the store starts full ({@code maxRecords} is
 * 100,000, bytes not binding) and each claim evicts the oldest completed record instead.
 * Run by {@link OneThread} and {@link TwoThreads}; every thread uses its own keys.
 *
 * <pre>
 * ./mvnw -q -pl semel-benchmarks -am package -DskipTests
 * java -jar semel-benchmarks/target/benchmarks.jar InMemoryStoreBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = "-Xmx2g")
public abstract class InMemoryStoreBenchmark {
    private static final int MAX_RECORDS = 100_000;
    /** More keys per thread than the store holds, so a key comes round again only long after its eviction. */
    private static final int KEYS_PER_THREAD = 1 << 18;
    private static final Instant NOW = Instant.parse("2031-01-01T00:00:00Z");
    private static final Instant LEASE_END = NOW.plusSeconds(30);
    private static final Instant EXPIRES = NOW.plusSeconds(86_400);
    private static final byte[] FINGERPRINT = new byte[32];
    private static final StoredResponse ANSWER = StoredResponse.of(201,
            List.of(new StoredResponse.Header("Content-Type", "application/json")), new byte[256]);

    /** The store, shared by all threads. */
    @State(Scope.Benchmark)
    public static class Shared {
        /** How many completed records the store holds before measuring: empty, or full. */
        @Param({"0", "100000"})
        public int fill;

        InMemoryIdempotencyStore store;
        final AtomicInteger threads = new AtomicInteger();

        /** Builds the store and fills it with completed records. */
        @Setup(Level.Trial)
        public void setUp() {
            store = InMemoryIdempotencyStore.builder().maxRecords(MAX_RECORDS).maxBytes(1L << 30).build();
            for (int i = 0; i < fill; i++) {
                String id = String.format("fill-%058d", i);
                long token = ((ClaimResult.Claimed) store.claim(request(id, i + 1))).fencingToken();
                store.complete(id, token, ANSWER, EXPIRES, NOW);
            }
            if (store.size() != fill) {
                throw new IllegalStateException("filled " + store.size() + " records, wanted " + fill);
            }
        }
    }

    /** One thread's record ids (64 characters, like real ones). */
    @State(Scope.Thread)
    public static class PerThread {
        String[] ids;
        int next;

        /**
         * Creates this thread's ids.
         *
         * @param shared the shared state
         */
        @Setup(Level.Trial)
        public void setUp(Shared shared) {
            int thread = shared.threads.getAndIncrement();
            ids = new String[KEYS_PER_THREAD];
            for (int i = 0; i < KEYS_PER_THREAD; i++) {
                ids[i] = String.format("t%02d-%059d", thread, i);
            }
        }
    }

    static ClaimRequest request(String id, long token) {
        return new ClaimRequest(id, id, "tenant-42 POST /payments", FINGERPRINT, "bench", token, LEASE_END, EXPIRES,
                NOW);
    }

    /**
     * Claims a new key and completes it (then deletes it when the store is to stay empty).
     *
     * @param shared the store
     * @param thread this thread's keys
     * @return whether the completion succeeded
     */
    @Benchmark
    public boolean claimAndComplete(Shared shared, PerThread thread) {
        int i = thread.next;
        thread.next = (i + 1) & (KEYS_PER_THREAD - 1);
        String id = thread.ids[i];
        ClaimResult claimed = shared.store.claim(request(id, i + 1));
        if (!(claimed instanceof ClaimResult.Claimed c)) {
            throw new IllegalStateException("key " + id + " was not new: " + claimed);
        }
        boolean done = shared.store.complete(id, c.fencingToken(), ANSWER, EXPIRES, NOW);
        if (shared.fill == 0) {
            shared.store.delete(id);
        }
        return done;
    }

    /** The benchmark on one thread. */
    @Threads(1)
    public static class OneThread extends InMemoryStoreBenchmark {
    }

    /** The benchmark on two threads at once. */
    @Threads(2)
    public static class TwoThreads extends InMemoryStoreBenchmark {
    }
}
