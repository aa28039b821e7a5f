package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import jakarta.servlet.Filter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The filter's HTTP behaviour on embedded Tomcat 11. */
class TomcatIdempotencyFilterTest extends IdempotencyFilterContract {
    @Override
    EmbeddedServer start(List<Filter> filters, TestApp app) throws Exception {
        return EmbeddedServer.tomcat(filters, app);
    }

    @Test
    void withTomcatCompressionOnAReplayIsDecodableAndTheSameAsTheFirstAnswer() throws Exception {
        TestApp compressedApp = new TestApp();
        try (Idempotency compressedEngine = Idempotency.create(new InMemoryIdempotencyStore())) {
            EmbeddedServer compressing = EmbeddedServer.tomcat(
                    List.of(IdempotencyFilter.builder(compressedEngine).build()), compressedApp, true);
            try {
                // /stream flushes, so Tomcat has compressed (and labelled) it before the record is stored;
                // /payments is buffered whole and compressed after
                for (String prefix : List.of("/stream", "/payments")) {
                    String path = unique(prefix);
                    HttpRequest req = HttpRequest.newBuilder(
                                    java.net.URI.create("http://127.0.0.1:" + compressing.port() + path))
                            .header("Idempotency-Key", "k" + path).header("Authorization", "Bearer compressed-client").header("Accept-Encoding", "gzip")
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
                    HttpResponse<byte[]> first = send(req);
                    HttpResponse<byte[]> replay = send(req);

                    assertThat(first.headers().firstValue("Content-Encoding")).as(prefix).contains("gzip");
                    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
                    assertThat(decoded(replay)).as(prefix + ": the replay is what its headers say it is")
                            .isEqualTo(decoded(first));
                    assertThat(replay.statusCode()).isEqualTo(first.statusCode());
                    assertThat(compressedApp.executions(path)).isEqualTo(1);
                }
            } finally {
                compressing.stop();
            }
        }
    }

    /** The body as the Content-Encoding header says to read it. */
    private static String decoded(HttpResponse<byte[]> response) throws IOException {
        byte[] body = response.body();
        if (response.headers().firstValue("Content-Encoding").orElse("").equalsIgnoreCase("gzip")) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                body = in.readAllBytes();
            }
        }
        return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
}
