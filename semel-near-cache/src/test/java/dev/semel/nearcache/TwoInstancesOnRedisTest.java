package dev.semel.nearcache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The documented staleness rule across two instances, each with its own near cache and its own
 * connection, over one real Redis: a record an operator deleted on instance A runs again on A at
 * once, and may replay from B's near cache for at most B's {@code maxStaleness}, never longer.
 */
class TwoInstancesOnRedisTest {
    private static final Duration STALENESS = Duration.ofSeconds(2);
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{\"amount\":100}".getBytes(StandardCharsets.UTF_8);

    private final String prefix = RedisKeys.uniquePrefix(TwoInstancesOnRedisTest.class);
    private final Instance a = new Instance();
    private final Instance b = new Instance();
    private final AtomicInteger executions = new AtomicInteger();

    /** One application instance: its Redis connection, its near cache, its engine. */
    private final class Instance implements AutoCloseable {
        final AtomicLong nanos = new AtomicLong();
        final RedisClient client = RedisClient.create(TestRedis.url());
        final RedisIdempotencyStore redis = RedisIdempotencyStore.builder(client).keyPrefix(prefix).build();
        final CountingStore counting = new CountingStore(redis);
        final Idempotency engine = Idempotency.create(NearCachingIdempotencyStore.builder(counting)
                .maxStaleness(STALENESS).ticker(nanos::get).build());

        String charge(IdempotencyKey key) {
            return engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt-" + executions.incrementAndGet());
        }

        @Override
        public void close() {
            engine.close();
            redis.close();
            client.shutdown();
        }
    }

    @AfterEach
    void close() {
        RedisKeys.deleteAll(a.client, prefix);
        a.close();
        b.close();
    }

    @Test
    void aRecordDeletedOnAnotherInstanceReplaysFromTheNearCacheForAtMostMaxStaleness() {
        IdempotencyKey key = IdempotencyKey.of("k-" + UUID.randomUUID());
        assertThat(a.charge(key)).isEqualTo("receipt-1");
        assertThat(b.charge(key)).as("B replays from Redis and caches it").isEqualTo("receipt-1");
        int bClaims = b.counting.claims.get();

        assertThat(a.engine.admin().delete(SCOPE.recordId(key))).as("the operator deletes it through A").isTrue();

        b.nanos.addAndGet(STALENESS.minusMillis(1).toNanos());
        assertThat(b.charge(key)).as("within maxStaleness B still replays from its near cache").isEqualTo("receipt-1");
        assertThat(b.counting.claims.get()).isEqualTo(bClaims);
        assertThat(executions).hasValue(1);

        b.nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(b.charge(key)).as("after maxStaleness B asks Redis, and the key runs again").isEqualTo("receipt-2");
        assertThat(b.counting.claims.get()).isEqualTo(bClaims + 1);
        assertThat(executions).hasValue(2);
    }

    @Test
    void aRecordDeletedOnThisInstanceRunsAgainAtOnce() {
        IdempotencyKey key = IdempotencyKey.of("k-" + UUID.randomUUID());
        assertThat(a.charge(key)).isEqualTo("receipt-1");
        assertThat(a.charge(key)).isEqualTo("receipt-1");
        assertThat(a.counting.claims).as("A's replay came from its near cache").hasValue(1);
        assertThat(b.charge(key)).isEqualTo("receipt-1");

        assertThat(a.engine.admin().delete(SCOPE.recordId(key))).isTrue();

        assertThat(a.charge(key)).as("no time has passed, yet A runs it again").isEqualTo("receipt-2");
        assertThat(executions).hasValue(2);
    }

    @Test
    void aReplayOnTheOtherInstanceAfterACompletionComesFromRedisThenFromMemory() {
        IdempotencyKey key = IdempotencyKey.of("k-" + UUID.randomUUID());
        a.charge(key);
        int before = b.counting.claims.get();
        for (int i = 0; i < 5; i++) {
            assertThat(b.charge(key)).isEqualTo("receipt-1");
        }
        assertThat(b.counting.claims.get() - before).isEqualTo(1);
        assertThat(executions).hasValue(1);
    }
}
