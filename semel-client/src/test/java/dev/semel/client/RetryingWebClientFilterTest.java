package dev.semel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.client.RetryListener.Attempt;
import dev.semel.client.RetryListener.Next;
import dev.semel.test.MutableClock;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The WebClient filter, on Reactor Netty, against the same real server and response-losing
 * proxy as the blocking adapters. Waits go to a scheduler that records them and moves a fake
 * clock: nothing here really waits. Reactor Netty's own retry of a request it could not send
 * is off, so every retry seen here is the filter's.
 */
class RetryingWebClientFilterTest {
    private static final Instant START = Instant.parse("2026-11-28T16:00:00Z");

    private final MutableClock clock = new MutableClock(START);
    private final RecordingScheduler scheduler = new RecordingScheduler(clock);
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final List<ConnectionProvider> pools = new CopyOnWriteArrayList<>();
    private PaymentsServer server;
    private FaultProxy proxy;

    @BeforeEach
    void startServer() throws IOException {
        server = new PaymentsServer();
        proxy = new FaultProxy(server.port(), FaultProxy.firstRequestOfEachKey());
    }

    @AfterEach
    void stopServer() throws IOException {
        pools.forEach(ConnectionProvider::dispose);
        proxy.close();
        server.close();
    }

    private RetryPolicy.Builder policy() {
        return RetryPolicy.custom().clock(clock).listener(attempts::add);
    }

    private WebClient webClient(int port, RetryPolicy policy) {
        return webClient(port, policy, ConnectionProvider.create("webclient-test"));
    }

    private WebClient webClient(int port, RetryPolicy policy, ConnectionProvider pool) {
        pools.add(pool);
        return WebClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(pool).disableRetry(true)))
                .filter(new RetryingWebClientFilter(policy, scheduler))
                .build();
    }

    private static Mono<ResponseEntity<String>> pay(WebClient client, String body) {
        return client.post().uri("/payments").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchangeToMono(response -> response.toEntity(String.class));
    }

    /** The error the operation ended with, as its subscriber saw it ({@code block()} would wrap a checked one). */
    private static Throwable failureOf(Mono<?> mono) {
        try {
            mono.toFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the operation to fail");
    }

    private String onlyKey() {
        assertThat(server.bodiesByKey()).hasSize(1);
        return server.bodiesByKey().keySet().iterator().next();
    }

    @Test
    void a503IsRetriedWithTheSameKeyAndTheOperationRunsOnce() {
        server.answerNext(503, Map.of("Retry-After", "3"));

        ResponseEntity<String> response = pay(webClient(server.port(), policy().build()), "{\"amount\":1}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        assertThat(RetryingWebClientFilter.replayed(response.getHeaders())).isFalse();
        assertThat(server.bodiesByKey().get(onlyKey())).containsExactly("{\"amount\":1}", "{\"amount\":1}");
        assertThat(server.executions()).isEqualTo(1);
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(3));
        assertThat(attempts).extracting(Attempt::status).containsExactly(503, 201);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.DONE);
        assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnly(onlyKey());
    }

    @Test
    void aResponseLostAfterTheWorkIsRetriedAndAnsweredByTheReplay() {
        ResponseEntity<String> response = pay(webClient(proxy.port(), policy().build()), "{\"amount\":2}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        assertThat(RetryingWebClientFilter.replayed(response.getHeaders())).isTrue();
        assertThat(response.getBody()).isEqualTo("{\"payment\":1}");
        assertThat(proxy.dropped()).isEqualTo(1);
        assertThat(server.executions()).isEqualTo(1);
        assertThat(server.bodiesByKey().get(onlyKey())).containsExactly("{\"amount\":2}", "{\"amount\":2}");
        assertThat(attempts.get(0).failure()).isInstanceOf(IOException.class);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.DONE);
        assertThat(attempts).extracting(Attempt::replayed).containsExactly(false, true);
    }

    @Test
    void replayedReadsTheClientResponseToo() {
        WebClient client = webClient(proxy.port(), policy().build());

        Boolean replayed = client.post().uri("/payments").bodyValue("{}")
                .exchangeToMono(response -> response.releaseBody().thenReturn(RetryingWebClientFilter.replayed(response)))
                .block();

        assertThat(replayed).isTrue();
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aColdPublisherBodyIsWrittenAgainOnEveryAttempt() {
        WebClient client = webClient(proxy.port(), policy().build());

        ResponseEntity<Void> response = client.post().uri("/payments").contentType(MediaType.APPLICATION_JSON)
                .body(Flux.just("{\"amount\":", "7}"), String.class)
                .retrieve().toBodilessEntity().block();

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        assertThat(server.bodiesByKey().get(onlyKey())).containsExactly("{\"amount\":7}", "{\"amount\":7}");
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aRetryWhileTheFirstCallStillRunsWaitsForThe409sRetryAfterAndGetsTheFirstAnswer() throws Exception {
        CountDownLatch operationEntered = new CountDownLatch(1);
        CountDownLatch finishOperation = new CountDownLatch(1);
        server.duringOperation(() -> {
            operationEntered.countDown();
            try {
                finishOperation.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        WebClient firstClient = WebClient.builder().baseUrl("http://127.0.0.1:" + server.port())
                .filter(new RetryingWebClientFilter(RetryPolicy.ofDefaults())).build();
        CompletableFuture<ResponseEntity<String>> first = firstClient.post().uri("/payments")
                .header("Idempotency-Key", "slow-1").bodyValue("{}")
                .retrieve().toEntity(String.class).toFuture();
        assertThat(operationEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // the second caller's wait lets the first finish, and ends when the first has its answer
        scheduler.afterDelay(retry -> {
            finishOperation.countDown();
            first.whenComplete((answer, failure) -> retry.run());
        });
        WebClient secondClient = webClient(server.port(), policy().deadline(Duration.ofMinutes(2)).build());

        ResponseEntity<String> second = secondClient.post().uri("/payments").header("Idempotency-Key", "slow-1")
                .bodyValue("{}").retrieve().toEntity(String.class).block();

        assertThat(attempts).extracting(Attempt::status).containsExactly(409, 201);
        // the engine's Retry-After for a call in progress: whole seconds, at least one
        assertThat(scheduler.delays()).hasSize(1);
        assertThat(scheduler.delays().get(0)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(second.getStatusCode().value()).isEqualTo(201);
        assertThat(RetryingWebClientFilter.replayed(second.getHeaders())).isTrue();
        assertThat(second.getBody()).isEqualTo(first.join().getBody());
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAKeyGetsATimeOrderedKeyMadeOnce() {
        server.answerNext(502, Map.of("Retry-After", "1"));

        pay(webClient(server.port(), policy().build()), "{}").block();

        UUID key = UUID.fromString(onlyKey());
        assertThat(key.version()).isEqualTo(7);
        assertThat(key.getMostSignificantBits() >>> 16).isEqualTo(START.toEpochMilli());
        assertThat(server.bodiesByKey().get(onlyKey())).hasSize(2);
    }

    @Test
    void eachSubscriptionIsOneOperationWithItsOwnGeneratedKey() {
        Mono<ResponseEntity<String>> payment = pay(webClient(server.port(), policy().build()), "{\"amount\":5}");

        ResponseEntity<String> first = payment.block();
        ResponseEntity<String> second = payment.block();

        assertThat(server.bodiesByKey()).hasSize(2);
        assertThat(server.executions()).isEqualTo(2);
        assertThat(second.getBody()).isNotEqualTo(first.getBody());
    }

    @Test
    void aKeyTheCallerSetIsSentAsIsOnEveryAttemptAndAnsweredAgainLater() {
        WebClient client = webClient(proxy.port(), policy().build());
        Mono<ResponseEntity<String>> order = client.post().uri("/payments").header("Idempotency-Key", "invoice-2026-11")
                .bodyValue("{\"amount\":9}").retrieve().toEntity(String.class);

        ResponseEntity<String> first = order.block();
        ResponseEntity<String> later = order.block();

        assertThat(server.bodiesByKey()).containsOnlyKeys("invoice-2026-11");
        assertThat(server.bodiesByKey().get("invoice-2026-11")).hasSize(3);
        assertThat(later.getBody()).isEqualTo(first.getBody());
        assertThat(RetryingWebClientFilter.replayed(later.getHeaders())).isTrue();
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAKeyIsNeverRetriedWhenKeysAreNotGenerated() throws IOException {
        try (FaultProxy dropAll = new FaultProxy(server.port(), request -> true)) {
            WebClient client = webClient(dropAll.port(), policy().keyedMethods().build());

            assertThat(failureOf(pay(client, "{}"))).isInstanceOf(WebClientRequestException.class)
                    .hasCauseInstanceOf(IOException.class);
            assertThat(dropAll.dropped()).isEqualTo(1);
        }
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.UNSAFE_TO_RETRY);
        assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnlyNulls();
        assertThat(scheduler.delays()).isEmpty();
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void aGetCarriesNoKeyButIsRetriedBecauseItIsIdempotent() {
        server.answerNext(502, Map.of("Retry-After", "1"));

        ResponseEntity<String> response = webClient(server.port(), policy().build()).get().uri("/payments")
                .exchangeToMono(r -> r.toEntity(String.class)).block();

        // the engine refuses a request without a key: the server's 400 is final
        assertThat(response.getStatusCode().value()).isEqualTo(400);
        assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnlyNulls();
        assertThat(attempts).extracting(Attempt::status).containsExactly(502, 400);
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void givesUpAfterMaxAttemptsWithRetriesExhaustedAndTheOneKeyItUsed() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        RetryPolicy policy = policy().maxAttempts(3).backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();

        Throwable failure = failureOf(pay(webClient(closedPort, policy), "{}"));

        assertThat(failure).isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
            assertThat(e.attempts()).isEqualTo(3);
            assertThat(e.getCause()).isInstanceOf(ConnectException.class);
            // the earlier failures; Reactor adds its own traceback (WebClient's checkpoint) beside them
            assertThat(e.getSuppressed()).filteredOn(ConnectException.class::isInstance).hasSize(2);
            assertThat(e.idempotencyKey()).isPresent();
            assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnly(e.idempotencyKey().get());
        });
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY, Next.ATTEMPTS_EXHAUSTED);
        // full jitter: each wait lies between zero and its cap (100 ms, then 200 ms)
        assertThat(scheduler.delays()).hasSize(2);
        assertThat(scheduler.delays().get(0)).isBetween(Duration.ZERO, Duration.ofMillis(100));
        assertThat(scheduler.delays().get(1)).isBetween(Duration.ZERO, Duration.ofMillis(200));
    }

    @Test
    void stopsBeforeTheDeadlineAndReturnsTheLastResponse() {
        for (int i = 0; i < 5; i++) {
            server.answerNext(503, Map.of("Retry-After", "4"));
        }
        WebClient client = webClient(server.port(), policy().maxAttempts(10).deadline(Duration.ofSeconds(10)).build());

        ResponseEntity<String> response = pay(client, "{}").block();

        // waits end at 4 s and 8 s; a third would end at 12 s, past the 10 s deadline
        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(scheduler.delays()).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(4));
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY, Next.DEADLINE_EXCEEDED);
        assertThat(server.executions()).isZero();
    }

    @Test
    void aRetryAfterLongerThanMaxRetryAfterIsReturnedInsteadOfWaitedFor() {
        server.answerNext(503, Map.of("Retry-After", "120"));

        ResponseEntity<String> response = pay(webClient(server.port(),
                policy().maxRetryAfter(Duration.ofMinutes(1)).build()), "{}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("120");
        assertThat(scheduler.delays()).isEmpty();
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY_AFTER_TOO_LONG);
        assertThat(server.requests()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {400, 404, 422, 500})
    void neverRetriesAFinalAnswer(int status) {
        server.answerNext(status, Map.of("Retry-After", "1"));

        ResponseEntity<String> response = pay(webClient(server.port(), policy().build()), "{}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(status);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.DONE);
        assertThat(scheduler.delays()).isEmpty();
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void retriedResponsesAreReleasedSoAPoolOfOneConnectionServesEveryAttempt() {
        for (int i = 0; i < 3; i++) {
            server.answerNext(503, Map.of("Retry-After", "1", "Content-Type", "application/json"),
                    "{\"error\":\"busy\",\"attempt\":" + i + "}");
        }
        // a response still holding the only connection would leave the next attempt waiting for it
        ConnectionProvider one = ConnectionProvider.builder("one-connection").maxConnections(1)
                .pendingAcquireTimeout(Duration.ofSeconds(10)).build();
        WebClient client = webClient(server.port(), policy().build(), one);

        ResponseEntity<String> response = pay(client, "{}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        assertThat(attempts).extracting(Attempt::status).containsExactly(503, 503, 503, 201);
        assertThat(server.requests()).isEqualTo(4);
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void refusesARequestThatCarriesTwoKeys() {
        WebClient client = webClient(server.port(), policy().build());

        Throwable failure = failureOf(client.post().uri("/payments")
                .header("Idempotency-Key", "a").header("Idempotency-Key", "b")
                .bodyValue("{}").retrieve().toBodilessEntity());

        assertThat(failure).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 Idempotency-Key headers");
        assertThat(server.requests()).isZero();
    }

    @Test
    void theDefaultSchedulerWaitsWithoutTheSleeper() {
        server.answerNext(503, Map.of("Retry-After", "0"));
        RetryPolicy policy = RetryPolicy.custom().listener(attempts::add)
                .sleeper(delay -> {
                    throw new AssertionError("the reactive filter must not sleep");
                }).build();
        WebClient client = WebClient.builder().baseUrl("http://127.0.0.1:" + server.port())
                .filter(new RetryingWebClientFilter(policy)).build();

        ResponseEntity<String> response = pay(client, "{}").block();

        assertThat(response.getStatusCode().value()).isEqualTo(201);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.DONE);
    }

    @Test
    void aListenerThatFailsEndsTheOperationWithItsError() {
        server.answerNext(503, Map.of("Retry-After", "1"), "{\"error\":\"busy\"}");
        RetryPolicy policy = policy().listener(attempt -> {
            throw new IllegalStateException("listener broke");
        }).build();

        assertThatThrownBy(() -> pay(webClient(server.port(), policy), "{}").block())
                .isInstanceOf(IllegalStateException.class).hasMessage("listener broke");
        assertThat(server.requests()).isEqualTo(1);
    }
}
