package dev.semel.client;

import dev.semel.test.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.client.RetryListener.Attempt;
import dev.semel.client.RetryListener.Next;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The java.net.http adapter against a real server (JDK HttpServer + Semel engine) behind a
 * proxy that loses responses after the server did the work. Waits go to a recording
 * sleeper that moves a fake clock: nothing here really waits.
 */
class RetryingHttpClientTest {
    private static final Instant START = Instant.parse("2026-11-28T16:00:00Z");

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final MutableClock clock = new MutableClock(START);
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

    private RetryPolicy.Builder policy() {
        return RetryPolicy.custom().clock(clock).sleeper(sleeper).listener(attempts::add);
    }

    private RetryingHttpClient client(RetryPolicy policy) {
        return RetryingHttpClient.builder(http).retryPolicy(policy).build();
    }

    private URI viaProxy() {
        return URI.create("http://127.0.0.1:" + proxy.port() + "/payments");
    }

    private static HttpRequest post(URI uri, String body) {
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body))
                .build();
    }

    @Test
    void everyLogicalOperationRunsOnceOnTheServerWhenResponsesAreLostAfterProcessing() throws Exception {
        RetryingHttpClient client = client(policy().build());
        int operations = 20;
        List<RetriedResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            responses.add(client.send(post(viaProxy(), "{\"amount\":" + i + "}"), BodyHandlers.ofString()));
        }

        assertThat(proxy.dropped()).isEqualTo(operations);
        assertThat(server.executions()).isEqualTo(operations);
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(r.attempts()).isEqualTo(2);
            assertThat(r.replayed()).isTrue();
        });
        // the replay carries the first execution's answer: payments 1..N, each once
        assertThat(responses).extracting(RetriedResponse::body)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, operations)
                        .mapToObj(n -> "{\"payment\":" + n + "}").toList());
        Set<String> keys = responses.stream().map(r -> r.idempotencyKey().orElseThrow()).collect(Collectors.toSet());
        assertThat(keys).hasSize(operations);
        assertThat(server.bodiesByKey().keySet()).isEqualTo(keys);
        server.bodiesByKey().values().forEach(bodies ->
                assertThat(bodies).hasSize(2).containsOnly(bodies.get(0)));
        assertThat(attempts).hasSize(2 * operations);
        assertThat(attempts).filteredOn(a -> a.number() == 1).allSatisfy(a -> {
            assertThat(a.failure()).isInstanceOf(IOException.class);
            assertThat(a.next()).isEqualTo(Next.RETRY);
        });
    }

    @Test
    void concurrentOperationsReleasedTogetherEachRunExactlyOnce() throws Exception {
        RetryingHttpClient client = client(policy().build());
        int operations = 16;
        List<RetriedResponse<String>> responses = Race.run(operations, i -> () ->
                client.send(post(viaProxy(), "{\"amount\":" + i + "}"), BodyHandlers.ofString()));

        assertThat(server.executions()).isEqualTo(operations);
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(r.replayed()).isTrue();
            assertThat(server.bodiesByKey().get(r.idempotencyKey().orElseThrow())).hasSize(2);
        });
        assertThat(responses).extracting(RetriedResponse::body).doesNotHaveDuplicates();
    }

    @Test
    void aBodyThatCanBeReadOnlyOnceIsSentWholeOnEveryAttempt() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        byte[] payload = "{\"amount\":4200,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(viaProxy())
                .POST(BodyPublishers.ofInputStream(() -> {
                    if (opened.incrementAndGet() > 1) {
                        throw new IllegalStateException("stream opened twice");
                    }
                    return new ByteArrayInputStream(payload);
                }))
                .build();

        RetriedResponse<String> response = client(policy().build()).send(request, BodyHandlers.ofString());

        assertThat(response.attempts()).isEqualTo(2);
        assertThat(opened).hasValue(1);
        assertThat(server.bodiesByKey().get(response.idempotencyKey().orElseThrow()))
                .containsExactly(new String(payload, StandardCharsets.UTF_8), new String(payload, StandardCharsets.UTF_8));
    }

    @Test
    void waitsExactlyAsLongAsRetryAfterSaysInSeconds() throws Exception {
        server.answerNext(503, Map.of("Retry-After", "3"));
        server.answerNext(429, Map.of("Retry-After", "7"));

        RetriedResponse<String> response = client(policy().build())
                .send(post(server.uri(), "{\"amount\":1}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.attempts()).isEqualTo(3);
        assertThat(response.replayed()).isFalse();
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(7));
        assertThat(server.executions()).isEqualTo(1);
        assertThat(server.bodiesByKey().get(response.idempotencyKey().orElseThrow())).hasSize(3);
    }

    @Test
    void waitsUntilTheHttpDateInRetryAfter() throws Exception {
        server.answerNext(503, Map.of("Retry-After", "Sat, 28 Nov 2026 16:00:22 GMT"));

        RetriedResponse<String> response = client(policy().build())
                .send(post(server.uri(), "{\"amount\":1}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(22));
    }

    @Test
    void aRetryAfterPastTheDeadlineEndsTheOperationAtOnceWithThatResponse() throws Exception {
        server.answerNext(503, Map.of("Retry-After", "120"));

        RetriedResponse<String> response = client(policy().deadline(Duration.ofSeconds(30)).build())
                .send(post(server.uri(), "{\"amount\":1}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(sleeper.delays()).isEmpty();
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.DEADLINE_EXCEEDED);
        assertThat(server.executions()).isZero();
    }

    @Test
    void aRetryAfterLongerThanMaxRetryAfterEndsTheOperationWithThatResponseInsteadOfWaiting() throws Exception {
        server.answerNext(503, Map.of("Retry-After", "5"));
        server.answerNext(429, Map.of("Retry-After", "Sat, 28 Nov 2026 16:00:21 GMT"));
        RetryPolicy policy = policy().maxRetryAfter(Duration.ofSeconds(15)).build();

        RetriedResponse<String> response = client(policy).send(post(server.uri(), "{\"amount\":1}"), BodyHandlers.ofString());

        // 5 s is waited for; the date, 16 s after the clock moved to 16:00:05, is not
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.attempts()).isEqualTo(2);
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(5));
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY_AFTER_TOO_LONG);
        assertThat(server.executions()).isZero();
    }

    @ParameterizedTest(name = "Retry-After: {0}")
    @ValueSource(strings = {"99999999999", "9223372036854775807", "99999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT"})
    void aHugeRetryAfterNeitherOverflowsNorIsIgnoredButEndsTheOperationAtTheDeadline(String retryAfter)
            throws Exception {
        server.answerNext(503, Map.of("Retry-After", retryAfter));

        RetriedResponse<String> response = client(policy().build())
                .send(post(server.uri(), "{\"amount\":1}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(sleeper.delays()).isEmpty();
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.DEADLINE_EXCEEDED);
    }

    @Test
    void backsOffWithFullJitterAndStopsBeforeTheDeadline() throws Exception {
        for (int i = 0; i < 10; i++) {
            server.answerNext(503, Map.of());
        }
        RetryPolicy policy = policy()
                .maxAttempts(10)
                .backoff(Duration.ofSeconds(1), Duration.ofSeconds(60))
                .deadline(Duration.ofSeconds(5))
                .random(new FixedRandom(0.999))
                .build();

        RetriedResponse<String> response = client(policy).send(post(server.uri(), "{}"), BodyHandlers.ofString());

        // caps 1 s, 2 s, 4 s: the third wait would end at 6.99 s, past the 5 s deadline
        assertThat(sleeper.delays()).containsExactly(Duration.ofMillis(999), Duration.ofMillis(1998));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.attempts()).isEqualTo(3);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY, Next.DEADLINE_EXCEEDED);
        assertThat(Duration.between(START, clock.instant())).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void givesUpAfterMaxAttemptsWhenNothingListensAndReportsTheOneKeyItUsed() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        RetryPolicy policy = policy().maxAttempts(3).backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();

        assertThatThrownBy(() -> client(policy).send(post(URI.create("http://127.0.0.1:" + closedPort + "/payments"), "{}"),
                BodyHandlers.ofString()))
                .isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.getCause()).isInstanceOf(ConnectException.class);
                    assertThat(e.getSuppressed()).hasSize(2);
                    assertThat(e.idempotencyKey()).isPresent();
                    assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnly(e.idempotencyKey().get());
                });
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.RETRY, Next.ATTEMPTS_EXHAUSTED);
        // full jitter: each wait lies between zero and its cap (100 ms, then 200 ms)
        assertThat(sleeper.delays()).hasSize(2);
        assertThat(sleeper.delays().get(0)).isBetween(Duration.ZERO, Duration.ofMillis(100));
        assertThat(sleeper.delays().get(1)).isBetween(Duration.ZERO, Duration.ofMillis(200));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {400, 401, 403, 404, 422, 500})
    void neverRetriesAFinalAnswer(int status) throws Exception {
        server.answerNext(status, Map.of("Retry-After", "1"));

        RetriedResponse<String> response = client(policy().build())
                .send(post(server.uri(), "{}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(sleeper.delays()).isEmpty();
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void aKeyReusedWithAnotherPayloadGets422OnceAndIsNotRetried() throws Exception {
        RetryingHttpClient client = client(policy().build());
        HttpRequest first = HttpRequest.newBuilder(server.uri()).header("Idempotency-Key", "order-7")
                .POST(BodyPublishers.ofString("{\"amount\":1}")).build();
        HttpRequest other = HttpRequest.newBuilder(server.uri()).header("Idempotency-Key", "order-7")
                .POST(BodyPublishers.ofString("{\"amount\":2}")).build();
        client.send(first, BodyHandlers.ofString());

        RetriedResponse<String> response = client.send(other, BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(server.bodiesByKey().get("order-7")).hasSize(2);
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void retries500OnlyWhenConfiguredTo() throws Exception {
        server.answerNext(500, Map.of());

        RetriedResponse<String> response = client(policy().retryOnServerError(true).build())
                .send(post(server.uri(), "{}"), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.attempts()).isEqualTo(2);
    }

    @Test
    void aCallerSuppliedKeyIsSentAsIsAndASecondCallWithItIsReplayed() throws Exception {
        RetryingHttpClient client = client(policy().build());
        HttpRequest request = HttpRequest.newBuilder(viaProxy()).header("Idempotency-Key", "invoice-2026-11")
                .POST(BodyPublishers.ofString("{\"amount\":9}")).build();

        RetriedResponse<String> first = client.send(request, BodyHandlers.ofString());
        RetriedResponse<String> later = client.send(request, BodyHandlers.ofString());

        assertThat(first.idempotencyKey()).contains("invoice-2026-11");
        assertThat(first.attempts()).isEqualTo(2);
        assertThat(later.attempts()).isEqualTo(1);
        assertThat(later.replayed()).isTrue();
        assertThat(later.body()).isEqualTo(first.body());
        assertThat(server.bodiesByKey()).containsOnlyKeys("invoice-2026-11");
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAKeyIsNeverRetried() throws Exception {
        // no generated keys, and a request lost after processing: a retry could pay twice
        RetryingHttpClient client = client(policy().keyedMethods().build());
        try (FaultProxy dropAll = new FaultProxy(server.port(), request -> true)) {
            URI uri = URI.create("http://127.0.0.1:" + dropAll.port() + "/payments");
            assertThatThrownBy(() -> client.send(post(uri, "{}"), BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(RetriesExhaustedException.class);
            assertThat(dropAll.dropped()).isEqualTo(1);
        }
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.UNSAFE_TO_RETRY);
        assertThat(sleeper.delays()).isEmpty();
    }

    @Test
    void generatedKeysAreTimeOrderedUuids() throws Exception {
        RetriedResponse<String> response = client(policy().build())
                .send(post(server.uri(), "{}"), BodyHandlers.ofString());

        UUID key = UUID.fromString(response.idempotencyKey().orElseThrow());
        assertThat(key.version()).isEqualTo(7);
        assertThat(key.getMostSignificantBits() >>> 16).isEqualTo(START.toEpochMilli());
    }

    @Test
    void aRetryWhileTheFirstCallStillRunsWaitsForRetryAfterAndGetsTheFirstAnswer() throws Exception {
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
        HttpRequest request = HttpRequest.newBuilder(server.uri()).header("Idempotency-Key", "slow-1")
                .POST(BodyPublishers.ofString("{}")).build();
        CompletableFuture<RetriedResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return client(RetryPolicy.ofDefaults()).send(request, BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(operationEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // the second caller's wait lets the first finish, then returns
        Sleeper releaseFirst = delay -> {
            sleeper.sleep(delay);
            finishOperation.countDown();
            first.join();
        };

        RetriedResponse<String> second = client(policy().sleeper(releaseFirst).deadline(Duration.ofMinutes(2)).build())
                .send(request, BodyHandlers.ofString());

        assertThat(attempts.get(0).status()).isEqualTo(409);
        assertThat(sleeper.delays()).hasSize(1);
        assertThat(sleeper.delays().get(0)).isPositive();
        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(second.replayed()).isTrue();
        assertThat(second.body()).isEqualTo(first.join().body());
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void anInterruptDuringTheWaitEndsTheOperationWithInterruptedException() {
        server.answerNext(503, Map.of("Retry-After", "5"));
        RetryPolicy policy = policy().sleeper(delay -> {
            throw new InterruptedException("shutting down");
        }).build();

        assertThatThrownBy(() -> client(policy).send(post(server.uri(), "{}"), BodyHandlers.ofString()))
                .isInstanceOf(InterruptedException.class);
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void refusesARequestThatCarriesTwoKeys() {
        HttpRequest request = HttpRequest.newBuilder(server.uri())
                .header("Idempotency-Key", "a").header("Idempotency-Key", "b")
                .POST(BodyPublishers.ofString("{}")).build();

        assertThatThrownBy(() -> client(policy().build()).send(request, BodyHandlers.ofString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 Idempotency-Key headers");
        assertThat(server.requests()).isZero();
    }

    /** A random generator that always draws the same number. */
    private record FixedRandom(double value) implements java.util.random.RandomGenerator {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public double nextDouble() {
            return value;
        }
    }
}
