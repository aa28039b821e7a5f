package dev.semel.servlet;

import static dev.semel.servlet.IdempotencyFilterContract.assertProblem;
import static dev.semel.servlet.IdempotencyFilterContract.assertSameResponse;
import static dev.semel.servlet.IdempotencyFilterContract.replayed;
import static dev.semel.servlet.IdempotencyFilterContract.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The filter's defaults against hostile input and between callers (issue 14), observed over
 * HTTP on embedded Jetty: who shares a stored response, what is protected without
 * configuration, what a fingerprint tells apart, what is never stored, and the JSON limits.
 */
class SafeDefaultsTest {
    private final TestApp app = new TestApp();
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<EmbeddedServer> servers = new ArrayList<>();
    private final List<Idempotency> engines = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (EmbeddedServer server : servers) {
            server.stop();
        }
        for (Idempotency engine : engines) {
            engine.close();
        }
    }

    private IdempotencyFilter.Builder filter(IdempotencyStore store) {
        Idempotency engine = Idempotency.create(store);
        engines.add(engine);
        return IdempotencyFilter.builder(engine);
    }

    private EmbeddedServer start(IdempotencyFilter.Builder filter) throws Exception {
        EmbeddedServer server = EmbeddedServer.jetty(List.of(filter.build()), app);
        servers.add(server);
        return server;
    }

    /** A POST with a body and headers given as name, value pairs (Content-Type JSON unless given). */
    private HttpResponse<byte[]> post(EmbeddedServer server, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        boolean typed = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            typed |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (!typed) {
            b.header("Content-Type", "application/json");
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    // ------------------------------------------------------------ callers

    @Test
    void twoAnonymousClientsWithTheSameKeyAndBodyNeverSeeEachOthersResponse() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**"));
        String path = unique("/payments");
        HttpResponse<byte[]> alice = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Basic YTph");
        HttpResponse<byte[]> mallory = post(server, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "Basic bTpt");
        HttpResponse<byte[]> aliceRetry = post(server, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "Basic YTph");

        assertThat(replayed(mallory)).as("another credential is another caller").isFalse();
        assertSameResponse(aliceRetry, alice);
        assertThat(app.executions(path)).isEqualTo(2);
    }

    @Test
    void aKeyedRequestWithoutAnyCredentialIsRefusedWithAProblemAndNeverRuns() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**"));
        String path = unique("/payments");
        HttpResponse<byte[]> anonymous = post(server, path, "{}", "Idempotency-Key", "k1");
        HttpResponse<byte[]> emptyCredential = post(server, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "");
        HttpResponse<byte[]> unkeyed = post(server, path, "{}");

        assertProblem(anonymous, 400, "credentials-required", path, "k1");
        assertProblem(emptyCredential, 400, "credentials-required", path, "k1");
        assertThat(unkeyed.statusCode()).as("a request without a key is not the filter's business").isEqualTo(201);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void anonymousCallersShareOneScopeOnlyWhenTheApplicationOptsIn() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**").allowAnonymous(true));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(server, path, "{}", "Idempotency-Key", "k1");
        HttpResponse<byte[]> second = post(server, path, "{}", "Idempotency-Key", "k1");
        assertSameResponse(second, first);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    @Test
    void configuredApiKeyHeadersScopeCallersAndInstancesWithOneSecretAgree() throws Exception {
        IdempotencyStore shared = new InMemoryIdempotencyStore();
        byte[] secret = "0123456789abcdef-shared-secret".getBytes(StandardCharsets.US_ASCII);
        EmbeddedServer one = start(filter(shared).route("/**").credentialHeaders("X-Api-Key").callerSecret(secret));
        EmbeddedServer two = start(filter(shared).route("/**").credentialHeaders("X-Api-Key").callerSecret(secret));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(one, path, "{}", "Idempotency-Key", "k1", "X-Api-Key", "key-a");
        HttpResponse<byte[]> retryElsewhere = post(two, path, "{}", "Idempotency-Key", "k1", "X-Api-Key", "key-a");
        HttpResponse<byte[]> otherKey = post(two, path, "{}", "Idempotency-Key", "k1", "X-Api-Key", "key-b");
        HttpResponse<byte[]> authorizationOnly = post(one, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "Bearer t");

        assertSameResponse(retryElsewhere, first);
        assertThat(replayed(otherKey)).isFalse();
        assertProblem(authorizationOnly, 400, "credentials-required", path, "k1");
        assertThat(app.executions(path)).isEqualTo(2);
    }

    @Test
    void instancesWithoutASecretAgreeButTwoSecretsMakeTwoCallers() throws Exception {
        IdempotencyStore shared = new InMemoryIdempotencyStore();
        EmbeddedServer one = start(filter(shared).route("/**"));
        EmbeddedServer two = start(filter(shared).route("/**"));
        EmbeddedServer otherSecret = start(filter(shared).route("/**")
                .callerSecret("another-secret-of-16-bytes".getBytes(StandardCharsets.US_ASCII)));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(one, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> retry = post(two, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> keyed = post(otherSecret, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "Bearer t");
        assertSameResponse(retry, first);
        assertThat(replayed(keyed)).isFalse();
    }

    // ------------------------------------------------------------ what is protected

    @Test
    void aFilterThatProtectsOnlyMarkedRequestsLeavesEverythingElseAlone() throws Exception {
        RouteResolver marksOnePath = new RouteResolver() {
            @Override
            public String routeTemplate(HttpServletRequest request) {
                return request.getRequestURI();
            }

            @Override
            public IdempotentRoute route(HttpServletRequest request, IdempotentRoute configured) {
                return request.getRequestURI().startsWith("/marked") ? IdempotentRoute.DEFAULTS : configured;
            }
        };
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).onlyMarked().routeResolver(marksOnePath));
        String unmarked = unique("/payments");
        post(server, unmarked, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> again = post(server, unmarked, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        String marked = unique("/marked");
        HttpResponse<byte[]> first = post(server, marked, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> retry = post(server, marked, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");

        assertThat(replayed(again)).isFalse();
        assertThat(app.executions(unmarked)).as("not marked: runs every time").isEqualTo(2);
        assertSameResponse(retry, first);
        assertThat(app.executions(marked)).isEqualTo(1);
    }

    // ------------------------------------------------------------ fingerprints

    @Test
    void invalidJsonIsNeverTakenForTheCanonicalFormOfValidJson() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**"));
        String path = unique("/payments");
        // the canonical form of {} is the two bytes "{."; sent as a body, those bytes are invalid JSON
        HttpResponse<byte[]> first = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> other = post(server, path, "{.", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        assertThat(first.statusCode()).isEqualTo(201);
        assertProblem(other, 422, "idempotency-key-reused", path, "k1");
    }

    @Test
    void headerValuesAreComparedExactlyAndOnlyMediaTypesLoosely() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**")
                .fingerprintHeaders("Content-Type", "X-Account"));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t",
                "Content-Type", "application/json; charset=UTF-8", "X-Account", "Acme Corp");
        HttpResponse<byte[]> sameMediaType = post(server, path, "{}", "Idempotency-Key", "k1",
                "Authorization", "Bearer t", "Content-Type", "Application/JSON;charset=utf-8", "X-Account", "Acme Corp");
        HttpResponse<byte[]> otherCase = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t",
                "Content-Type", "application/json; charset=UTF-8", "X-Account", "acme corp");
        HttpResponse<byte[]> noSpace = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t",
                "Content-Type", "application/json; charset=UTF-8", "X-Account", "AcmeCorp");

        assertSameResponse(sameMediaType, first);
        assertProblem(otherCase, 422, "idempotency-key-reused", path, "k1");
        assertProblem(noSpace, 422, "idempotency-key-reused", path, "k1");
    }

    // ------------------------------------------------------------ what is stored

    @Test
    void aReplayNeverCarriesAuthorizationOrCookiesAndTheRecordHasNone() throws Exception {
        RecordingStore store = new RecordingStore();
        EmbeddedServer server = start(filter(store).route("/**"));
        String path = unique("/credentials");
        HttpResponse<byte[]> first = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> replay = post(server, path, "{}", "Idempotency-Key", "k1", "Authorization", "Bearer t");

        assertThat(first.headers().firstValue("Authorization")).as("the application did send it").isPresent();
        assertThat(first.headers().firstValue("Set-Cookie")).isPresent();
        assertThat(replayed(replay)).isTrue();
        assertThat(replay.headers().firstValue("X-Kept")).isEqualTo(first.headers().firstValue("X-Kept"));
        assertThat(replay.headers().map().keySet()).map(String::toLowerCase)
                .doesNotContain("authorization", "set-cookie", "proxy-authenticate");
        assertThat(store.completed).hasSize(1);
        assertThat(store.completed.get(0).headers()).extracting(h -> h.name().toLowerCase())
                .contains("x-kept").doesNotContain("authorization", "set-cookie", "proxy-authenticate");
        assertThat(store.completed.get(0).headers()).extracting(StoredResponse.Header::value)
                .noneMatch(v -> v.contains("issued-") || v.contains("session="));
    }

    // ------------------------------------------------------------ JSON limits

    @Test
    void jsonBodiesBeyondTheLimitsAreRefusedWithProblemsBeforeTheHandlerRuns() throws Exception {
        EmbeddedServer server = start(filter(new InMemoryIdempotencyStore()).route("/**"));
        String path = unique("/payments");
        HttpResponse<byte[]> deep = post(server, path, "[".repeat(100_000) + "]".repeat(100_000),
                "Idempotency-Key", "k1", "Authorization", "Bearer t");
        HttpResponse<byte[]> longNumber = post(server, path, "{\"amount\":" + "9".repeat(5000) + "}",
                "Idempotency-Key", "k2", "Authorization", "Bearer t");
        HttpResponse<byte[]> unkeyedDeep = post(server, path, "[".repeat(1000) + "]".repeat(1000));

        assertProblem(deep, 400, "json-too-deep", path, "k1");
        assertProblem(longNumber, 400, "json-number-too-long", path, "k2");
        assertThat(unkeyedDeep.statusCode()).as("without a key the application decides").isEqualTo(201);
        assertThat(app.executions(path)).isEqualTo(1);
    }

    /** The in-memory store, keeping every response it was asked to store. */
    static final class RecordingStore extends ForwardingIdempotencyStore {
        final List<StoredResponse> completed = new CopyOnWriteArrayList<>();

        RecordingStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
                Instant now) {
            completed.add(response);
            return super.complete(recordId, fencingToken, response, expiresAt, now);
        }
    }
}
