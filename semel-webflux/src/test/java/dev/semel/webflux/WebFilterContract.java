package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import dev.semel.http.JsonBodyNormalizer;
import dev.semel.http.tck.RawHttp;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rows of the HTTP behaviour table (docs/http.md) as a client sees them through the WebFlux
 * filter on a real Reactor Netty server: status, headers, body bytes and how often the handler
 * ran. Each store's test class says how to make the store. After every test, no store call may
 * have run on an event loop, BlockHound may have found no blocking call there, and no request
 * may have called a blocking store method at all (the asynchronous path answered every one).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WebFilterContract {
    static {
        Blocking.install();
    }

    ThreadCheckingStore store;
    Idempotency engine;
    TestApp app;
    TestServer server;

    /** A new store for this class's server. */
    abstract IdempotencyStore newStore();

    /** Closes what {@link #newStore()} opened. */
    void closeStore() {
    }

    @BeforeAll
    void start() {
        store = new ThreadCheckingStore(newStore());
        engine = Idempotency.create(store);
        app = new TestApp();
        IdempotencyWebFilter filter = IdempotencyWebFilter.builder(engine)
                .route("/required/**", IdempotentRoute.builder().keyRequired(true).build())
                .route("/wait/**", IdempotentRoute.builder()
                        .options(CallOptions.custom().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(20))).build())
                        .build())
                .route("/payments/**")
                .route("/other-route")
                .route("/slow")
                .route("/status/*")
                .route("/boom")
                .route("/empty")
                .route("/big")
                .route("/stream")
                .route("/echo")
                .route("/form")
                .maxRequestBodyBytes(1000)
                .maxCapturedBodyBytes(2000)
                .build();
        server = new TestServer(filter, app.router(), 0);
    }

    @AfterAll
    void stop() {
        server.close();
        engine.close();
        closeStore();
    }

    @BeforeEach
    void reset() {
        store.failing.set(false);
        app.gate = new CompletableFuture<>();
        app.runs.clear();
    }

    @AfterEach
    void nothingBlockedAnEventLoop() {
        List<String> storeCalls = new ArrayList<>(store.eventLoopCalls);
        List<String> blocking = new ArrayList<>(Blocking.FOUND);
        List<String> blockingStoreCalls = new ArrayList<>(store.blockingCallsOfRequests);
        store.eventLoopCalls.clear();
        Blocking.FOUND.clear();
        store.blockingCallsOfRequests.clear();
        assertThat(storeCalls).as("store calls on an event loop").isEmpty();
        assertThat(blocking).as("blocking calls found by BlockHound").isEmpty();
        assertBlockingStoreCallsOfRequests(blockingStoreCalls);
    }

    /**
     * A store with an asynchronous path answers every request without a blocking call; one with
     * only blocking calls overrides this.
     */
    void assertBlockingStoreCallsOfRequests(List<String> calls) {
        assertThat(calls).as("blocking store calls of requests: the asynchronous path answers them all, "
                + "with no hop to the store executor").isEmpty();
    }

    static String key(String name) {
        return name + "-" + UUID.randomUUID();
    }

    static String body(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static boolean replayed(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Idempotent-Replayed").map("true"::equals).orElse(false);
    }

    static void assertSameResponse(HttpResponse<byte[]> replay, HttpResponse<byte[]> first) {
        assertThat(replay.statusCode()).isEqualTo(first.statusCode());
        assertThat(replay.body()).isEqualTo(first.body());
        for (String name : List.of("content-type", "x-payment-id", "x-multi", "x-empty")) {
            assertThat(replay.headers().allValues(name)).as(name).isEqualTo(first.headers().allValues(name));
        }
        assertThat(replayed(replay)).isTrue();
        assertThat(replayed(first)).isFalse();
    }

    static void assertProblem(HttpResponse<byte[]> response, int status, String type, String instance, String key) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        String body = body(response);
        assertThat(body).contains("\"type\":\"https://semel.dev/problems/" + type + "\"")
                .contains("\"status\":" + status).contains("\"title\":\"").contains("\"detail\":\"")
                .contains("\"instance\":\"" + instance + "\"");
        if (key != null) {
            assertThat(body).contains("\"idempotencyKey\":\"" + key + "\"");
        }
        assertThat(replayed(response)).isFalse();
    }

    /** Waits (bounded) for something another thread does; never an assertion on time. */
    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the condition did not become true");
            }
            Thread.sleep(5);
        }
    }

    // ------------------------------------------------------------------ replay

    @Test
    void replaysStatusHeadersAndBodyByteForByteWithoutRunningTheHandlerAgain() throws Exception {
        String key = key("replay");
        HttpResponse<byte[]> first = server.send(server.post("/payments", key, "{\"amount\":1250}"));
        HttpResponse<byte[]> replay = server.send(server.post("/payments", key, "{\"amount\":1250}"));

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue("X-Payment-Id")).isPresent();
        assertThat(first.headers().allValues("X-Multi")).containsExactly("a", "b");
        assertSameResponse(replay, first);
        assertThat(replay.headers().firstValue("Content-Length")).hasValue(Integer.toString(first.body().length));
        assertThat(app.runs("POST /payments")).isEqualTo(1);
    }

    @Test
    void quotedAndBareFormsOfAKeyAreTheSameKey() throws Exception {
        String key = key("quoted");
        HttpResponse<byte[]> first = server.send(server.post("/payments", key, "{}"));
        HttpResponse<byte[]> replay = server.send(server.post("/payments", "\"" + key + "\"", "{}"));
        assertSameResponse(replay, first);
    }

    @Test
    void theApplicationReadsTheBodyTheFilterReadAndTheReplayIsTheSameBytes() throws Exception {
        String key = key("echo");
        byte[] bytes = new byte[700];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/echo"))
                .header("Idempotency-Key", key).header("Authorization", "Bearer alice-token")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        HttpResponse<byte[]> first = server.send(request);
        HttpResponse<byte[]> replay = server.send(request);
        assertThat(first.body()).isEqualTo(bytes);
        assertSameResponse(replay, first);
        assertThat(app.runs("POST /echo")).isEqualTo(1);
    }

    @Test
    void formParametersAndMultipartFieldsStillReachTheApplicationAndARetryReplays() throws Exception {
        String key = key("form");
        HttpRequest.Builder form = server.post("/form", key, "").setHeader("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("amount=12&note=x"));
        HttpResponse<byte[]> first = server.send(form);
        assertThat(body(first)).isEqualTo("amount 12, run 1");
        assertSameResponse(server.send(form), first);

        String boundary = "semel-boundary";
        String multipartBody = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"amount\"\r\n\r\n34\r\n--"
                + boundary + "--\r\n";
        HttpRequest.Builder multipart = server.post("/form", key("multipart"), "").setHeader("Content-Type",
                "multipart/form-data; boundary=" + boundary).POST(HttpRequest.BodyPublishers.ofString(multipartBody));
        HttpResponse<byte[]> firstMultipart = server.send(multipart);
        assertThat(body(firstMultipart)).isEqualTo("amount 34, run 2");
        assertSameResponse(server.send(multipart), firstMultipart);
        assertThat(app.runs("POST /form")).isEqualTo(2);
    }

    @Test
    void aResponseWithoutBodyIsStoredAndReplayed() throws Exception {
        String key = key("empty");
        HttpResponse<byte[]> first = server.send(server.post("/empty", key, "{}"));
        HttpResponse<byte[]> replay = server.send(server.post("/empty", key, "{}"));
        assertThat(first.statusCode()).isEqualTo(204);
        assertThat(first.headers().firstValue("X-Empty")).hasValue("yes");
        assertSameResponse(replay, first);
        assertThat(app.runs("POST /empty")).isEqualTo(1);
    }

    @Test
    void aResponseOverTheCaptureLimitIsSentWholeAndItsReplaySaysTheBodyWasNotKept() throws Exception {
        String key = key("big");
        HttpResponse<byte[]> first = server.send(server.post("/big", key, "{}"));
        HttpResponse<byte[]> replay = server.send(server.post("/big", key, "{}"));
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.body()).hasSize(3000);
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replayed(replay)).isTrue();
        assertThat(replay.headers().firstValue("Idempotent-Body-Retained")).hasValue("false");
        assertThat(replay.body()).isEmpty();
        assertThat(app.runs("POST /big")).isEqualTo(1);
    }

    @Test
    void aResponseGrowingPastTheCaptureLimitIsStreamedOnceItsRecordIsCompletedAsNotRetained() throws Exception {
        String key = key("stream");
        CompletableFuture<HttpResponse<InputStream>> first = server.client().sendAsync(
                server.post("/stream", key, "{}").build(), HttpResponse.BodyHandlers.ofInputStream());
        try {
            // the handler holds the rest of its body: what arrives now was streamed, not held whole
            HttpResponse<InputStream> head = first.get(30, TimeUnit.SECONDS);
            assertThat(head.statusCode()).isEqualTo(201);
            assertThat(head.body().readNBytes(2500)).isEqualTo("x".repeat(2500).getBytes(StandardCharsets.US_ASCII));

            HttpResponse<byte[]> retry = server.send(server.post("/stream", key, "{}"));
            assertThat(retry.statusCode()).as("the record was complete before the first byte went out").isEqualTo(201);
            assertThat(replayed(retry)).isTrue();
            assertThat(retry.headers().firstValue("Idempotent-Body-Retained")).hasValue("false");
            assertThat(retry.body()).isEmpty();
        } finally {
            app.gate.complete(null);
        }
        byte[] rest = first.get(30, TimeUnit.SECONDS).body().readAllBytes();
        assertThat(new String(rest, StandardCharsets.US_ASCII)).isEqualTo("y".repeat(500));
        assertThat(app.runs("POST /stream")).isEqualTo(1);
    }

    @Test
    void patchIsProtectedAndPutIsNotByDefault() throws Exception {
        String key = key("methods");
        HttpRequest.Builder patch = server.post("/payments/7", key, "{}").method("PATCH",
                HttpRequest.BodyPublishers.ofString("{}"));
        HttpResponse<byte[]> first = server.send(patch);
        assertSameResponse(server.send(patch), first);
        assertThat(app.runs("PATCH /payments/7")).isEqualTo(1);

        HttpRequest.Builder put = server.post("/payments/7", key("put"), "{}").method("PUT",
                HttpRequest.BodyPublishers.ofString("{}"));
        assertThat(replayed(server.send(put))).isFalse();
        assertThat(replayed(server.send(put))).isFalse();
        assertThat(app.runs("PUT /payments/7")).isEqualTo(2);
    }

    // ------------------------------------------------------------------ outcomes not stored

    @Test
    void aHandlerErrorReleasesTheKeySoARetryRunsAgain() throws Exception {
        String key = key("boom");
        HttpResponse<byte[]> first = server.send(server.post("/boom", key, "{}"));
        HttpResponse<byte[]> second = server.send(server.post("/boom", key, "{}"));
        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(second.statusCode()).isEqualTo(500);
        assertThat(replayed(second)).isFalse();
        assertThat(app.runs("POST /boom")).isEqualTo(2);
    }

    @Test
    void aProtectedPathWithoutAHandlerIsA404ThatIsNeitherStoredNorReplayed() throws Exception {
        String key = key("nowhere");
        HttpResponse<byte[]> first = server.send(server.post("/payments/a/b/c", key, "{}"));
        HttpResponse<byte[]> second = server.send(server.post("/payments/a/b/c", key, "{}"));
        assertThat(first.statusCode()).isEqualTo(404);
        assertThat(second.statusCode()).isEqualTo(404);
        assertThat(replayed(second)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 503, 408, 409, 425, 429})
    void outcomesThatAreNotFinalAreSentButNotStoredSoARetryRunsAgain(int status) throws Exception {
        String key = key("status");
        HttpResponse<byte[]> first = server.send(server.post("/status/" + status, key, "{}"));
        HttpResponse<byte[]> second = server.send(server.post("/status/" + status, key, "{}"));
        assertThat(first.statusCode()).isEqualTo(status);
        assertThat(body(first)).startsWith("status " + status + ", run ");
        assertThat(second.statusCode()).isEqualTo(status);
        assertThat(replayed(second)).isFalse();
        assertThat(body(second)).isNotEqualTo(body(first)); // it ran again
    }

    @Test
    void a402IsStoredAndReplayed() throws Exception {
        String key = key("402");
        HttpResponse<byte[]> first = server.send(server.post("/status/402", key, "{}"));
        HttpResponse<byte[]> replay = server.send(server.post("/status/402", key, "{}"));
        assertThat(first.statusCode()).isEqualTo(402);
        assertSameResponse(replay, first);
    }

    // ------------------------------------------------------------------ fingerprint

    @Test
    void theSameKeyOnAnotherConcreteTargetOfTheSameRouteIsA422NeverAReplay() throws Exception {
        String key = key("target");
        assertThat(server.send(server.post("/payments/A/refunds", key, "{}")).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> other = server.send(server.post("/payments/A/refunds?x=1", key, "{}"));
        assertProblem(other, 422, "idempotency-key-reused", "/payments/A/refunds", key);
        assertThat(app.runs("POST /payments/A/refunds")).isEqualTo(1);
    }

    @Test
    void theSameKeyWithAnotherBodyOrContentTypeIsA422() throws Exception {
        String key = key("body");
        assertThat(server.send(server.post("/payments", key, "{\"amount\":1}")).statusCode()).isEqualTo(201);
        assertProblem(server.send(server.post("/payments", key, "{\"amount\":2}")), 422, "idempotency-key-reused",
                "/payments", key);
        assertProblem(server.send(server.post("/payments", key, "{\"amount\":1}")
                .setHeader("Content-Type", "text/plain")), 422, "idempotency-key-reused", "/payments", key);
    }

    @Test
    void jsonBodiesWithOtherKeyOrderWhitespaceAndNumberSpellingAreTheSamePayload() throws Exception {
        String key = key("json");
        HttpResponse<byte[]> first = server.send(server.post("/payments", key, "{\"a\":1.50,\"b\":[1,2]}"));
        HttpResponse<byte[]> replay = server.send(server.post("/payments", key, "{ \"b\" : [1, 2], \"a\": 15e-1 }"));
        assertThat(replayed(replay)).isTrue();
        assertThat(replay.body()).isEqualTo(first.body());
    }

    @Test
    void aRecordWrittenWithTheServletFiltersFingerprintAndPseudoHeadersReplaysHere() throws Exception {
        // the record a Servlet filter would have written for this request (its fingerprint fields,
        // its scope, a pseudo header for sendError): the WebFlux filter must replay it as it is
        String key = key("servlet");
        byte[] json = "{\"amount\": 5}".getBytes(StandardCharsets.UTF_8);
        Fingerprint servlets = Fingerprint.builder()
                .add("method", "POST")
                .add("target", "/payments?source=servlet")
                .add("header:content-type:count", "1")
                .add("header:content-type", "application/json")
                .add("body:canonical", JsonBodyNormalizer.create().normalize("application/json", json))
                .build();
        Decision decision = engine.begin(Scope.of("alice", "POST /payments"), IdempotencyKey.of(key), servlets);
        ((Decision.Execute) decision).lease().complete(StoredResponse.of(402, List.of(
                new StoredResponse.Header("Content-Type", "application/json"),
                new StoredResponse.Header("X-From", "servlet"),
                new StoredResponse.Header(":semel-send-error", "")), "{\"paid\":false}".getBytes(StandardCharsets.UTF_8)));

        HttpResponse<byte[]> replay = server.send(server.post("/payments?source=servlet", key, "{\"amount\": 5}")
                .header("X-User", "alice"));
        assertThat(replay.statusCode()).isEqualTo(402);
        assertThat(replayed(replay)).isTrue();
        assertThat(replay.headers().firstValue("X-From")).hasValue("servlet");
        assertThat(replay.headers().map().keySet()).noneMatch(name -> name.startsWith(":"));
        assertThat(body(replay)).isEqualTo("{\"paid\":false}");
        assertThat(app.runs("POST /payments")).isZero();
    }

    // ------------------------------------------------------------------ refusals

    @Test
    void aRouteThatRequiresAKeyAnswersA400ProblemWithoutOne() throws Exception {
        HttpResponse<byte[]> response = server.send(server.post("/required/payments", null, "{}"));
        assertProblem(response, 400, "idempotency-key-missing", "/required/payments", null);
        assertThat(app.runs("POST /required/payments")).isZero();
    }

    @Test
    void withoutAKeyAnOptionalRoutePassesThroughEveryTime() throws Exception {
        server.send(server.post("/other-route", null, "{}"));
        HttpResponse<byte[]> second = server.send(server.post("/other-route", null, "{}"));
        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(replayed(second)).isFalse();
        assertThat(app.runs("POST /other-route")).isEqualTo(2);
    }

    @Test
    void malformedKeysAreA400Problem() throws Exception {
        for (String bad : List.of("", "x".repeat(256), "a, b", "\"unterminated", "\"bad\\escape\"")) {
            HttpResponse<byte[]> response = server.send(server.post("/payments", bad, "{}"));
            assertProblem(response, 400, "idempotency-key-malformed", "/payments", null);
        }
        HttpResponse<byte[]> twice = server.send(server.post("/payments", "one", "{}")
                .header("Idempotency-Key", "two"));
        assertProblem(twice, 400, "idempotency-key-malformed", "/payments", null);
        assertThat(app.runs("POST /payments")).isZero();
    }

    @Test
    void safeMethodsAndPathsWithoutARoutePassThroughUntouchedEvenWithAKey() throws Exception {
        String key = key("safe");
        HttpRequest.Builder get = HttpRequest.newBuilder(server.uri("/payments")).header("Idempotency-Key", key);
        assertThat(server.send(get).statusCode()).isEqualTo(200);
        assertThat(replayed(server.send(get))).isFalse();
        assertThat(app.runs("GET /payments")).isEqualTo(2);

        server.send(server.post("/open/payments", key, "{}"));
        assertThat(replayed(server.send(server.post("/open/payments", key, "{}")))).isFalse();
        assertThat(app.runs("POST /open/payments")).isEqualTo(2);
    }

    @Test
    void aRefusedRequestsBodyIsReadAndDroppedSoTheConnectionServesTheNextRequestUnlessItIsHuge() throws Exception {
        int port = server.uri("/").getPort();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            // over the limit, declared: answered 413 only after the body was read, and the connection stays
            String refused = raw(socket, in, key("swallowed"), "x".repeat(1200));
            assertThat(refused).startsWith("HTTP/1.1 413").doesNotContainIgnoringCase("connection: close");
            // refused before its body (no credential): the body is read too, and the next request is served
            String anonymous = RawHttp.exchange(socket, in,
                    "POST /payments HTTP/1.1\r\nHost: x\r\nIdempotency-Key: " + key("anon")
                    + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            assertThat(anonymous).startsWith("HTTP/1.1 400").doesNotContainIgnoringCase("connection: close");
            assertThat(raw(socket, in, key("next"), "{}")).startsWith("HTTP/1.1 201");
        }
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            // declared past what the filter reads to drop: not read, and the connection ends after the answer
            String head = "POST /payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
                    + "Idempotency-Key: " + key("huge") + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + (3 * 1024 * 1024) + "\r\n\r\n";
            assertThat(RawHttp.exchange(socket, in, head)).startsWith("HTTP/1.1 413")
                    .containsIgnoringCase("connection: close");
        }
        assertThat(app.runs("POST /payments")).isEqualTo(1);
    }

    private static String raw(java.net.Socket socket, InputStream in, String key, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return RawHttp.exchange(socket, in, "POST /payments HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer alice-token\r\nIdempotency-Key: " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\n\r\n" + body);
    }

    @Test
    void aRequestBodyOverTheLimitIsA413WithoutRunningTheHandlerDeclaredOrChunked() throws Exception {
        String key = key("large");
        String large = "{\"pad\":\"" + "x".repeat(1200) + "\"}";
        assertProblem(server.send(server.post("/payments", key, large)), 413, "request-too-large", "/payments", key);

        byte[] bytes = large.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder chunked = server.post("/payments", key, "").POST(
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)));
        assertProblem(server.send(chunked), 413, "request-too-large", "/payments", key);
        assertThat(app.runs("POST /payments")).isZero();
        // nothing was claimed: the key is free for a request within the limit
        assertThat(server.send(server.post("/payments", key, "{}")).statusCode()).isEqualTo(201);
    }

    @Test
    void jsonBeyondTheNormalizersLimitsIsA400WithoutRunningTheHandler() throws Exception {
        String deep = "[".repeat(101) + "]".repeat(101);
        assertProblem(server.send(server.post("/payments", key("deep"), deep)), 400, "json-too-deep", "/payments", null);
        String longNumber = "{\"n\":" + "1".repeat(101) + "}";
        assertProblem(server.send(server.post("/payments", key("number"), longNumber)), 400, "json-number-too-long",
                "/payments", null);
        assertThat(app.runs("POST /payments")).isZero();
    }

    @Test
    void theSameKeyFromTwoPrincipalsOrTwoCredentialsRunsTwiceAndNoCredentialIsRefused() throws Exception {
        String key = key("callers");
        server.send(server.post("/payments", key, "{}").header("X-User", "alice"));
        assertThat(replayed(server.send(server.post("/payments", key, "{}").header("X-User", "bob")))).isFalse();
        assertThat(replayed(server.send(server.post("/payments", key, "{}").header("X-User", "alice")))).isTrue();
        assertThat(app.runs("POST /payments")).isEqualTo(2);

        String other = key("credentials");
        server.send(server.post("/payments", other, "{}"));
        assertThat(replayed(server.send(server.post("/payments", other, "{}")
                .setHeader("Authorization", "Bearer bob-token")))).isFalse();
        assertThat(app.runs("POST /payments")).isEqualTo(4);

        HttpRequest.Builder anonymous = HttpRequest.newBuilder(server.uri("/payments"))
                .header("Idempotency-Key", key("anonymous")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        HttpResponse<byte[]> refused = server.send(anonymous);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(body(refused)).contains("https://semel.dev/problems/credentials-required");
        assertThat(app.runs("POST /payments")).isEqualTo(4);
    }

    @Test
    void theSameKeyOnTwoRoutesRunsOnEach() throws Exception {
        String key = key("routes");
        server.send(server.post("/payments", key, "{}"));
        HttpResponse<byte[]> other = server.send(server.post("/other-route", key, "{}"));
        assertThat(other.statusCode()).isEqualTo(201);
        assertThat(replayed(other)).isFalse();
        assertThat(app.runs("POST /other-route")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ concurrency

    @Test
    void aRetryWhileTheFirstRequestRunsIsA409WithRetryAfterAndLaterTheReplay() throws Exception {
        String key = key("running");
        int before = app.slowStarted.get();
        CompletableFuture<HttpResponse<byte[]>> first = server.client().sendAsync(
                server.post("/slow", key, "{}").build(), HttpResponse.BodyHandlers.ofByteArray());
        await(() -> app.slowStarted.get() > before);

        HttpResponse<byte[]> conflict = server.send(server.post("/slow", key, "{}"));
        assertProblem(conflict, 409, "request-in-progress", "/slow", key);
        assertThat(conflict.headers().firstValue("Retry-After")).hasValue("1");

        app.gate.complete(null);
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> replay = server.send(server.post("/slow", key, "{}"));
        assertSameResponse(replay, first.get());
        assertThat(app.runs("POST /slow")).isEqualTo(1);
    }

    @Test
    void underTheWaitPolicyARetryWaitsForTheFirstRequestAndGetsItsResponse() throws Exception {
        String key = key("wait");
        int before = app.slowStarted.get();
        CompletableFuture<HttpResponse<byte[]>> first = server.client().sendAsync(
                server.post("/wait/slow", key, "{}").build(), HttpResponse.BodyHandlers.ofByteArray());
        await(() -> app.slowStarted.get() > before);
        CompletableFuture<HttpResponse<byte[]>> waiting = server.client().sendAsync(
                server.post("/wait/slow", key, "{}").build(), HttpResponse.BodyHandlers.ofByteArray());
        await(() -> store.claims(key) >= 2); // the retry found the first running and waits

        app.gate.complete(null);
        HttpResponse<byte[]> response = waiting.get(20, TimeUnit.SECONDS);
        assertSameResponse(response, first.get(20, TimeUnit.SECONDS));
        assertThat(app.runs("POST /wait/slow")).isEqualTo(1);
    }

    @Test
    void concurrentRequestsWithOneKeyRunTheHandlerOnceAndEveryOtherGetsA409OrTheReplay() throws Exception {
        int threads = 12;
        String key = key("race");
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    HttpRequest request = server.post("/payments/race/refunds", key, "{\"amount\":3}").build();
                    ready.countDown();
                    go.await();
                    return server.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
                }));
            }
            assertThat(ready.await(20, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            List<HttpResponse<byte[]>> responses = new ArrayList<>();
            for (Future<HttpResponse<byte[]>> f : futures) {
                responses.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(app.runs("POST /payments/race/refunds")).isEqualTo(1);
            List<HttpResponse<byte[]>> firsts = responses.stream()
                    .filter(r -> r.statusCode() == 201 && !replayed(r)).toList();
            assertThat(firsts).hasSize(1);
            for (HttpResponse<byte[]> r : responses) {
                if (r.statusCode() == 201 && replayed(r)) {
                    assertSameResponse(r, firsts.get(0));
                } else if (r != firsts.get(0)) {
                    assertProblem(r, 409, "request-in-progress", "/payments/race/refunds", key);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRequestWhoseClientGoesAwayBeforeItsResponseIsStoredReleasesItsKey() throws Exception {
        String key = key("gone");
        int before = app.slowStarted.get();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.uri("/").getPort())) {
            socket.getOutputStream().write(("POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User: alice\r\n"
                    + "Idempotency-Key: " + key + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            await(() -> app.slowStarted.get() > before);
            assertThat(engine.admin().record(Scope.of("alice", "POST /slow"), IdempotencyKey.of(key))).isPresent();
        } // the client goes away while the handler waits
        await(() -> engine.admin().record(Scope.of("alice", "POST /slow"), IdempotencyKey.of(key)).isEmpty());

        app.gate.complete(null);
        HttpResponse<byte[]> retry = server.send(server.post("/slow", key, "{}").header("X-User", "alice"));
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(replayed(retry)).isFalse();
        assertThat(app.runs("POST /slow")).isEqualTo(2);
    }

    // ------------------------------------------------------------------ store failure

    @Test
    void anUnavailableStoreIsA503WithRetryAfterAndTheHandlerDoesNotRun() throws Exception {
        store.failing.set(true);
        String key = key("down");
        HttpResponse<byte[]> response = server.send(server.post("/payments", key, "{}"));
        assertProblem(response, 503, "store-unavailable", "/payments", key);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(app.runs("POST /payments")).isZero();
    }
}
