package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoredResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What an HTTP client sees with encryption at rest: the same replay, and a 503 when a record cannot be decrypted. */
class EncryptedStoreHttpTest {
    private static final ResponseEncryption K1 = ResponseEncryption.builder()
            .key("k1", "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").build();
    private static final ResponseEncryption WRONG_K1 = ResponseEncryption.builder()
            .key("k1", "hex:ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").build();

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final AtomicReference<IdempotencyStore> current = new AtomicReference<>(K1.protect(memory));
    private final TestApp app = new TestApp();
    private final HttpClient client = HttpClient.newHttpClient();
    private Idempotency engine;
    private EmbeddedServer server;

    private void start() throws Exception {
        IdempotencyStore switchable = new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                return current.get().claim(request);
            }

            @Override
            public boolean complete(String recordId, long fencingToken, StoredResponse response,
                    Instant expiresAt, Instant now) {
                return current.get().complete(recordId, fencingToken, response, expiresAt, now);
            }
        };
        engine = Idempotency.create(switchable);
        server = EmbeddedServer.jetty(List.of(IdempotencyFilter.builder(engine).route("/**").build()), app);
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        engine.close();
    }

    private HttpResponse<String> post(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer token-of-alice").header("Idempotency-Key", "order-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":10}")).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void aRetryIsReplayedByteForByteWhileTheStoreHoldsCiphertext() throws Exception {
        start();
        HttpResponse<String> first = post("/payments/a");
        HttpResponse<String> retry = post("/payments/a");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body()).contains("h\u00e9llo");
        assertThat(retry.headers().allValues("X-Trace")).containsExactly("a", "b");
        assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(app.executions("/payments/a")).isEqualTo(1);
        assertThat(memory.query(RecordQuery.all(), Instant.now())).singleElement()
                .satisfies(r -> assertThat(new String(r.response().body(), StandardCharsets.ISO_8859_1))
                        .doesNotContain("execution").doesNotContain("/payments/a"));
    }

    @Test
    void aRetryWhoseRecordCannotBeDecryptedIsA503AndTheHandlerDoesNotRunAgain() throws Exception {
        start();
        assertThat(post("/payments/b").statusCode()).isEqualTo(201);
        current.set(WRONG_K1.protect(memory));
        HttpResponse<String> retry = post("/payments/b");
        assertThat(retry.statusCode()).isEqualTo(503);
        assertThat(retry.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(retry.headers().firstValue("Retry-After")).isPresent();
        assertThat(retry.body()).contains("store-unavailable").doesNotContain("execution").doesNotContain("k1")
                .doesNotContain("Exception");
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(app.executions("/payments/b")).isEqualTo(1);
    }
}
