package dev.semel.client;

import dev.semel.test.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.client.RetryListener.Attempt;
import dev.semel.client.RetryListener.Next;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

/**
 * The Spring RestClient interceptor against the same real server and response-losing
 * proxy as the java.net.http adapter.
 */
class RetryingRestClientInterceptorTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T16:00:00Z"));
    private final RecordingSleeper sleeper = new RecordingSleeper(clock);
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private PaymentsServer server;
    private FaultProxy proxy;

    @BeforeEach
    void startServer() throws IOException {
        server = new PaymentsServer();
        proxy = new FaultProxy(server.port(), FaultProxy.firstRequestOfEachKey());
    }

    @AfterEach
    void stopServer() throws IOException {
        proxy.close();
        server.close();
    }

    private RestClient restClient(int port, RetryPolicy policy) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return RestClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .requestFactory(new JdkClientHttpRequestFactory(http))
                .requestInterceptor(new RetryingRestClientInterceptor(policy))
                .build();
    }

    private RetryPolicy.Builder policy() {
        return RetryPolicy.custom().clock(clock).sleeper(sleeper).listener(attempts::add);
    }

    private static ResponseEntity<String> pay(RestClient client, String body) {
        return client.post().uri("/payments").contentType(MediaType.APPLICATION_JSON).body(body)
                .retrieve().toEntity(String.class);
    }

    @Test
    void everyLogicalOperationRunsOnceOnTheServerWhenResponsesAreLostAfterProcessing() {
        RestClient client = restClient(proxy.port(), policy().build());
        int operations = 12;
        List<ResponseEntity<String>> responses = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            responses.add(pay(client, "{\"amount\":" + i + "}"));
        }

        assertThat(proxy.dropped()).isEqualTo(operations);
        assertThat(server.executions()).isEqualTo(operations);
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.getStatusCode().value()).isEqualTo(201);
            assertThat(RetryingRestClientInterceptor.replayed(r.getHeaders())).isTrue();
        });
        assertThat(responses).extracting(ResponseEntity::getBody).doesNotHaveDuplicates();
        Set<String> keysSent = attempts.stream().map(Attempt::idempotencyKey).collect(Collectors.toSet());
        assertThat(keysSent).hasSize(operations);
        assertThat(server.bodiesByKey().keySet()).isEqualTo(keysSent);
        server.bodiesByKey().values().forEach(bodies ->
                assertThat(bodies).hasSize(2).containsOnly(bodies.get(0)));
    }

    @Test
    void waitsAsLongAsRetryAfterSays() {
        server.answerNext(503, Map.of("Retry-After", "4"));
        server.answerNext(429, Map.of("Retry-After", "Sat, 28 Nov 2026 16:00:13 GMT"));

        ResponseEntity<String> response = pay(restClient(server.port(), policy().build()), "{}");

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        // the HTTP-date is read after the first wait moved the clock to 16:00:04
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(9));
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aKeyReusedWithAnotherPayloadGets422OnceAndIsNotRetried() {
        RestClient client = restClient(server.port(), policy().build());
        client.post().uri("/payments").header("Idempotency-Key", "order-9").body("{\"amount\":1}")
                .retrieve().toBodilessEntity();

        assertThatThrownBy(() -> client.post().uri("/payments").header("Idempotency-Key", "order-9")
                .body("{\"amount\":2}").retrieve().toBodilessEntity())
                .isInstanceOfSatisfying(HttpClientErrorException.class,
                        e -> assertThat(e.getStatusCode().value()).isEqualTo(422));
        assertThat(attempts).extracting(Attempt::status).containsExactly(201, 422);
        assertThat(attempts).extracting(Attempt::next).containsOnly(Next.DONE);
        assertThat(sleeper.delays()).isEmpty();
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void stopsBeforeTheDeadlineAndReturnsTheLastResponse() {
        for (int i = 0; i < 5; i++) {
            server.answerNext(503, Map.of("Retry-After", "4"));
        }
        RestClient client = restClient(server.port(), policy().maxAttempts(10).deadline(Duration.ofSeconds(10)).build());

        ResponseEntity<String> response = client.post().uri("/payments").body("{}").retrieve()
                .onStatus(status -> true, (request, r) -> { })
                .toEntity(String.class);

        // waits end at 4 s and 8 s; a third would end at 12 s, past the 10 s deadline
        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(4));
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY, Next.DEADLINE_EXCEEDED);
        assertThat(server.executions()).isZero();
    }

    @Test
    void aGetCarriesNoKeyButIsRetriedBecauseItIsIdempotent() {
        server.answerNext(502, Map.of("Retry-After", "1"));
        RestClient client = restClient(server.port(), policy().build());

        ResponseEntity<String> response = client.get().uri("/payments").retrieve()
                .onStatus(status -> true, (request, r) -> { })
                .toEntity(String.class);

        // the engine refuses a request without a key: the server's 400 is final
        assertThat(response.getStatusCode().value()).isEqualTo(400);
        assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnlyNulls();
        assertThat(attempts).extracting(Attempt::status).containsExactly(502, 400);
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void anInterruptDuringTheWaitSurfacesAsInterruptedIoAndKeepsTheFlag() {
        server.answerNext(503, Map.of("Retry-After", "5"));
        RestClient client = restClient(server.port(), policy().sleeper(delay -> {
            throw new InterruptedException("shutting down");
        }).build());

        try {
            assertThatThrownBy(() -> pay(client, "{}"))
                    .hasRootCauseInstanceOf(InterruptedException.class)
                    .cause().isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(server.requests()).isEqualTo(1);
    }
}
