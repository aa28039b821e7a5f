package dev.semel.benchmarks.redis;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.benchmarks.RedisStoreBenchmark;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import io.lettuce.core.RedisClient;
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
 * Where a Redis replay's time goes, layer by layer, next to {@code RedisStoreBenchmark}'s
 * {@code engineReplay} and {@code bareGet}: the bare command the store sends on a replay
 * ({@code SET NX PX GET} on a key holding a 1 KiB completed record), and the store's
 * {@code claim} alone (that command plus encoding the claim and decoding the record),
 * without the engine.
 *
 * <p>Redis from {@code -Dsemel.redis.url}, else {@code SEMEL_TEST_REDIS_URL}, else
 * {@code redis://127.0.0.1:6379}. Keys live under a fresh prefix and are deleted at the end.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 4)
@Fork(1)
public class RedisReplayBreakdownBenchmark {
    private static final Duration TTL = Duration.ofMinutes(2);
    private static final Scope SCOPE = Scope.of("bench", "POST /charges");

    private final String prefix = "semel-bench:" + UUID.randomUUID() + ":";
    private final byte[] fingerprint = Fingerprint.of("{\"amount\":1}".getBytes(StandardCharsets.UTF_8)).bytes();
    private final byte[] claimValue = new byte[130];

    private RedisClient client;
    private StatefulRedisConnection<byte[], byte[]> bare;
    private RedisCommands<byte[], byte[]> redis;
    private RedisIdempotencyStore store;
    private String recordId;
    private byte[] bareRecordKey;

    /** Creates the benchmark state (JMH does). */
    public RedisReplayBreakdownBenchmark() {
    }

    /** Connects, and stores one completed record through the store and one value as bare bytes. */
    @Setup(Level.Trial)
    public void setUp() {
        String url = System.getProperty("semel.redis.url",
                System.getenv().getOrDefault("SEMEL_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
        client = RedisClient.create(url);
        bare = client.connect(ByteArrayCodec.INSTANCE);
        redis = bare.sync();
        store = RedisIdempotencyStore.builder(client).keyPrefix(prefix).build();
        recordId = SCOPE.recordId(IdempotencyKey.of("replay"));
        Instant now = Instant.now();
        if (!(store.claim(request(now)) instanceof ClaimResult.Claimed)) {
            throw new IllegalStateException("the replay key was not fresh");
        }
        byte[] body = new byte[1024];
        Arrays.fill(body, (byte) 'x');
        StoredResponse response = StoredResponse.of(201,
                List.of(new StoredResponse.Header("Content-Type", "application/json")), body);
        if (!store.complete(recordId, 1, response, now.plus(TTL), now)) {
            throw new IllegalStateException("could not complete the replay key");
        }
        bareRecordKey = bytes(prefix + "bare-record");
        redis.set(bareRecordKey, redis.get(bytes(prefix + "{" + recordId + "}")), SetArgs.Builder.px(TTL.toMillis()));
    }

    private ClaimRequest request(Instant now) {
        return new ClaimRequest(recordId, "replay", SCOPE.toString(), fingerprint, "bench", 1, now.plusSeconds(30),
                now.plus(TTL), now);
    }

    /** Deletes the keys and closes the connections. */
    @TearDown(Level.Trial)
    public void tearDown() {
        RedisStoreBenchmark.deleteKeys(redis, prefix);
        store.close();
        bare.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** The command a replay sends, bare: {@code SET NX PX GET} that finds the record. */
    @Benchmark
    public byte[] bareSetNxGet() {
        byte[] existing = redis.setGet(bareRecordKey, claimValue, SetArgs.Builder.nx().px(30_000));
        if (existing == null) {
            throw new IllegalStateException("the record is gone");
        }
        return existing;
    }

    /** The bare read of the same stored record. */
    @Benchmark
    public byte[] bareGetRecord() {
        return redis.get(bareRecordKey);
    }

    /** The store's claim of a completed key, without the engine. */
    @Benchmark
    public ClaimResult storeReplay() {
        ClaimResult result = store.claim(request(Instant.now()));
        if (!(result instanceof ClaimResult.Found)) {
            throw new IllegalStateException("expected the record, got " + result);
        }
        return result;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
