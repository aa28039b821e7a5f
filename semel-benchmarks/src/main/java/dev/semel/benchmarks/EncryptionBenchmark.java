package dev.semel.benchmarks;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * What encryption at rest costs per request: the engine over the in-memory store, with
 * {@code encryption=off} (the store as it is) and {@code encryption=on} (the same store wrapped by
 * {@link ResponseEncryption#protect}, AES-256-GCM), side by side in one run.
 *
 * <ul>
 *   <li>{@code firstRequest}: {@link Idempotency#execute} on an unused key (claim, the response
 *       encrypted on complete), then the record deleted so that the store stays small;
 *   <li>{@code replay}: {@link Idempotency#begin} on a completed key (claim finds the record, the
 *       response decrypted).
 * </ul>
 *
 * <pre>
 * java -jar semel-benchmarks/target/benchmarks.jar EncryptionBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
@Threads(1)
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class EncryptionBenchmark {
    private static final int KEYS = 1024;
    private static final Scope SCOPE = Scope.of("tenant-42", "POST /payments");
    private static final List<Header> HEADERS = List.of(new Header("Content-Type", "application/json"),
            new Header("Location", "/payments/p_0123456789"));

    /** Whether responses are encrypted at rest. */
    @Param({"off", "on"})
    public String encryption;

    /** Request and response body size in bytes. */
    @Param({"1024", "65536"})
    public int bodySize;

    private byte[] body;
    private Fingerprint fingerprint;
    private InMemoryIdempotencyStore store;
    private Idempotency engine;
    private IdempotencyKey[] keys;
    private String[] recordIds;
    private IdempotencyKey replayKey;
    private int next;

    /** Builds the engine, the keys, and completes the replayed key. */
    @Setup(Level.Trial)
    public void setUp() {
        body = new byte[bodySize];
        new Random(42).nextBytes(body);
        fingerprint = Fingerprint.of(body);
        store = new InMemoryIdempotencyStore();
        ResponseEncryption aes = ResponseEncryption.builder()
                .key("bench", "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").build();
        engine = Idempotency.create(encryption.equals("on") ? aes.protect(store) : store);
        keys = new IdempotencyKey[KEYS];
        recordIds = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = IdempotencyKey.of("order-" + i);
            recordIds[i] = SCOPE.recordId(keys[i]);
        }
        replayKey = IdempotencyKey.of("replayed");
        Outcome first = engine.execute(SCOPE, replayKey, fingerprint, CallOptions.DEFAULTS,
                lease -> StoredResponse.of(201, HEADERS, body));
        if (!(first instanceof Outcome.Executed)) {
            throw new IllegalStateException("setup could not complete the replay key: " + first);
        }
        if (!(engine.begin(SCOPE, replayKey, fingerprint) instanceof Decision.Replay)) {
            throw new IllegalStateException("setup could not replay");
        }
    }

    /** Stops the engine's renewal thread. */
    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    /**
     * A first request, then the record deleted.
     *
     * @return the outcome
     */
    @Benchmark
    public Outcome firstRequest() {
        int i = next;
        next = (i + 1) & (KEYS - 1);
        Outcome outcome = engine.execute(SCOPE, keys[i], fingerprint, CallOptions.DEFAULTS,
                lease -> StoredResponse.of(201, HEADERS, body));
        store.delete(recordIds[i]);
        return outcome;
    }

    /**
     * A retry of a completed request.
     *
     * @return the decision (a replay)
     */
    @Benchmark
    public Decision replay() {
        return engine.begin(SCOPE, replayKey, fingerprint);
    }
}
