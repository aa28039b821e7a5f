package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client-side decisions a claim takes on what {@code SET NX GET} returned, without a server. */
class RecordCodecTest {
    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.678Z");
    private static final long NOW_MS = NOW.toEpochMilli();
    private static final byte[] FINGERPRINT = Fingerprint.of("a".getBytes(StandardCharsets.UTF_8)).bytes();
    private static final byte[] OTHER = Fingerprint.of("b".getBytes(StandardCharsets.UTF_8)).bytes();

    private static byte[] inProgress(Duration lease, Duration ttl) {
        return RecordCodec.inProgress(new ClaimRequest("id", "key", "scope", FINGERPRINT, "owner", 7,
                NOW.plus(lease), NOW.plus(ttl), NOW));
    }

    private static byte[] completed(Duration ttl) {
        byte[] value = inProgress(Duration.ofSeconds(30), ttl);
        value[1] = RecordCodec.COMPLETED;
        return value;
    }

    @Test
    void aNewRecordLivesUntilItsLeaseEndsPlusGraceOrItExpiresWhicheverIsFirst() {
        byte[] value = inProgress(Duration.ofSeconds(30), Duration.ofHours(24));
        assertThat(RecordCodec.inProgressTtl(value, NOW_MS, 60_000)).isEqualTo(90_000);
        assertThat(RecordCodec.inProgressTtl(value, NOW_MS, Duration.ofDays(2).toMillis()))
                .isEqualTo(Duration.ofHours(24).toMillis());
    }

    @Test
    void aNewRecordThatIsAlreadyDueLivesOneMillisecondNotZero() {
        byte[] value = inProgress(Duration.ZERO, Duration.ZERO);
        assertThat(RecordCodec.inProgressTtl(value, NOW_MS + 5, 0)).isEqualTo(1);
    }

    @Test
    void liveRecordsAreReportedAsTheyAreWithoutTheScript() {
        long later = NOW_MS + 1_000;
        // completed, same or other payload: replay or mismatch, the engine decides
        assertThat(RecordCodec.mustRewrite(completed(Duration.ofHours(1)), later, FINGERPRINT)).isFalse();
        assertThat(RecordCodec.mustRewrite(completed(Duration.ofHours(1)), later, OTHER)).isFalse();
        // in progress under a live lease: conflict
        assertThat(RecordCodec.mustRewrite(inProgress(Duration.ofSeconds(30), Duration.ofHours(1)), later,
                FINGERPRINT)).isFalse();
        // lease ended, other payload: never taken over, a mismatch
        assertThat(RecordCodec.mustRewrite(inProgress(Duration.ofMillis(1_000), Duration.ofHours(1)), later, OTHER))
                .isFalse();
    }

    @Test
    void anEndedLeaseWithTheSamePayloadGoesToTheScriptForATakeover() {
        byte[] value = inProgress(Duration.ofMillis(1_000), Duration.ofHours(1));
        assertThat(RecordCodec.mustRewrite(value, NOW_MS + 999, FINGERPRINT)).isFalse();
        assertThat(RecordCodec.mustRewrite(value, NOW_MS + 1_000, FINGERPRINT)).isTrue();
    }

    @Test
    void aRecordExpiredByTheEngineClockGoesToTheScriptWhateverItsState() {
        long atExpiry = NOW_MS + 60_000;
        assertThat(RecordCodec.mustRewrite(completed(Duration.ofMinutes(1)), atExpiry - 1, OTHER)).isFalse();
        assertThat(RecordCodec.mustRewrite(completed(Duration.ofMinutes(1)), atExpiry, OTHER)).isTrue();
        assertThat(RecordCodec.mustRewrite(inProgress(Duration.ofMinutes(5), Duration.ofMinutes(1)), atExpiry,
                OTHER)).isTrue();
    }

    @Test
    void aValueThisVersionCannotReadIsLeftToDecodeWhichRejectsIt() {
        byte[] foreign = completed(Duration.ZERO);
        foreign[0] = 9;
        assertThat(RecordCodec.mustRewrite(foreign, NOW_MS + 1, FINGERPRINT)).isFalse();
        assertThat(RecordCodec.mustRewrite(new byte[10], NOW_MS, FINGERPRINT)).isFalse();
    }

    @Test
    void aNewRecordDecodesToWhatWasClaimedWithNullAndNonAsciiFields() {
        ClaimRequest request = new ClaimRequest("id", null, "scöpe ✓", FINGERPRINT, "öwner", Long.MAX_VALUE,
                NOW.plusSeconds(30), NOW.plusSeconds(60), NOW);
        IdempotencyRecord record = RecordCodec.decode("id", RecordCodec.inProgress(request));
        assertThat(record.key()).isNull();
        assertThat(record.scope()).isEqualTo("scöpe ✓");
        assertThat(record.leaseOwner()).isEqualTo("öwner");
        assertThat(record.fencingToken()).isEqualTo(Long.MAX_VALUE);
        assertThat(record.fingerprint()).isEqualTo(FINGERPRINT);
        assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(record.leaseDeadline()).isEqualTo(NOW.plusSeconds(30));
        assertThat(record.createdAt()).isEqualTo(NOW);
        assertThat(record.expiresAt()).isEqualTo(NOW.plusSeconds(60));
        assertThat(record.completedAt()).isNull();
    }

    @Test
    void aCompletedRecordKeepsItsHeadersInOrderAndItsBody() {
        ClaimRequest request = new ClaimRequest("id", "k", "s", FINGERPRINT, "o", 1, NOW.plusSeconds(30),
                NOW.plusSeconds(60), NOW);
        for (List<StoredResponse.Header> headers : List.of(List.<StoredResponse.Header>of(),
                List.of(new StoredResponse.Header("A", "1")),
                List.of(new StoredResponse.Header("A", "1"), new StoredResponse.Header("B", "ü"),
                        new StoredResponse.Header("A", "2")))) {
            StoredResponse response = StoredResponse.of(201, headers, new byte[] {1, 2, 3});
            byte[] value = concat(RecordCodec.inProgress(request), RecordCodec.response(response));
            value[1] = RecordCodec.COMPLETED;
            IdempotencyRecord record = RecordCodec.decode("id", value);
            assertThat(record.response()).isEqualTo(response);
            assertThat(record.response().headers()).containsExactlyElementsOf(headers);
        }
    }

    @Test
    void aRecordOfAnotherFormatVersionIsRejectedNotMisread() {
        ClaimRequest request = new ClaimRequest("id", "k", "s", FINGERPRINT, "o", 1, NOW.plusSeconds(30),
                NOW.plusSeconds(60), NOW);
        byte[] value = RecordCodec.inProgress(request);
        value[0] = 2;
        assertThatThrownBy(() -> RecordCodec.decode("id", value)).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("format version 2");
    }

    /**
     * Owner, key and scope carry a two-byte length whose largest value, 0xFFFF, stands for null:
     * the longest field is 0xFFFE bytes, and a longer one is refused rather than read back as null.
     */
    @Test
    void theLongestReadableFieldIsOneByteShortOfTheNullMarker() {
        String longest = "o".repeat(0xFFFE);
        ClaimRequest fits = new ClaimRequest("id", "k", "s", FINGERPRINT, longest, 1, NOW.plusSeconds(30),
                NOW.plusSeconds(60), NOW);
        assertThat(RecordCodec.decode("id", RecordCodec.inProgress(fits)).leaseOwner()).isEqualTo(longest);

        ClaimRequest tooLong = new ClaimRequest("id", "k", "s", FINGERPRINT, longest + "o", 1, NOW.plusSeconds(30),
                NOW.plusSeconds(60), NOW);
        assertThatThrownBy(() -> RecordCodec.inProgress(tooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("owner longer than 65534 bytes");
    }

    @Test
    void aResponseKeepsUpTo65534HeadersAndHeaderNamesOfUpTo65534Bytes() {
        ClaimRequest request = new ClaimRequest("id", "k", "s", FINGERPRINT, "o", 1, NOW.plusSeconds(30),
                NOW.plusSeconds(60), NOW);
        String longestName = "N".repeat(0xFFFE);
        List<StoredResponse.Header> many = new java.util.ArrayList<>();
        for (int i = 0; i < 0xFFFE; i++) {
            many.add(new StoredResponse.Header("h", Integer.toString(i)));
        }
        for (List<StoredResponse.Header> headers : List.of(List.of(new StoredResponse.Header(longestName, "v")),
                many)) {
            StoredResponse response = StoredResponse.of(200, headers, new byte[0]);
            byte[] value = concat(RecordCodec.inProgress(request), RecordCodec.response(response));
            value[1] = RecordCodec.COMPLETED;
            assertThat(RecordCodec.decode("id", value).response()).isEqualTo(response);
        }

        List<StoredResponse.Header> tooMany = new java.util.ArrayList<>(many);
        tooMany.add(new StoredResponse.Header("h", "one more"));
        assertThatThrownBy(() -> RecordCodec.response(StoredResponse.of(200, tooMany, new byte[0])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headers");
        assertThatThrownBy(() -> RecordCodec.response(StoredResponse.of(200,
                List.of(new StoredResponse.Header(longestName + "N", "v")), new byte[0])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header name");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
