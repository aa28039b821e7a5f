package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Record ids and fingerprints are kept by stores: a release that hashed differently would
 * turn every retry of a stored key into a new execution (record id) or a mismatch
 * (fingerprint). These vectors pin the layout: SHA-256 over 4-byte big-endian length-prefixed
 * fields (checked independently with Python's hashlib when they were written).
 */
class HashLayoutStabilityTest {

    @Test
    void recordIdsStayTheSameAcrossReleases() {
        // sha256(0x01 | len "alice" | len "POST /payments" | len "order-7")
        assertThat(Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of("order-7")))
                .isEqualTo("c209708397f61d5a3bf2b7229dda46d2a68e4bacf527b565a2b4ccb77268f2d7");
        // anonymous: 0x00 and an empty caller field
        assertThat(Scope.anonymous("POST /payments").recordId(IdempotencyKey.of("order-7")))
                .isEqualTo("e2b9d37b913b13767c4b5998eb8fb81ce8b6dc7d5abf6105227511d0ed0c7d6b");
    }

    @Test
    void fingerprintsStayTheSameAcrossReleases() {
        Fingerprint payload = Fingerprint.of("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(payload.hex()).isEqualTo("e244894d5f9f57764dab287a42fe0006f6267f94d50cdf153e1e14452b9e0f56");
        assertThat(payload).hasToString("Fingerprint[" + payload.hex() + "]");
        assertThat(Fingerprint.builder().add("payload", "hello".getBytes(StandardCharsets.UTF_8)).build())
                .isEqualTo(payload);

        assertThat(Fingerprint.builder().add("method", "POST").add("target", "/payments")
                .add("absent", (String) null).add("bin", new byte[] {1, 2, 3}).build().hex())
                .isEqualTo("77b943737b5ee46317e8a2dc69f08f895b6d8efcfa41f3d0d0e2864d4651c646");
    }

    @Test
    void everyByteOfTheLengthPrefixCounts() {
        // 2^24 + 2^16 + 2^8 + 1 bytes: each of the four prefix bytes is non-zero
        byte[] big = new byte[(1 << 24) + (1 << 16) + (1 << 8) + 1];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        assertThat(Fingerprint.builder().add("body", big).build().hex())
                .isEqualTo("b18022ea9c171c5ea3aa558e20c23c7a80a7c3147f1a1cfc9831a99b1a39dd31");
    }

    @Test
    void fieldBoundariesCannotBeShifted() {
        // without length prefixes both feed p 0x01 a b q 0x01 c
        assertThat(Fingerprint.builder().add("p", "ab").add("q", "c").build())
                .isNotEqualTo(Fingerprint.builder().add("p", "a").add("bq", "c").build());
        // the part's name counts, not only its value
        assertThat(Fingerprint.builder().add("amount", "10").build())
                .isNotEqualTo(Fingerprint.builder().add("currency", "10").build());
        assertThat(Scope.of("ab", "c").recordId(IdempotencyKey.of("k")))
                .isNotEqualTo(Scope.of("a", "bc").recordId(IdempotencyKey.of("k")));
    }
}
