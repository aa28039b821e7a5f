package dev.semel.http.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.http.IdempotencyProblem;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The HTTP behaviour table of docs/http.md as one black-box contract: every HTTP adapter (the
 * Servlet filter on Tomcat and Jetty, the WebFlux filter on Netty, the gateway in front of an
 * upstream) runs it, and an adapter that fails a row fails the build. It talks HTTP to
 * 127.0.0.1 and judges only what a client observes, plus how often the application ran.
 *
 * <pre>{@code
 * class MyAdapterHttpContractTest extends HttpBehaviourContract {
 *     protected Server start(Idempotency engine, ContractApp app) throws Exception {
 *         // put the adapter, configured as start() says, in front of app.handle(...)
 *     }
 * }
 * }</pre>
 */
public abstract class HttpBehaviourContract {
    /** The request body limit the adapter under test must be configured with. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The credential every request of the contract carries, unless a row says otherwise. */
    public static final String CREDENTIAL = "Bearer contract-alice";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final String BODY = "{\"amount\":1250,\"currency\":\"EUR\"}";

    /** A running adapter in front of the contract's application. */
    public interface Server {
        /** @return where it listens, e.g. {@code http://127.0.0.1:41234} */
        URI base();

        /**
         * Stops the adapter and its server.
         *
         * @throws Exception if stopping fails
         */
        void stop() throws Exception;
    }

    /** The application behind the adapter, fresh for each test. */
    protected ContractApp app;
    /** The store of the engine the adapter uses: in memory unless {@link #createStore()} says otherwise. */
    private Switchable store;
    private Idempotency engine;
    private Server server;

    /**
     * Starts the adapter under test in front of {@code app}, on 127.0.0.1 and a free port.
     * Configure it as an application would for this table:
     * <ul>
     *   <li>the engine {@code engine} (its store fails on demand for the 503 row);
     *   <li>{@code POST} and {@code PATCH} protected on every path, the key optional, and on
     *       {@code /required/**} the key required; {@code GET} never protected;
     *   <li>the {@code Idempotency-Key} header; callers told apart by the {@code Authorization}
     *       header, anonymous callers refused; the default JSON body normalizer;
     *   <li>a request body limit of {@link #MAX_BODY_BYTES};
     *   <li>every request and its body passed to {@link ContractApp#handle}, and its answer
     *       written back as it is (status, headers, body); a {@link ContractApp.Failure} answered
     *       as the server answers any failure of a handler (a 5xx, or a closed connection).
     * </ul>
     *
     * @param engine the engine
     * @param app the application
     * @return the running adapter
     * @throws Exception if it cannot start
     */
    protected abstract Server start(Idempotency engine, ContractApp app) throws Exception;

    /**
     * The store under the engine. Default: a fresh in-memory store.
     *
     * @return a store
     * @throws Exception if it cannot be made
     */
    protected IdempotencyStore createStore() throws Exception {
        return new InMemoryIdempotencyStore();
    }

    /**
     * Disposes of a store from {@link #createStore()} after a test. Default: nothing.
     *
     * @param store the store
     * @throws Exception if cleanup fails
     */
    protected void disposeStore(IdempotencyStore store) throws Exception {
    }

    @BeforeEach
    void startAdapter() throws Exception {
        app = new ContractApp();
        store = new Switchable(createStore());
        engine = Idempotency.create(store, IdempotencyConfig.ofDefaults());
        server = start(engine, app);
    }

    @AfterEach
    void stopAdapter() throws Exception {
        app.release();
        try {
            server.stop();
        } finally {
            engine.close();
            disposeStore(store.delegate());
        }
    }

    // ------------------------------------------------------------------ rows

    @Test
    void aFirstRequestRunsAndARetryReplaysItByteForByte() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> first = post("/payments", BODY, key);
        HttpResponse<byte[]> retry = post("/payments", BODY, key);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
        assertThat(retry.headers().firstValue("X-Execution")).contains("1");
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(app.executions()).isEqualTo(1);
    }

    @Test
    void theSameJsonWrittenDifferentlyIsTheSameRequest() throws Exception {
        String key = newKey();
        post("/payments", "{\"amount\":1250,\"currency\":\"EUR\"}", key);
        HttpResponse<byte[]> retry = post("/payments", "{ \"currency\" : \"EUR\", \"amount\" : 1250 }", key);

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(app.executions()).isEqualTo(1);
    }

    @Test
    void theSameKeyWithAnotherBodyOrQueryIs422() throws Exception {
        String key = newKey();
        post("/payments", BODY, key);

        assertProblem(post("/payments", "{\"amount\":9999,\"currency\":\"EUR\"}", key), IdempotencyProblem.KEY_REUSED,
                key);
        // (another path is another operation, a scope of its own, where the route is the path)
        assertProblem(post("/payments?currency=USD", BODY, key), IdempotencyProblem.KEY_REUSED, key);
        assertThat(app.executions()).isEqualTo(1);
    }

    @Test
    void aKeyIsTheCallersOwn() throws Exception {
        String key = newKey();
        post("/payments", BODY, key);
        HttpResponse<byte[]> bob = send("POST", "/payments", BODY, "Idempotency-Key", key,
                "Authorization", "Bearer contract-bob");

        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(app.executions()).isEqualTo(2);
    }

    @Test
    void withoutAKeyARequestRunsUnprotectedUnlessTheRouteRequiresOne() throws Exception {
        post("/payments", BODY, null);
        post("/payments", BODY, null);
        assertThat(app.executions()).isEqualTo(2);

        assertProblem(post("/required/payments", BODY, null), IdempotencyProblem.KEY_MISSING, null);
        assertThat(app.executions()).isEqualTo(2);
        assertThat(post("/required/payments", BODY, newKey()).statusCode()).isEqualTo(201);
    }

    @Test
    void aMalformedKeyIs400() throws Exception {
        assertProblem(post("/payments", BODY, "k".repeat(256)), IdempotencyProblem.KEY_MALFORMED, null);
        assertProblem(post("/payments", BODY, ""), IdempotencyProblem.KEY_MALFORMED, null);
        assertThat(app.executions()).isZero();
    }

    @Test
    void aKeyedRequestWithoutCredentialsIs400() throws Exception {
        HttpResponse<byte[]> anonymous = send("POST", "/payments", BODY, "Idempotency-Key", newKey());
        assertProblem(anonymous, IdempotencyProblem.CREDENTIALS_REQUIRED, null);
        assertThat(app.executions()).isZero();
    }

    @Test
    void aKeyedBodyOverTheLimitIs413AndNeverReachesTheApplication() throws Exception {
        String big = "{\"pad\":\"" + "x".repeat(MAX_BODY_BYTES) + "\"}";
        assertProblem(post("/payments", big, newKey()), IdempotencyProblem.REQUEST_TOO_LARGE, null);
        assertThat(app.executions()).isZero();
    }

    @Test
    @Timeout(60)
    void aRefusedRequestsAnswerReachesAClientStillSendingItsBody() throws Exception {
        // a server that answers without reading the body and closes the connection makes the
        // kernel reset it while the client still sends: the client loses the answer (Jetty did)
        String big = "{\"pad\":\"" + "x".repeat(MAX_BODY_BYTES) + "\"}";
        int served = refusedThenNextServed(newKey(), CREDENTIAL, big, "HTTP/1.1 413");
        // refused before its body is read (no credential)
        served += refusedThenNextServed(newKey(), null, big.substring(0, MAX_BODY_BYTES / 2) + "\"}", "HTTP/1.1 400");
        try (Socket socket = rawSocket()) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            // declared far past the limit and never sent: answered without waiting for it
            String head = rawHead(newKey(), CREDENTIAL, 8 * 1024 * 1024);
            assertThat(RawHttp.exchange(socket, in, head)).startsWith("HTTP/1.1 413");
        }
        assertThat(app.executions()).isEqualTo(served);
    }

    /**
     * The answer arrives whole; if the server keeps the connection, it serves the next request.
     *
     * @return how many requests reached the application (that next one, or none)
     */
    private int refusedThenNextServed(String key, String credential, String body, String status)
            throws Exception {
        try (Socket socket = rawSocket()) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            // half the body, a pause (time for a server to answer and close), then the rest
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(rawHead(key, credential, bytes.length).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(bytes, 0, bytes.length / 2);
            socket.getOutputStream().flush();
            Thread.sleep(300);
            String rest = new String(bytes, bytes.length / 2, bytes.length - bytes.length / 2, StandardCharsets.UTF_8);
            String answer = RawHttp.exchange(socket, in, rest);
            assertThat(answer).startsWith(status).contains("\"status\":" + status.substring(9));
            if (!answer.toLowerCase(Locale.ROOT).contains("connection: close")) {
                assertThat(rawPost(socket, in, newKey(), CREDENTIAL, BODY)).startsWith("HTTP/1.1 201");
                return 1;
            }
            return 0;
        }
    }

    @Test
    void aKeyedJsonBodyNestedTooDeeplyIs400() throws Exception {
        String deep = "[".repeat(150) + "]".repeat(150);
        assertProblem(post("/payments", deep, newKey()), IdempotencyProblem.JSON_TOO_DEEP, null);
        assertThat(app.executions()).isZero();
    }

    @Test
    @Timeout(60)
    void aRetryWhileTheFirstRunsIs409WithRetryAfterThenReplaysTheOutcome() throws Exception {
        String key = newKey();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<HttpResponse<byte[]>> first = pool.submit(() -> post("/held/payments", BODY, key));
            assertThat(app.awaitHeld()).as("the first request reached the application").isTrue();

            HttpResponse<byte[]> duplicate = post("/held/payments", BODY, key);
            assertProblem(duplicate, IdempotencyProblem.IN_PROGRESS, key);
            assertThat(duplicate.headers().firstValue("Retry-After")).hasValueSatisfying(
                    v -> assertThat(Integer.parseInt(v)).isPositive());

            app.release();
            assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
            HttpResponse<byte[]> retry = post("/held/payments", BODY, key);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
            assertThat(app.executions()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aServerErrorIsNotKeptSoTheRetryRunsAgain() throws Exception {
        String key = newKey();
        assertThat(post("/status/503", BODY, key).statusCode()).isEqualTo(503);
        HttpResponse<byte[]> retry = post("/status/503", BODY, key);
        assertThat(retry.statusCode()).isEqualTo(503);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(app.executions()).isEqualTo(2);
    }

    @Test
    void aClientErrorIsKeptAndReplayed() throws Exception {
        String key = newKey();
        assertThat(post("/status/402", BODY, key).statusCode()).isEqualTo(402);
        HttpResponse<byte[]> retry = post("/status/402", BODY, key);
        assertThat(retry.statusCode()).isEqualTo(402);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(app.executions()).isEqualTo(1);
    }

    @Test
    void aFailingHandlerReleasesTheKeySoTheRetryRunsAgain() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> failed = postAllowingReset("/boom", BODY, key);
        assertThat(failed == null || failed.statusCode() >= 500).as("a 5xx or a closed connection").isTrue();
        HttpResponse<byte[]> retry = postAllowingReset("/boom", BODY, key);
        assertThat(retry == null || retry.statusCode() >= 500).isTrue();
        assertThat(retry == null ? null : retry.headers().firstValue("Idempotent-Replayed").orElse(null)).isNull();
        assertThat(app.executions("/boom")).as("the retry ran again").isEqualTo(2);
    }

    @Test
    void getRequestsPassThroughUntouched() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> first = send("GET", "/payments", null, "Idempotency-Key", key, "Authorization", CREDENTIAL);
        HttpResponse<byte[]> second = send("GET", "/payments", null, "Idempotency-Key", key, "Authorization",
                CREDENTIAL);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }

    @Test
    void patchIsProtectedAsPostIs() throws Exception {
        String key = newKey();
        send("PATCH", "/payments/pay_1", BODY, "Idempotency-Key", key, "Authorization", CREDENTIAL);
        HttpResponse<byte[]> retry = send("PATCH", "/payments/pay_1", BODY, "Idempotency-Key", key, "Authorization",
                CREDENTIAL);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(app.executions()).isEqualTo(1);
    }

    @Test
    void whenTheStoreIsDownAKeyedRequestIs503WithRetryAfterAndNeverRuns() throws Exception {
        store.down = true;
        HttpResponse<byte[]> refused = post("/payments", BODY, newKey());
        assertProblem(refused, IdempotencyProblem.STORE_UNAVAILABLE, null);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(app.executions()).isZero();

        store.down = false;
        assertThat(post("/payments", BODY, newKey()).statusCode()).isEqualTo(201);
    }

    @Test
    @Timeout(120)
    void duplicatesReleasedTogetherRunTheApplicationOnce() throws Exception {
        int callers = 16;
        String key = newKey();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch ready = new CountDownLatch(callers);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                answers.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return post("/payments", BODY, key);
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            for (Future<HttpResponse<byte[]>> answer : answers) {
                int status = answer.get(60, TimeUnit.SECONDS).statusCode();
                assertThat(status).as("a run, a replay or a 409").isIn(201, 409);
            }
            assertThat(app.executions()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ plumbing

    private static String newKey() {
        return "contract-" + UUID.randomUUID();
    }

    private HttpResponse<byte[]> post(String path, String body, String key) throws Exception {
        return key == null
                ? send("POST", path, body, "Authorization", CREDENTIAL)
                : send("POST", path, body, "Idempotency-Key", key, "Authorization", CREDENTIAL);
    }

    /** A POST whose connection the server may close instead of answering: then {@code null}. */
    private HttpResponse<byte[]> postAllowingReset(String path, String body, String key) throws Exception {
        try {
            return post(path, body, key);
        } catch (java.io.IOException closed) {
            return null;
        }
    }

    /**
     * Sends a request to the adapter.
     *
     * @param method the method
     * @param path the path
     * @param body the JSON body, or {@code null} for none
     * @param headers header names and values, alternating
     * @return the response
     * @throws Exception if it cannot be sent
     */
    protected final HttpResponse<byte[]> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.base().resolve(path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private Socket rawSocket() throws Exception {
        Socket socket = new Socket(server.base().getHost(), server.base().getPort());
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static String rawPost(Socket socket, InputStream in, String key, String credential, String body)
            throws Exception {
        int length = body.getBytes(StandardCharsets.UTF_8).length;
        return RawHttp.exchange(socket, in, rawHead(key, credential, length) + body);
    }

    private static String rawHead(String key, String credential, long contentLength) {
        return "POST /payments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (credential == null ? "" : "Authorization: " + credential + "\r\n")
                + "Idempotency-Key: " + key + "\r\nContent-Type: application/json\r\nContent-Length: "
                + contentLength + "\r\n\r\n";
    }

    private static void assertProblem(HttpResponse<byte[]> response, IdempotencyProblem problem, String key) {
        assertThat(response.statusCode()).as("status of " + problem).isEqualTo(problem.status());
        assertThat(response.headers().firstValue("Content-Type")).as("content type of " + problem)
                .hasValueSatisfying(v -> assertThat(v).startsWith(IdempotencyProblem.MEDIA_TYPE));
        Map<String, String> fields = fields(response.body());
        assertThat(fields.get("type")).isEqualTo(problem.type().toString());
        assertThat(fields.get("status")).isEqualTo(Integer.toString(problem.status()));
        if (key != null) {
            assertThat(fields.get("idempotencyKey")).isEqualTo(key);
        }
    }

    /** The top-level scalar members of a JSON object, as text. */
    private static Map<String, String> fields(byte[] json) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value.isScalarValue()) {
                    fields.put(name, p.getString());
                } else {
                    p.skipChildren();
                }
            }
        }
        return fields;
    }

    /** A store that fails every claim while {@link #down}, as an unreachable store does. */
    private static final class Switchable extends ForwardingIdempotencyStore {
        volatile boolean down;

        Switchable(IdempotencyStore delegate) {
            super(delegate);
        }

        @Override
        protected IdempotencyStore delegate() {
            return super.delegate();
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            if (down) {
                throw new IdempotencyStoreException("the contract switched the store off", null);
            }
            return super.claim(request);
        }

        @Override
        public java.util.concurrent.CompletionStage<ClaimResult> claimAsync(ClaimRequest request,
                java.util.concurrent.Executor blocking) {
            if (down) {
                return java.util.concurrent.CompletableFuture.failedFuture(
                        new IdempotencyStoreException("the contract switched the store off", null));
            }
            return delegate().claimAsync(request, blocking);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> completeAsync(String recordId, long token,
                dev.semel.spi.StoredResponse response, java.time.Instant expiresAt, java.time.Instant now,
                java.util.concurrent.Executor blocking) {
            return delegate().completeAsync(recordId, token, response, expiresAt, now, blocking);
        }

        @Override
        public java.util.concurrent.CompletionStage<Boolean> releaseAsync(String recordId, long token,
                java.util.concurrent.Executor blocking) {
            return delegate().releaseAsync(recordId, token, blocking);
        }
    }
}
