package dev.semel.servlet;

import static dev.semel.servlet.IdempotencyFilterContract.assertProblem;
import static dev.semel.servlet.IdempotencyFilterContract.assertSameResponse;
import static dev.semel.servlet.IdempotencyFilterContract.replayed;
import static dev.semel.servlet.IdempotencyFilterContract.text;
import static dev.semel.servlet.IdempotencyFilterContract.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The filter's extension points, each observed over HTTP on embedded Jetty. */
class FilterConfigurationTest {
    private final TestApp app = new TestApp();
    private final HttpClient client = HttpClient.newHttpClient();
    private EmbeddedServer server;
    private Idempotency engine;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private void start(IdempotencyFilter.Builder filter) throws Exception {
        server = EmbeddedServer.jetty(List.of(filter.build()), app);
    }

    private IdempotencyFilter.Builder filter(dev.semel.spi.IdempotencyStore store) {
        engine = Idempotency.create(store);
        return IdempotencyFilter.builder(engine);
    }

    private HttpResponse<byte[]> post(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Authorization", "Bearer test-client"); // keyed requests need a credential
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aRouteResolverDecidesPerRequestWhichRuleApplies() throws Exception {
        RouteResolver perEndpoint = new RouteResolver() {
            @Override
            public String routeTemplate(HttpServletRequest request) {
                return "/endpoint";
            }

            @Override
            public IdempotentRoute route(HttpServletRequest request, IdempotentRoute configured) {
                if (request.getRequestURI().startsWith("/annotated")) {
                    return IdempotentRoute.builder().methods("PUT", "POST").keyRequired(true)
                            .options(CallOptions.custom().ttl(Duration.ofMinutes(5)).build()).build();
                }
                return request.getRequestURI().startsWith("/unannotated") ? null : configured;
            }
        };
        start(filter(new InMemoryIdempotencyStore()).routeResolver(perEndpoint));

        String annotated = unique("/annotated");
        assertProblem(post(annotated), 400, "idempotency-key-missing", annotated, null);
        String unannotated = unique("/unannotated");
        post(unannotated, "Idempotency-Key", "k1");
        HttpResponse<byte[]> second = post(unannotated, "Idempotency-Key", "k1");
        assertThat(replayed(second)).as("a request the resolver leaves out passes through").isFalse();
        assertThat(app.executions(unannotated)).isEqualTo(2);
    }

    @Test
    void theKeyHeaderNameCallerResolverAndStoredHeadersAreConfigurable() throws Exception {
        start(filter(new InMemoryIdempotencyStore())
                .headerName("X-Request-Id")
                .callerResolver(request -> request.getHeader("X-Tenant"))
                .excludeResponseHeaders("X-Trace"));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "X-Request-Id", "r1", "X-Tenant", "t1");
        HttpResponse<byte[]> replay = post(path, "X-Request-Id", "r1", "X-Tenant", "t1");
        HttpResponse<byte[]> otherTenant = post(path, "X-Request-Id", "r1", "X-Tenant", "t2");
        HttpResponse<byte[]> defaultHeaderIgnored = post(path, "Idempotency-Key", "r1", "X-Tenant", "t1");

        assertThat(first.headers().allValues("X-Trace")).containsExactly("a", "b");
        assertThat(replayed(replay)).isTrue();
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.headers().allValues("X-Trace")).as("excluded from the record").isEmpty();
        assertThat(replayed(otherTenant)).isFalse();
        assertThat(replayed(defaultHeaderIgnored)).isFalse();
        assertThat(app.executions(path)).isEqualTo(3);
    }

    @Test
    void aTransactionalStoreRunsTheRequestInsideItsTransaction() throws Exception {
        CountingTransactionalStore store = new CountingTransactionalStore();
        start(filter(store));
        String path = unique("/payments");
        HttpResponse<byte[]> first = post(path, "Idempotency-Key", "t1");
        HttpResponse<byte[]> replay = post(path, "Idempotency-Key", "t1");
        assertThat(store.transactions.get()).isEqualTo(2);
        assertSameResponse(replay, first);
        assertThat(text(first)).contains("\"execution\":1");

        String failing = unique("/throw");
        assertThat(post(failing, "Idempotency-Key", "t2").statusCode()).isEqualTo(500);
        assertThat(post(failing, "Idempotency-Key", "t2").statusCode()).isEqualTo(500);
        assertThat(app.executions(failing)).as("the failed attempt left the key usable").isEqualTo(2);
    }

    /**
     * The in-memory store behind the transactional SPI, rolling back by deleting the
     * records claimed in a failed transaction; enough to show that the filter takes the
     * engine's transactional path (the JDBC store's own tests cover real rollback).
     */
    static final class CountingTransactionalStore extends ForwardingIdempotencyStore
            implements TransactionalIdempotencyStore {
        final AtomicInteger transactions = new AtomicInteger();
        private final ThreadLocal<List<String>> claimed = new ThreadLocal<>();

        CountingTransactionalStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            ClaimResult result = super.claim(request);
            List<String> inTransaction = claimed.get();
            if (inTransaction != null && result instanceof ClaimResult.Claimed) {
                inTransaction.add(request.recordId());
            }
            return result;
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            transactions.incrementAndGet();
            List<String> inTransaction = new ArrayList<>();
            claimed.set(inTransaction);
            try {
                return work.run();
            } catch (Exception | Error e) {
                inTransaction.forEach(this::delete);
                throw e;
            } finally {
                claimed.remove();
            }
        }
    }
}
