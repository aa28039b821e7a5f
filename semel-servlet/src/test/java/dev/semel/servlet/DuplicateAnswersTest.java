package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Decision;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.servlet.StoredResponseCodec.Rendering;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.StoredResponse.Header;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a request the engine did not let run is answered, as the container is asked to send it. */
class DuplicateAnswersTest {
    private static final IdempotencyKey KEY = IdempotencyKey.of("k-1");
    private final DuplicateAnswers answers = new DuplicateAnswers(Duration.ofSeconds(2), Duration.ofSeconds(7));
    private final RecordingResponse recorded = new RecordingResponse();

    @Test
    void aReplayWritesTheStoredStatusHeadersAndBodyMarkedAsReplayed() throws Exception {
        byte[] body = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);
        StoredResponse stored = StoredResponseCodec.encode(201, List.of(new Header("Content-Type", "application/json"),
                new Header("X-Trace", "a"), new Header(StoredResponseCodec.SEND_ERROR, "a header, not an error"),
                new Header("X-Trace", "b")), Rendering.NONE, body);

        answers.answer(recorded.response, new Decision.Replay(stored), "/payments", KEY);

        assertThat(recorded.calls).containsExactly("setStatus(201)", "setContentType(application/json)",
                "addHeader(X-Trace, a)", "addHeader(:semel-send-error, a header, not an error)",
                "addHeader(X-Trace, b)", "setHeader(Idempotent-Replayed, true)", "setContentLength(8)");
        assertThat(recorded.body.toByteArray()).isEqualTo(body);
    }

    @Test
    void aReplayOfABodyThatWasNotRetainedSaysSoAndSendsNone() throws Exception {
        StoredResponse stored = StoredResponseCodec.encode(200, List.of(), Rendering.NONE, null);

        answers.answer(recorded.response, new Decision.Replay(stored), "/payments", KEY);

        assertThat(recorded.calls).containsExactly("setStatus(200)", "setHeader(Idempotent-Replayed, true)",
                "setHeader(Idempotent-Body-Retained, false)", "setContentLength(0)");
        assertThat(recorded.body.size()).isZero();
    }

    @Test
    void aReplayOfAnErrorOrARedirectLetsTheContainerRenderItAgain() throws Exception {
        replay(402, Rendering.of("Payment required", null));
        replay(404, Rendering.of("", null));
        replay(302, Rendering.of(null, "/done/7"));
        replay(307, Rendering.of(null, "/elsewhere"));

        assertThat(recorded.calls).containsSubsequence("sendError(402, Payment required)", "sendError(404, null)",
                "sendRedirect(/done/7)", "resetBuffer()", "setStatus(307)", "setHeader(Location, /elsewhere)");
        assertThat(recorded.body.size()).as("the container renders the body").isZero();
    }

    private void replay(int status, Rendering rendering) throws Exception {
        answers.answer(recorded.response,
                new Decision.Replay(StoredResponseCodec.encode(status, List.of(), rendering, new byte[0])), "/p", KEY);
    }

    @Test
    void whileTheFirstRequestRunsA409SaysToRetryWithinTheConfiguredTimeOrWhenTheLeaseEndsIfSooner() throws Exception {
        answers.answer(recorded.response, new Decision.InProgress(Duration.ofSeconds(30)), "/payments", KEY);
        answers.answer(recorded.response, new Decision.InProgress(Duration.ofMillis(200)), "/payments", KEY);

        assertThat(recorded.calls).filteredOn(c -> c.startsWith("setStatus")).containsOnly("setStatus(409)");
        assertThat(recorded.calls).filteredOn(c -> c.startsWith("setHeader(Retry-After"))
                .containsExactly("setHeader(Retry-After, 2)", "setHeader(Retry-After, 1)");
    }

    @Test
    void aKeyReusedWithAnotherRequestIsA422WithoutRetryAfter() throws Exception {
        answers.answer(recorded.response, new Decision.Mismatch(KEY), "/payments", KEY);

        assertThat(recorded.calls).contains("setStatus(422)", "setContentType(application/problem+json)");
        assertThat(recorded.calls).noneMatch(c -> c.startsWith("setHeader(Retry-After"));
        assertThat(recorded.body.toString(StandardCharsets.UTF_8)).contains("\"idempotencyKey\":\"k-1\"");
    }

    @Test
    void anUnavailableStoreIsA503ThatRetriesWhenTheStoreSaysOrElseAfterTheConfiguredTime() throws Exception {
        answers.storeUnavailable(recorded.response, "/payments", KEY,
                new IdempotencyStoreException("down", null, Duration.ofSeconds(3)));
        answers.storeUnavailable(recorded.response, "/payments", KEY, new IdempotencyStoreException("down", null));

        assertThat(recorded.calls).filteredOn(c -> c.startsWith("setStatus")).containsOnly("setStatus(503)");
        assertThat(recorded.calls).filteredOn(c -> c.startsWith("setHeader(Retry-After"))
                .containsExactly("setHeader(Retry-After, 3)", "setHeader(Retry-After, 7)");
    }
}
