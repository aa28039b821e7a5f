package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.WaitPolicy;
import dev.semel.http.JsonBodyNormalizer;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a client observes from the filter over real HTTP, on a real container. Each
 * subclass only says which container runs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class IdempotencyFilterContract {
    final TestApp app = new TestApp();
    final SwitchableStore store = new SwitchableStore();
    Idempotency engine;
    EmbeddedServer server;
    final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10)).build();

    abstract EmbeddedServer start(List<Filter> filters, TestApp app) throws Exception;

    @BeforeAll
    void startServer() throws Exception {
        engine = Idempotency.create(store, IdempotencyConfig.custom().waitPollInterval(Duration.ofMillis(20)).build());
        IdempotencyFilter filter = IdempotencyFilter.builder(engine)
                .route("/required/**", IdempotentRoute.builder().keyRequired(true).build())
                .route("/waiting/**", IdempotentRoute.builder().options(CallOptions.custom()
                        .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(20))).build()).build())
                .route("/briefwait/**", IdempotentRoute.builder().options(CallOptions.custom()
                        .waitPolicy(WaitPolicy.waitUpTo(Duration.ofMillis(200))).build()).build())
                .route("/**")
                .routeResolver(IdempotencyFilterContract::template)
                .bodyNormalizer(JsonBodyNormalizer.ignoring("/sentAt"))
                .build();
        server = start(List.of(new FakeLogin(), filter), app);
    }

    /** Route templates as a framework would know them: ids become {id}. */
    static String template(HttpServletRequest request) {
        return "/" + java.util.Arrays.stream(PathPattern.pathWithinApplication(request).substring(1).split("/"))
                .map(s -> s.matches("[A-Z0-9]+") ? "{id}" : s)
                .collect(Collectors.joining("/"));
    }

    @AfterAll
    void stopServer() throws Exception {
        server.stop();
        engine.close();
    }

    @BeforeEach
    void storeUp() {
        store.failing.set(false);
        store.claimFailure.set(null);
        store.completeFailure.set(null);
        store.completeLatencyMillis.set(0);
    }

    // ------------------------------------------------------------ helpers

    static String unique(String prefix) {
        return prefix + "/" + UUID.randomUUID().toString().replace("-", "").toLowerCase();
    }

    /** A request from the tests' one client: it sends a credential, as keyed requests must. */
    HttpRequest.Builder request(String path) {
        return requestWithoutCredentials(path).header("Authorization", "Bearer contract-client");
    }

    HttpRequest.Builder requestWithoutCredentials(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30));
    }

    HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> post(String path, String key, String json) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return send(b.build());
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static boolean replayed(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Idempotent-Replayed").isPresent();
    }

    /** Headers a replay must reproduce: all but those the container writes per response. */
    static Map<String, List<String>> replayableHeaders(HttpResponse<byte[]> response) {
        Map<String, List<String>> headers = new TreeMap<>(response.headers().map());
        for (String h : List.of("date", "idempotent-replayed", "set-cookie", "content-length", "connection",
                "transfer-encoding", "server", "keep-alive")) {
            headers.remove(h);
        }
        return headers;
    }

    static void assertSameResponse(HttpResponse<byte[]> replay, HttpResponse<byte[]> first) {
        assertThat(replay.statusCode()).isEqualTo(first.statusCode());
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replayableHeaders(replay)).isEqualTo(replayableHeaders(first));
        assertThat(replayed(first)).as("the first response never says it was replayed").isFalse();
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    }

    // ------------------------------------------------------------ replay

    @Test
    void replaysStatusHeadersAndBodyByteForByteWithoutRunningTheHandlerAgain() throws Exception {
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "k-" + path, "{\"amount\":10}");
        HttpResponse<byte[]> replay = post(path, "k-" + path, "{\"amount\":10}");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(text(first)).contains("\"execution\":1").contains("h\u00e9llo");
        assertSameResponse(replay, first);
        assertThat(replay.headers().allValues("X-Trace")).containsExactly("a", "b");
        assertThat(first.headers().allValues("Set-Cookie")).isNotEmpty();
        assertThat(replay.headers().allValues("Set-Cookie")).as("cookies are never replayed").isEmpty();
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void quotedAndBareFormsOfAKeyAreTheSameKey() throws Exception {
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "abc-" + path.substring(10), "{}");
        HttpResponse<byte[]> replay = post(path, "\"abc-" + path.substring(10) + "\"", "{}");
        assertSameResponse(replay, first);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void replaysEmptyBinaryStreamedAndClosedBodies() throws Exception {
        assertEachRunsOnceAndReplays(List.of("/empty", "/binary", "/stream", "/closed"), 200, 204);
    }

    @Test
    void replaysSendErrorAndRedirectsAsTheContainerRenderedThem() throws Exception {
        assertEachRunsOnceAndReplays(List.of("/error", "/redirect"), 402, 302);
    }

    private void assertEachRunsOnceAndReplays(List<String> prefixes, Integer... firstStatuses) throws Exception {
        for (String prefix : prefixes) {
            String path = unique(prefix);
            HttpResponse<byte[]> first = post(path, "k" + path, "{}");
            HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
            assertThat(first.statusCode()).as(prefix).isIn((Object[]) firstStatuses);
            assertSameResponse(replay, first);
            assertThat(app.executions(path)).as(prefix).isEqualTo(1);
        }
    }

    @Test
    void replaysAnAsyncResponseCompletedOnAnotherThread() throws Exception {
        // a slow store: the old code sent the async response before storing it, so this retry got a 409
        store.completeLatencyMillis.set(300);
        for (String prefix : List.of("/async", "/asyncsized")) { // the second sets Content-Length
            String path = unique(prefix);
            HttpResponse<byte[]> first = post(path, "k" + path, "{}");
            HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
            assertThat(first.statusCode()).isEqualTo(202);
            assertThat(text(first)).isEqualTo("async 1");
            assertThat(replay.statusCode()).as(prefix + ": the retry sent the moment the client had the answer")
                    .isEqualTo(202);
            assertSameResponse(replay, first);
            assertThat(app.executions(path)).isEqualTo(1);
        }
    }

    @Test
    void aResponseWhoseLengthTheHandlerSetIsStoredBeforeTheClientHasIt() throws Exception {
        // a container ends a response once Content-Length bytes are written; the old code let it,
        // so the client had the response before it was stored and an immediate retry got a 409
        store.completeLatencyMillis.set(300);
        for (String prefix : List.of("/sized", "/sizedheader")) {
            String path = unique(prefix);
            HttpResponse<byte[]> first = post(path, "k" + path, "{}");
            HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
            assertThat(first.headers().firstValue("Content-Length")).contains(Integer.toString(first.body().length));
            assertSameResponse(replay, first);
            assertThat(replay.headers().firstValue("Content-Length")).contains(Integer.toString(first.body().length));
            assertThat(app.executions(path)).isEqualTo(1);
        }
    }

    @Test
    void aResponseOverTheCaptureLimitCompletesTheRecordAndItsReplaySaysTheBodyWasNotKept() throws Exception {
        String path = unique("/big");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
        assertThat(first.body()).hasSize(40 * 64 * 1024);
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(replay.headers().firstValue("Idempotent-Body-Retained")).contains("false");
        assertThat(replay.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
        assertThat(replay.body()).isEmpty();
        assertThat(app.executions(path)).isEqualTo(1);
    }

    // ------------------------------------------------------------ outcomes

    @Test
    void aHandlerThatThrowsReleasesTheKeySoARetryRunsAgain() throws Exception {
        String path = unique("/throw");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(retry.statusCode()).isEqualTo(500);
        assertThat(replayed(retry)).isFalse();
        assertThat(app.executions(path)).isEqualTo(2);
    }

    @Test
    void a500IsNotStoredSoARetryRunsAgain() throws Exception {
        String path = unique("/fail");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).isEqualTo(500);
        assertThat(text(retry)).isEqualTo("failed 2");
        assertThat(app.executions(path)).isEqualTo(2);
    }

    @Test
    void a402IsStoredAndReplayed() throws Exception {
        String path = unique("/status402");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).isEqualTo(402);
        assertSameResponse(retry, first);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    // ------------------------------------------------------------ fingerprint

    @Test
    void theSameKeyOnAnotherConcreteTargetOfTheSameRouteIsA422NeverAReplay() throws Exception {
        String id = UUID.randomUUID().toString();
        HttpResponse<byte[]> a = post("/payments/A/refunds", "refund-" + id, "{\"amount\":5}");
        HttpResponse<byte[]> b = post("/payments/B/refunds", "refund-" + id, "{\"amount\":5}");
        assertThat(a.statusCode()).isEqualTo(201);
        assertProblem(b, 422, "idempotency-key-reused", "/payments/B/refunds", "refund-" + id);
    }

    @Test
    void theSameKeyWithAnotherBodyIsA422WithAProblemDocument() throws Exception {
        String path = unique("/payments");
        post(path, "k" + path, "{\"amount\":10}");
        HttpResponse<byte[]> other = post(path, "k" + path, "{\"amount\":11}");
        assertProblem(other, 422, "idempotency-key-reused", path, "k" + path);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void jsonBodiesWithOtherKeyOrderWhitespaceAndNumberSpellingAreTheSamePayload() throws Exception {
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "k" + path, "{\"amount\":1.50,\"currency\":\"EUR\",\"n\":[1,2]}");
        HttpResponse<byte[]> replay = post(path, "k" + path,
                "{ \"n\" : [ 1 , 2.0 ] ,\n \"currency\":\"EUR\", \"amount\": 15e-1 }");
        assertSameResponse(replay, first);
    }

    @Test
    void ignoredJsonFieldsMayChangeBetweenRetries() throws Exception {
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "k" + path, "{\"amount\":1,\"sentAt\":\"10:00\"}");
        HttpResponse<byte[]> replay = post(path, "k" + path, "{\"amount\":1,\"sentAt\":\"10:05\"}");
        assertSameResponse(replay, first);
    }

    @Test
    void invalidJsonIsComparedByBytesAndLeftToTheApplication() throws Exception {
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "k" + path, "{not json");
        HttpResponse<byte[]> replay = post(path, "k" + path, "{not json");
        HttpResponse<byte[]> other = post(path, "k" + path, "{not json!");
        assertThat(first.statusCode()).isEqualTo(201);
        assertSameResponse(replay, first);
        assertThat(other.statusCode()).isEqualTo(422);
    }

    @Test
    void anotherContentTypeIsAnotherPayload() throws Exception {
        String path = unique("/payments");
        post(path, "k" + path, "{}");
        HttpResponse<byte[]> other = send(request(path).header("Idempotency-Key", "k" + path)
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(other.statusCode()).isEqualTo(422);
    }

    @Test
    void formParametersStillReachTheApplication() throws Exception {
        String path = unique("/form") + "?q=search";
        HttpRequest req = request(path).header("Idempotency-Key", "k" + path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("amount=12%2C50")).build();
        HttpResponse<byte[]> first = send(req);
        HttpResponse<byte[]> replay = send(req);
        assertThat(text(first)).isEqualTo("amount=12,50 q=search execution 1");
        assertSameResponse(replay, first);
    }

    @Test
    void multipartPartsStillReachTheApplicationAndARetryReplays() throws Exception {
        String path = unique("/multipart");
        String boundary = "semel-boundary-7";
        String multipart = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
                + "r\u00e9sum\u00e9\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"receipt\"; filename=\"r.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n"
                + "line one\r\nline two\r\n"
                + "--" + boundary + "--\r\n";
        HttpRequest req = request(path).header("Idempotency-Key", "k" + path)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(multipart, StandardCharsets.UTF_8)).build();
        HttpResponse<byte[]> first = send(req);
        HttpResponse<byte[]> replay = send(req);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(text(first)).isEqualTo("note=r\u00e9sum\u00e9;receipt=r.txt:line one\r\nline two;"
                + " note=r\u00e9sum\u00e9 execution 1");
        assertSameResponse(replay, first);
    }

    // ------------------------------------------------------------ failures after the effect

    @Test
    void aHeaderValueWithCrLfOrNulIsStoredAsTheClientGotItAndTheKeyIsNotLeftInProgress() throws Exception {
        String path = unique("/crlf");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(text(first)).isEqualTo("noted 1");
        assertThat(replay.statusCode()).as("the old code left the lease renewing: 409 until the TTL")
                .isEqualTo(201);
        assertSameResponse(replay, first);
        assertThat(replay.headers().firstValue("X-Note").orElseThrow()).doesNotContain("\r", "\n", "\u0000");
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void aHeaderTheApplicationNamedLikeTheFiltersOwnRecordIsReplayedAsAHeader() throws Exception {
        String path = unique("/pseudoheader");
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        HttpResponse<byte[]> replay = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(text(first)).isEqualTo("created 1");
        assertSameResponse(replay, first);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void aFailureAfterTheStatusWasSentKeepsTheKeySoARetryDoesNotRunTheEffectAgain() throws Exception {
        String path = unique("/sentthenthrow");
        try {
            post(path, "k" + path, "{}"); // the client may get a torn response or none at all
        } catch (IOException torn) {
            // as a client whose connection broke
        }
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertThat(app.executions(path)).as("the old code released the key: the retry charged again")
                .isEqualTo(1);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(retry.headers().firstValue("Idempotent-Body-Retained")).contains("false");
        assertThat(retry.body()).isEmpty();
    }

    @Test
    void anAsyncRequestThatTimesOutWhileItsWorkerRunsOnKeepsTheKeySoARetryDoesNotRunItAgain() throws Exception {
        String path = unique("/asynctimeout");
        app.workerDone = new CountDownLatch(1);
        int effectsBefore = app.workerEffects.get();
        HttpResponse<byte[]> first = post(path, "k" + path, "{}"); // the container's timeout answer
        // the worker runs on once the container reported the end, writes and completes too late
        assertThat(app.workerDone.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(app.workerEffects.get() - effectsBefore).isEqualTo(1);

        // the filter stored the answer when the container reported the end, before the worker ran on
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertThat(app.executions(path)).as("the old code released the key: the retry ran the handler again")
                .isEqualTo(1);
        assertThat(retry.statusCode()).as("409: the lease was never ended").isEqualTo(first.statusCode());
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(retry.headers().firstValue("Idempotent-Body-Retained")).contains("false");
    }

    @Test
    void anAsyncRequestWhoseWorkerCompletesWhileTheContainerTimesItOutIsReplayedAsTheClientGotIt() throws Exception {
        String path = unique("/asynctimeoutrace");
        app.workerDone = new CountDownLatch(1);
        int effectsBefore = app.workerEffects.get();
        // the container holds its timeout answer until the worker has written 201 and called complete()
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        assertThat(app.workerDone.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(app.workerEffects.get() - effectsBefore).isEqualTo(1);

        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        // the container reports the end after the client has its answer: poll for it
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (retry.statusCode() == 409 && System.nanoTime() < deadline) {
            Thread.sleep(10);
            retry = post(path, "k" + path, "{}");
        }
        assertThat(app.executions(path)).as("released: the retry ran the handler again").isEqualTo(1);
        assertThat(retry.statusCode())
                .as("the old code stored the worker's 201 from its thread, while Jetty answered 500 (and kept a key"
                        + " in progress for good when Jetty had recycled the response by then)")
                .isEqualTo(first.statusCode());
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(retry.headers().firstValue("Idempotent-Body-Retained")).contains("false");
    }

    // ------------------------------------------------------------ keys

    @Test
    void aRouteThatRequiresAKeyAnswersA400ProblemWithoutOne() throws Exception {
        String path = unique("/required/payments");
        HttpResponse<byte[]> response = post(path, null, "{}");
        assertProblem(response, 400, "idempotency-key-missing", path, null);
        assertThat(app.executions(path)).isZero();
    }

    @Test
    void withoutAKeyAnOptionalRoutePassesThroughEveryTime() throws Exception {
        String path = unique("/payments");
        post(path, null, "{}");
        HttpResponse<byte[]> second = post(path, null, "{}");
        assertThat(text(second)).contains("\"execution\":2");
        assertThat(replayed(second)).isFalse();
    }

    @Test
    void malformedKeysAreA400Problem() throws Exception {
        String path = unique("/payments");
        for (String key : List.of("a, b", "\"unterminated", "x".repeat(256), "\"\"")) {
            HttpResponse<byte[]> response = post(path, key, "{}");
            assertProblem(response, 400, "idempotency-key-malformed", path, null);
        }
        HttpResponse<byte[]> twice = send(request(path).header("Idempotency-Key", "a").header("Idempotency-Key", "b")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertProblem(twice, 400, "idempotency-key-malformed", path, null);
        assertThat(app.executions(path)).isZero();
    }

    @Test
    void getAndHeadPassThroughUntouchedEvenWithAKey() throws Exception {
        String path = unique("/plain");
        HttpResponse<byte[]> get1 = send(request(path).header("Idempotency-Key", "k").GET().build());
        HttpResponse<byte[]> get2 = send(request(path).header("Idempotency-Key", "k").GET().build());
        HttpResponse<byte[]> head = send(request(path).header("Idempotency-Key", "k")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(text(get2)).isEqualTo("GET " + path + " execution 2");
        assertThat(replayed(get1) || replayed(get2) || replayed(head)).isFalse();
        assertThat(app.executions(path)).isEqualTo(3);
    }

    @Test
    void aRequestBodyOverTheLimitIsA413WithoutRunningTheHandler() throws Exception {
        String path = unique("/payments");
        String big = "\"" + "x".repeat(IdempotencyFilter.DEFAULT_MAX_BODY_BYTES) + "\"";
        // the declared length alone decides: the filter answers before a byte of the body is sent
        // (a raw connection, so no client races the early answer with a megabyte upload)
        String raw = rawPost(path, "k" + path, IdempotencyFilter.DEFAULT_MAX_BODY_BYTES + 1);
        assertThat(raw).startsWith("HTTP/1.1 413 ").contains("application/problem+json")
                .contains("\"type\":\"https://semel.dev/problems/request-too-large\"");
        HttpResponse<byte[]> chunked = send(request(path).header("Idempotency-Key", "k" + path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build());
        assertProblem(chunked, 413, "request-too-large", path, "k" + path);
        assertThat(app.executions(path)).isZero();
    }

    /** Sends only the head of a POST that declares {@code contentLength} bytes, and reads the answer. */
    private String rawPost(String path, String key, long contentLength) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nAuthorization: Bearer contract-client\r\n"
                    + "Idempotency-Key: " + key + "\r\n"
                    + "Content-Length: " + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[4096];
            int n;
            // the answer is a few hundred bytes and ends with the problem document
            while (!answer.toString().endsWith("}") && (n = in.read(buffer)) != -1) {
                answer.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            return answer.toString();
        }
    }

    // ------------------------------------------------------------ scope

    @Test
    void theSameKeyFromTwoPrincipalsOrTwoCredentialsRunsTwiceAndNoCredentialIsRefused() throws Exception {
        String path = unique("/payments");
        String key = "k" + path;
        HttpResponse<byte[]> alice = send(request(path).header("X-User", "alice").header("Idempotency-Key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<byte[]> bob = send(request(path).header("X-User", "bob").header("Idempotency-Key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<byte[]> client1 = send(requestWithoutCredentials(path).header("Authorization", "Bearer one")
                .header("Idempotency-Key", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<byte[]> client2 = send(requestWithoutCredentials(path).header("Authorization", "Bearer two")
                .header("Idempotency-Key", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<byte[]> client1Retry = send(requestWithoutCredentials(path).header("Authorization", "Bearer one")
                .header("Idempotency-Key", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<byte[]> nobody = send(requestWithoutCredentials(path).header("Idempotency-Key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());

        assertThat(replayed(alice) || replayed(bob) || replayed(client1) || replayed(client2)).isFalse();
        assertSameResponse(client1Retry, client1);
        assertProblem(nobody, 400, "credentials-required", path, key);
        assertThat(app.executions(path)).isEqualTo(4);
    }

    @Test
    void theSameKeyOnTwoRoutesRunsOnEach() throws Exception {
        String key = "shared-" + UUID.randomUUID();
        String one = unique("/payments");
        String two = unique("/orders");
        assertThat(replayed(post(one, key, "{}"))).isFalse();
        HttpResponse<byte[]> other = post(two, key, "{}");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(replayed(other)).isFalse();
        assertThat(app.executions(two)).isEqualTo(1);
    }

    // ------------------------------------------------------------ concurrency

    /** A first request whose handler is running and held until {@link #release()}. */
    final class Held implements AutoCloseable {
        final CountDownLatch gate = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        final Future<HttpResponse<byte[]>> first;

        Held(String path) throws InterruptedException {
            app.slowGate = gate;
            app.slowEntered = new CountDownLatch(1);
            first = pool.submit(() -> post(path, "k" + path, "{}"));
            app.slowEntered.await();
        }

        void release() {
            gate.countDown();
        }

        @Override
        public void close() {
            gate.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aRetryWhileTheFirstRequestRunsIsA409WithRetryAfter() throws Exception {
        String path = unique("/slow");
        try (Held held = new Held(path)) {
            HttpResponse<byte[]> conflict = post(path, "k" + path, "{}");
            held.release();
            assertProblem(conflict, 409, "request-in-progress", path, "k" + path);
            // short: a client retries soon and gets the replay, not at the end of the lease (30 s)
            assertThat(conflict.headers().firstValue("Retry-After")).contains("1");
            HttpResponse<byte[]> first = held.first.get(); // once the client has it, it is stored
            assertSameResponse(post(path, "k" + path, "{}"), first);
        }
    }

    @Test
    void underTheWaitPolicyARetryWaitsForTheFirstRequestAndGetsItsResponse() throws Exception {
        String path = unique("/waiting/slow");
        try (Held held = new Held(path)) {
            int claimsBefore = store.claims.get();
            Future<HttpResponse<byte[]>> waiting = held.pool.submit(() -> post(path, "k" + path, "{}"));
            while (store.claims.get() == claimsBefore) { // the duplicate has been told "in progress"
                Thread.onSpinWait();
            }
            held.release();
            assertSameResponse(waiting.get(), held.first.get());
            assertThat(app.executions(path)).isEqualTo(1);
        }
    }

    @Test
    void underTheWaitPolicyARetryThatOutwaitsTheBoundGetsA409() throws Exception {
        String path = unique("/briefwait/slow");
        try (Held held = new Held(path)) {
            HttpResponse<byte[]> conflict = post(path, "k" + path, "{}"); // the gate stays shut meanwhile
            held.release();
            assertProblem(conflict, 409, "request-in-progress", path, "k" + path);
            assertThat(held.first.get().statusCode()).isEqualTo(200);
            assertThat(app.executions(path)).isEqualTo(1);
        }
    }

    @Test
    void fiftyConcurrentRequestsWithOneKeyRunTheHandlerOnceAndEveryOtherGetsA409OrTheReplay() throws Exception {
        String path = unique("/payments");
        int n = 50;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return post(path, "k" + path, "{\"amount\":1}");
                }));
            }
            ready.await();
            go.countDown();
            int executed = 0;
            for (Future<HttpResponse<byte[]>> f : futures) {
                HttpResponse<byte[]> r = f.get();
                if (r.statusCode() == 409) {
                    assertProblem(r, 409, "request-in-progress", path, "k" + path);
                } else {
                    assertThat(r.statusCode()).isEqualTo(201);
                    assertThat(text(r)).contains("\"execution\":1");
                    if (!replayed(r)) {
                        executed++;
                    }
                }
            }
            assertThat(executed).isEqualTo(1);
            assertThat(app.executions(path)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------ store failure

    @Test
    void anUnavailableStoreIsA503WithRetryAfterAndTheHandlerDoesNotRun() throws Exception {
        String path = unique("/payments");
        store.failing.set(true);
        HttpResponse<byte[]> response = post(path, "k" + path, "{}");
        assertProblem(response, 503, "store-unavailable", path, "k" + path);
        assertThat(response.headers().firstValue("Retry-After")).contains("1");
        assertThat(text(response)).doesNotContain("Exception").doesNotContain("at dev.");
        assertThat(app.executions(path)).isZero();
    }

    @Test
    void aRawDriverExceptionFromTheStoreIsA503WithRetryAfterAndTheHandlerDoesNotRun() throws Exception {
        String path = unique("/payments");
        store.claimFailure.set(new java.io.UncheckedIOException("Connection reset by peer",
                new java.net.SocketException("Connection reset by peer")));
        HttpResponse<byte[]> response = post(path, "k" + path, "{}");
        assertProblem(response, 503, "store-unavailable", path, "k" + path);
        assertThat(response.headers().firstValue("Retry-After")).contains("1");
        assertThat(text(response)).doesNotContain("Exception").doesNotContain("Connection reset");
        assertThat(app.executions(path)).isZero();
    }

    @Test
    void aStoreThatCannotKeepTheResponseLetsTheHandlerRunOnceAndHoldsTheKey() throws Exception {
        String path = unique("/payments");
        store.completeFailure.set(new IllegalStateException("Connection pool shut down"));
        HttpResponse<byte[]> first = post(path, "k" + path, "{}");
        assertThat(first.statusCode()).as("the handler's answer still reaches the caller").isEqualTo(201);
        assertThat(text(first)).contains("\"execution\":1");
        store.completeFailure.set(null);
        HttpResponse<byte[]> retry = post(path, "k" + path, "{}");
        assertProblem(retry, 409, "request-in-progress", path, "k" + path);
        assertThat(retry.headers().firstValue("Retry-After")).isPresent();
        assertThat(app.executions(path)).as("not released after it ran: never run twice").isEqualTo(1);
    }

    // ------------------------------------------------------------ support

    static void assertProblem(HttpResponse<byte[]> response, int status, String type, String instance, String key) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        String body = text(response);
        assertThat(body).contains("\"type\":\"https://semel.dev/problems/" + type + "\"")
                .contains("\"status\":" + status).contains("\"title\":\"").contains("\"detail\":\"")
                .contains("\"instance\":\"" + instance.replaceAll("\\?.*", "") + "\"");
        if (key != null) {
            assertThat(body).contains("\"idempotencyKey\":\"" + key + "\"");
        }
        assertThat(replayed(response)).isFalse();
    }

    /** The in-memory store, with a switch that makes it unreachable, a count of claims and slow completes. */
    static final class SwitchableStore extends ForwardingIdempotencyStore {
        final AtomicBoolean failing = new AtomicBoolean();
        /** Thrown as is by claim (a store that does not wrap its driver's exceptions). */
        final java.util.concurrent.atomic.AtomicReference<RuntimeException> claimFailure =
                new java.util.concurrent.atomic.AtomicReference<>();
        /** Thrown as is by complete, after the handler ran. */
        final java.util.concurrent.atomic.AtomicReference<RuntimeException> completeFailure =
                new java.util.concurrent.atomic.AtomicReference<>();
        final AtomicInteger claims = new AtomicInteger();
        /** Latency of a store across a network; makes a response sent before its record is stored visible. */
        final AtomicLong completeLatencyMillis = new AtomicLong();

        SwitchableStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            if (failing.get()) {
                throw new IdempotencyStoreException("connection refused", null);
            }
            RuntimeException raw = claimFailure.get();
            if (raw != null) {
                throw raw;
            }
            ClaimResult result = super.claim(request);
            claims.incrementAndGet();
            return result;
        }

        @Override
        public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt,
                Instant now) {
            RuntimeException raw = completeFailure.get();
            if (raw != null) {
                throw raw;
            }
            long latency = completeLatencyMillis.get();
            if (latency > 0) {
                try {
                    Thread.sleep(latency);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.complete(recordId, token, response, expiresAt, now);
        }
    }

    /** Stands in for authentication: the X-User header becomes the principal. */
    static final class FakeLogin implements Filter {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest http = (HttpServletRequest) request;
            String user = http.getHeader("X-User");
            if (user == null) {
                chain.doFilter(request, response);
                return;
            }
            chain.doFilter(new HttpServletRequestWrapper(http) {
                @Override
                public Principal getUserPrincipal() {
                    return () -> user;
                }
            }, response);
        }
    }
}
