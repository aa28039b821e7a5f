package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spi.StoredResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoredResponsesTest {
    @Test
    void aHeaderNamedLikeAPseudoHeaderIsEscapedWhenStoredAndReadBackAsItWas() {
        StoredResponse stored = StoredResponses.encode(201, List.of(new StoredResponse.Header(":odd", "v"),
                new StoredResponse.Header("X-A", "1")), new byte[] {1});
        assertThat(stored.headers()).extracting(StoredResponse.Header::name).containsExactly("::odd", "X-A");
        assertThat(StoredResponses.replayedHeaders(stored)).containsExactly(new StoredResponse.Header(":odd", "v"),
                new StoredResponse.Header("X-A", "1"));
    }

    @Test
    void theServletFiltersPseudoHeadersAreNotReplayed() {
        StoredResponse servlets = StoredResponse.of(302, List.of(new StoredResponse.Header("Location", "/next"),
                new StoredResponse.Header(":semel-send-redirect", "/next"),
                new StoredResponse.Header(":semel-send-error", "")), new byte[0]);
        assertThat(StoredResponses.replayedHeaders(servlets))
                .containsExactly(new StoredResponse.Header("Location", "/next"));
    }

    @Test
    void aBodyNotRetainedIsStoredWithoutIt() {
        StoredResponse stored = StoredResponses.encode(201, List.of(), null);
        assertThat(stored.bodyRetained()).isFalse();
    }
}
