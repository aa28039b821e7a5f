package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What an encrypted record leaves in Redis: no byte of the response in plaintext. */
class EncryptedRedisValueTest {
    private static final String BODY_SECRET = "DE89370400440532013000";
    private static final String HEADER_NAME_SECRET = "X-Customer-Email";
    private static final String HEADER_VALUE_SECRET = "alice@example.com";
    private static final ResponseEncryption ENCRYPTION = ResponseEncryption.builder()
            .key("r1", "hex:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0").build();
    private static RedisClient client;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.url());
    }

    @AfterAll
    static void disconnect() {
        client.shutdown();
    }

    @Test
    void theRawRedisValueHoldsNoPlaintextOfTheBodyOrHeadersYetTheStoreReplaysThem() {
        StoredResponse response = StoredResponse.of(201,
                List.of(new Header("Content-Type", "application/json"),
                        new Header(HEADER_NAME_SECRET, HEADER_VALUE_SECRET)),
                ("{\"iban\":\"" + BODY_SECRET + "\"}").getBytes(StandardCharsets.UTF_8));

        String encryptedPrefix = TestKeys.uniquePrefix(EncryptedRedisValueTest.class);
        try (RedisIdempotencyStore redis = RedisIdempotencyStore.builder(client).keyPrefix(encryptedPrefix).build()) {
            IdempotencyStore store = ENCRYPTION.protect(redis);
            String recordId = completeOne(store, response);
            String raw = String.join("|", rawValues(encryptedPrefix));
            assertThat(raw).isNotEmpty().doesNotContain(BODY_SECRET).doesNotContain(HEADER_NAME_SECRET)
                    .doesNotContain(HEADER_VALUE_SECRET).doesNotContain("application/json");
            assertThat(store.find(recordId, Instant.now()).orElseThrow().response()).isEqualTo(response);
        } finally {
            TestKeys.deleteAll(client, encryptedPrefix);
        }

        // the test would see plaintext if there were any: the same record unencrypted shows it
        String plainPrefix = TestKeys.uniquePrefix(EncryptedRedisValueTest.class);
        try (RedisIdempotencyStore redis = RedisIdempotencyStore.builder(client).keyPrefix(plainPrefix).build()) {
            completeOne(redis, response);
            assertThat(String.join("|", rawValues(plainPrefix))).contains(BODY_SECRET).contains(HEADER_VALUE_SECRET);
        } finally {
            TestKeys.deleteAll(client, plainPrefix);
        }
    }

    private static String completeOne(IdempotencyStore store, StoredResponse response) {
        String recordId = Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of("order-42"));
        Instant now = Instant.now();
        ClaimResult claimed = store.claim(new ClaimRequest(recordId, "order-42", "alice POST /payments",
                Fingerprint.of(new byte[] {1}).bytes(), "owner", 7, now.plusSeconds(30), now.plus(Duration.ofHours(1)),
                now));
        long token = ((ClaimResult.Claimed) claimed).fencingToken();
        assertThat(store.complete(recordId, token, response, now.plus(Duration.ofHours(1)), now)).isTrue();
        return recordId;
    }

    /** Every value under the prefix, read as bytes and shown as ISO-8859-1 so that any ASCII in it shows. */
    private static List<String> rawValues(String prefix) {
        List<String> values = new ArrayList<>();
        try (StatefulRedisConnection<byte[], byte[]> raw = client.connect(ByteArrayCodec.INSTANCE)) {
            ScanArgs args = ScanArgs.Builder.matches(prefix + "*").limit(1000);
            KeyScanCursor<byte[]> cursor = raw.sync().scan(args);
            while (true) {
                for (byte[] key : cursor.getKeys()) {
                    if ("string".equals(raw.sync().type(key))) {
                        values.add(new String(raw.sync().get(key), StandardCharsets.ISO_8859_1));
                    }
                }
                if (cursor.isFinished()) {
                    return values;
                }
                cursor = raw.sync().scan(cursor, args);
            }
        }
    }
}
