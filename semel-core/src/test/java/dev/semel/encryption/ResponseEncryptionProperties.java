package dev.semel.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.arbitraries.StringArbitrary;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of encryption at rest: any response decrypts to itself, and any change to what is
 * stored (a bit of the envelope, the status, the record) is refused, never replayed.
 */
class ResponseEncryptionProperties {
    private static final ResponseEncryption ENCRYPTION = ResponseEncryption.builder()
            .key("old", "hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
            .key("new", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")
            .activeKey("new")
            .build();

    @Property(tries = 500)
    void anyResponseDecryptsToItself(@ForAll("responses") StoredResponse response, @ForAll("recordIds") String id) {
        assertThat(ENCRYPTION.decrypt(id, ENCRYPTION.encrypt(id, response))).isEqualTo(response);
    }

    @Property(tries = 500)
    void anyFlippedBitOfTheEnvelopeIsRefused(@ForAll("responses") StoredResponse response,
            @ForAll("recordIds") String id, @ForAll @IntRange(min = 0) int position,
            @ForAll @IntRange(min = 0, max = 7) int bit) {
        StoredResponse stored = ENCRYPTION.encrypt(id, response);
        byte[] envelope = stored.body();
        envelope[position % envelope.length] ^= (byte) (1 << bit);
        StoredResponse tampered = StoredResponse.of(stored.status(), stored.headers(), envelope);
        assertThatThrownBy(() -> ENCRYPTION.decrypt(id, tampered)).isInstanceOf(ResponseDecryptionException.class);
    }

    @Property(tries = 300)
    void anotherStatusOrRecordIsRefused(@ForAll("responses") StoredResponse response, @ForAll("recordIds") String id,
            @ForAll("recordIds") String otherId, @ForAll @IntRange(min = 0, max = 999) int otherStatus) {
        StoredResponse stored = ENCRYPTION.encrypt(id, response);
        if (!otherId.equals(id)) {
            assertThatThrownBy(() -> ENCRYPTION.decrypt(otherId, stored))
                    .isInstanceOf(ResponseDecryptionException.class);
        }
        if (otherStatus != stored.status()) {
            StoredResponse relabelled = StoredResponse.of(otherStatus, stored.headers(), stored.body());
            assertThatThrownBy(() -> ENCRYPTION.decrypt(id, relabelled))
                    .isInstanceOf(ResponseDecryptionException.class);
        }
    }

    static StringArbitrary text() {
        return Arbitraries.strings().withCharRange('\u0001', '\u0009').withCharRange('\u000b', '\u000c')
                .withCharRange('\u000e', '\ud7ff').withCharRange('\ue000', '\uffff');
    }

    @Provide
    Arbitrary<String> recordIds() {
        return Arbitraries.strings().withCharRange('0', '9').withCharRange('a', 'f').ofLength(64);
    }

    @Provide
    Arbitrary<StoredResponse> responses() {
        Arbitrary<Header> header = Combinators.combine(text().ofMinLength(1).ofMaxLength(40), text().ofMaxLength(200))
                .as(Header::new);
        Arbitrary<List<Header>> headers = header.list().ofMaxSize(12);
        Arbitrary<byte[]> body = Arbitraries.bytes().array(byte[].class).ofMaxSize(4096);
        Arbitrary<Integer> status = Arbitraries.integers().between(0, 999);
        return Combinators.combine(status, headers, body, Arbitraries.of(true, false))
                .as((s, h, b, retained) -> retained ? StoredResponse.of(s, h, b) : StoredResponse.withoutBody(s, h));
    }
}
