package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the store leaves in Redis: key names, the documented encoding, TTLs; and foreign values. */
class RedisLayoutTest {
    private static final String PREFIX = TestKeys.uniquePrefix(RedisLayoutTest.class);
    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.678Z");
    private static RedisClient client;
    private static StatefulRedisConnection<byte[], byte[]> raw;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.url());
        raw = client.connect(ByteArrayCodec.INSTANCE);
    }

    @AfterAll
    static void disconnect() {
        raw.close();
        TestKeys.deleteAll(client, PREFIX);
        client.shutdown();
    }

    private static RedisIdempotencyStore store() {
        return RedisIdempotencyStore.builder(client).keyPrefix(PREFIX).leaseGrace(Duration.ofMinutes(10))
                .useServerClock(false).build();
    }

    private static ClaimRequest claim(String id, Duration lease, Duration ttl) {
        return new ClaimRequest(id, "order-1", "alice POST /orders", fingerprint(), "owner-a", 0x0102030405060708L,
                NOW.plus(lease), NOW.plus(ttl), NOW);
    }

    private static byte[] fingerprint() {
        return Fingerprint.of("payload".getBytes(StandardCharsets.UTF_8)).bytes();
    }

    @Test
    void aRecordIsOneHashTaggedKeyInTheDocumentedEncodingWithTheLeaseAsItsTtl() {
        String id = Scope.of("alice", "POST /orders").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
        RedisCommands<byte[], byte[]> redis = raw.sync();
        byte[] key = (PREFIX + "{" + id + "}").getBytes(StandardCharsets.UTF_8);
        try (RedisIdempotencyStore store = store()) {
            store.claim(claim(id, Duration.ofSeconds(30), Duration.ofHours(24)));

            byte[] value = redis.get(key);
            assertThat(value[0]).isEqualTo((byte) 1);
            assertThat(value[1]).isEqualTo((byte) 1);
            assertThat(java.nio.ByteBuffer.wrap(value).getLong(2)).isEqualTo(0x0102030405060708L);
            assertThat(java.nio.ByteBuffer.wrap(value).getLong(18)).isEqualTo(NOW.toEpochMilli());
            assertThat(java.util.Arrays.copyOfRange(value, 42, 74)).isEqualTo(fingerprint());
            // in progress: lease (30 s) + grace (10 min), well inside the record's 24 h
            assertThat(redis.pttl(key)).isBetween(1L, Duration.ofSeconds(30).plusMinutes(10).toMillis());

            assertThat(store.complete(id, 0x0102030405060708L, StoredResponse.of(201, List.of(), new byte[] {0, 1}),
                    NOW.plusSeconds(90), NOW)).isTrue();
            assertThat(redis.get(key)[1]).isEqualTo((byte) 2);
            // completed: the record's own TTL
            assertThat(redis.pttl(key)).isBetween(1L, 90_000L);
        }
    }

    @Test
    void aRecordIdThatIsNotAsciiIsKeyedByItsUtf8Bytes() {
        String id = "récord-" + UUID.randomUUID();
        byte[] key = (PREFIX + "{" + id + "}").getBytes(StandardCharsets.UTF_8);
        try (RedisIdempotencyStore store = store()) {
            store.claim(claim(id, Duration.ofSeconds(30), Duration.ofHours(1)));
            assertThat(raw.sync().get(key)).isNotNull();
            assertThat(store.find(id, NOW)).isPresent();
        }
    }

    @Test
    void aValueThisStoreCannotReadIsAStoreFailureAndIsNeverOverwritten() {
        String id = Scope.of("alice", "POST /orders").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
        byte[] key = (PREFIX + "{" + id + "}").getBytes(StandardCharsets.UTF_8);
        byte[] foreign = "written by someone else".getBytes(StandardCharsets.UTF_8);
        raw.sync().set(key, foreign);
        try (RedisIdempotencyStore store = store()) {
            assertThatThrownBy(() -> store.claim(claim(id, Duration.ofSeconds(30), Duration.ofHours(1))))
                    .isInstanceOf(IdempotencyStoreException.class);
            assertThatThrownBy(() -> store.find(id, NOW)).isInstanceOf(IdempotencyStoreException.class);
            assertThat(raw.sync().get(key)).isEqualTo(foreign);
        }
    }

    @Test
    void aFingerprintOfTheWrongLengthIsRejectedBeforeReachingRedis() {
        String id = Scope.of("alice", "POST /orders").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
        try (RedisIdempotencyStore store = store()) {
            ClaimRequest request = new ClaimRequest(id, "k", "s", new byte[5], "o", 1, NOW.plusSeconds(1),
                    NOW.plusSeconds(2), NOW);
            assertThatThrownBy(() -> store.claim(request)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint must be 32 bytes");
            assertThat(store.find(id, NOW)).isEmpty();
        }
    }

    @Test
    void aPrefixThatWouldBreakTheHashTagIsRejected() {
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).keyPrefix("app:{x}:"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyPrefix");
    }
}
