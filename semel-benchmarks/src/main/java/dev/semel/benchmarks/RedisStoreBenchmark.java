package dev.semel.benchmarks;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyKey;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine over {@link RedisIdempotencyStore} against bare Lettuce doing the same writes,
 * side by side on one Redis with 1 KiB bodies: a first request (engine: claim script +
 * complete script; bare: {@code SET NX PX} + {@code SET PX}) and a replay (engine: claim
 * script that finds the record; bare: {@code GET}).
 *
 * <p>Redis from {@code -Dsemel.redis.url}, else {@code SEMEL_TEST_REDIS_URL}, else
 * {@code redis://127.0.0.1:6379}. Keys live under a fresh prefix with a 2-minute TTL and are
 * deleted at the end.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 4)
@Fork(1)
public class RedisStoreBenchmark {
    private static final Duration TTL = Duration.ofMinutes(2);
    private static final Scope SCOPE = Scope.of("bench", "POST /charges");

    private final String prefix = "semel-bench:" + UUID.randomUUID() + ":";
    private final AtomicLong sequence = new AtomicLong();
    private final byte[] body = new byte[1024];
    private final List<StoredResponse.Header> headers = List.of(new StoredResponse.Header("Content-Type",
            "application/json"));
    private final Fingerprint fingerprint = Fingerprint.of("{\"amount\":1}".getBytes(StandardCharsets.UTF_8));
    private final byte[] claimValue = new byte[90];
    private StoredResponse response;

    private RedisClient client;
    private StatefulRedisConnection<byte[], byte[]> bare;
    private RedisCommands<byte[], byte[]> redis;
    private RedisIdempotencyStore store;
    private Idempotency engine;
    private IdempotencyKey replayKey;
    private byte[] bareReplayKey;

    @Setup(Level.Trial)
    public void setUp() {
        Arrays.fill(body, (byte) 'x');
        response = StoredResponse.of(201, headers, body);
        String url = System.getProperty("semel.redis.url",
                System.getenv().getOrDefault("SEMEL_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
        client = RedisClient.create(url);
        bare = client.connect(ByteArrayCodec.INSTANCE);
        redis = bare.sync();
        store = RedisIdempotencyStore.builder(client).keyPrefix(prefix).build();
        engine = Idempotency.create(store, IdempotencyConfig.custom().ttl(TTL).build());
        replayKey = IdempotencyKey.of("replay");
        if (!(engineFirstRequest(replayKey) instanceof Outcome.Executed)) {
            throw new IllegalStateException("the replay key was not fresh");
        }
        bareReplayKey = bytes(prefix + "bare-replay");
        redis.set(bareReplayKey, body, SetArgs.Builder.px(TTL.toMillis()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        deleteKeys(redis, prefix);
        engine.close();
        store.close();
        bare.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /**
     * Deletes every key under a prefix (what a benchmark run leaves behind).
     *
     * @param redis a connection with the byte-array codec
     * @param prefix the run's key prefix
     */
    public static void deleteKeys(RedisCommands<byte[], byte[]> redis, String prefix) {
        ScanArgs args = ScanArgs.Builder.matches(prefix + "*").limit(1000);
        KeyScanCursor<byte[]> cursor = redis.scan(args);
        while (true) {
            if (!cursor.getKeys().isEmpty()) {
                redis.unlink(cursor.getKeys().toArray(new byte[0][]));
            }
            if (cursor.isFinished()) {
                break;
            }
            cursor = redis.scan(cursor, args);
        }
    }

    /** A new key through the engine: claim, run, complete. */
    @Benchmark
    public Outcome engineFirstRequest() {
        return engineFirstRequest(IdempotencyKey.of("k" + sequence.incrementAndGet()));
    }

    private Outcome engineFirstRequest(IdempotencyKey key) {
        return engine.execute(SCOPE, key, fingerprint, CallOptions.DEFAULTS,
                lease -> StoredResponse.of(201, headers, body));
    }

    /** The store alone, without the engine: claim script + complete script on a new key. */
    @Benchmark
    public boolean storeFirstRequest() {
        String id = SCOPE.recordId(IdempotencyKey.of("s" + sequence.incrementAndGet()));
        Instant now = Instant.now();
        ClaimRequest claim = new ClaimRequest(id, "k", "bench", fingerprint.bytes(), "bench", 1, now.plusSeconds(30),
                now.plus(TTL), now);
        if (!(store.claim(claim) instanceof ClaimResult.Claimed)) {
            throw new IllegalStateException("key taken");
        }
        return store.complete(id, 1, response, now.plus(TTL), now);
    }

    /** The same writes without the engine: {@code SET NX PX} for the claim, {@code SET PX} for the response. */
    @Benchmark
    public String bareSetNxThenSet() {
        byte[] key = bytes(prefix + "bare-" + sequence.incrementAndGet());
        if (redis.set(key, claimValue, SetArgs.Builder.nx().px(30_000)) == null) {
            throw new IllegalStateException("key taken");
        }
        return redis.set(key, body, SetArgs.Builder.px(TTL.toMillis()));
    }

    /** A retry of a completed key through the engine: one claim script that finds the record. */
    @Benchmark
    public Outcome engineReplay() {
        Outcome outcome = engineFirstRequest(replayKey);
        if (!(outcome instanceof Decision.Replay)) {
            throw new IllegalStateException("expected a replay, got " + outcome);
        }
        return outcome;
    }

    /** The bare read of a stored 1 KiB body. */
    @Benchmark
    public byte[] bareGet() {
        return redis.get(bareReplayKey);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
