package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.servlet.StoredResponseCodec.Decoded;
import dev.semel.servlet.StoredResponseCodec.Rendering;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.StoredResponse.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a replay reads back from a record is what the capture wrote into it, whatever the headers. */
class StoredResponseCodecTest {
    private static final byte[] BODY = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);

    private static Decoded roundTrip(StoredResponse stored) {
        return StoredResponseCodec.decode(stored);
    }

    @Test
    void everyHeaderComesBackInOrderWithItsStatusAndBody() {
        List<Header> headers = List.of(new Header("Content-Type", "application/json"),
                new Header("Location", "/payments/7"), new Header("X-Trace", "a"),
                new Header("Cache-Control", "no-store"), new Header("X-Trace", "b"));
        StoredResponse stored = StoredResponseCodec.encode(201, headers, Rendering.NONE, BODY);

        Decoded decoded = roundTrip(stored);

        assertThat(decoded.headers()).containsExactlyElementsOf(headers);
        assertThat(decoded.rendering()).isEqualTo(Rendering.NONE);
        assertThat(decoded.rendering().byContainer()).isFalse();
        assertThat(stored.status()).isEqualTo(201);
        assertThat(stored.bodyRetained()).isTrue();
        assertThat(stored.body()).isEqualTo(BODY);
    }

    @Test
    void aMultiValuedHeaderKeepsEveryValueInOrder() {
        List<Header> headers = List.of(new Header("Vary", "Accept"), new Header("Vary", "Accept-Language"),
                new Header("Vary", "Accept"));
        Decoded decoded = roundTrip(StoredResponseCodec.encode(200, headers, Rendering.NONE, BODY));
        assertThat(decoded.headers()).extracting(Header::value).containsExactly("Accept", "Accept-Language", "Accept");
    }

    @Test
    void aBodyNotRetainedIsStoredEmptyAndSaysSoWhileStatusAndHeadersStay() {
        List<Header> headers = List.of(new Header("Content-Type", "application/octet-stream"));
        StoredResponse stored = StoredResponseCodec.encode(200, headers, Rendering.NONE, null);

        assertThat(stored.bodyRetained()).isFalse();
        assertThat(stored.bodyLength()).isZero();
        assertThat(stored.status()).isEqualTo(200);
        assertThat(roundTrip(stored).headers()).containsExactlyElementsOf(headers);
    }

    @Test
    void sendErrorAndSendRedirectComeBackAsWhatTheContainerRendersNotAsHeaders() {
        List<Header> headers = List.of(new Header("X-Request", "r1"));

        Decoded error = roundTrip(StoredResponseCodec.encode(402, headers, Rendering.of("Payment required", null),
                BODY));
        Decoded noMessage = roundTrip(StoredResponseCodec.encode(404, headers, Rendering.of("", null), BODY));
        Decoded redirect = roundTrip(StoredResponseCodec.encode(302, headers, Rendering.of(null, "/done/7"), BODY));

        assertThat(error.rendering()).isEqualTo(new Rendering("Payment required", null));
        assertThat(noMessage.rendering()).isEqualTo(new Rendering("", null));
        assertThat(redirect.rendering()).isEqualTo(new Rendering(null, "/done/7"));
        assertThat(List.of(error, noMessage, redirect)).allSatisfy(d -> {
            assertThat(d.headers()).containsExactlyElementsOf(headers);
            assertThat(d.rendering().byContainer()).isTrue();
        });
    }

    @Test
    void aHeaderTheApplicationNamedLikeAPseudoHeaderStaysAnOrdinaryHeader() {
        List<Header> headers = List.of(new Header(StoredResponseCodec.SEND_ERROR, "not an error"),
                new Header(StoredResponseCodec.SEND_REDIRECT, "/not/a/redirect"), new Header("::two-colons", "x"),
                new Header(":other", "y"));

        Decoded plain = roundTrip(StoredResponseCodec.encode(201, headers, Rendering.NONE, BODY));
        Decoded withError = roundTrip(StoredResponseCodec.encode(500, headers, Rendering.of("real", null), BODY));

        assertThat(plain.headers()).containsExactlyElementsOf(headers);
        assertThat(plain.rendering()).isEqualTo(Rendering.NONE);
        assertThat(withError.headers()).containsExactlyElementsOf(headers);
        assertThat(withError.rendering()).isEqualTo(new Rendering("real", null));
    }

    @Test
    void aRecordStoredBeforeApplicationHeadersWereEscapedStillReadsItsPseudoHeader() {
        StoredResponse older = StoredResponse.of(402, List.of(new Header("X-Request", "r1"),
                new Header(":semel-send-error", "Payment required")), BODY);

        Decoded decoded = roundTrip(older);

        assertThat(decoded.headers()).containsExactly(new Header("X-Request", "r1"));
        assertThat(decoded.rendering()).isEqualTo(new Rendering("Payment required", null));
    }

    @Test
    void anErrorMessageOrLocationWithLineBreaksIsStoredAsTheClientGotIt() {
        StoredResponse error = StoredResponseCodec.encode(400, List.of(), Rendering.of("bad\r\nX-Injected: 1\0", null),
                BODY);
        StoredResponse redirect = StoredResponseCodec.encode(302, List.of(), Rendering.of(null, "/a\r\nb"), BODY);

        assertThat(roundTrip(error).rendering().error()).isEqualTo("bad  X-Injected: 1 ");
        assertThat(roundTrip(redirect).rendering().redirect()).isEqualTo("/a  b");
    }
}
