package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Fingerprint;
import dev.semel.spi.ClaimRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
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
}
