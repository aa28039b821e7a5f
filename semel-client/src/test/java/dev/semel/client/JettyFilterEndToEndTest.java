package dev.semel.client;

import dev.semel.test.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.servlet.IdempotencyFilter;
import dev.semel.servlet.IdempotentRoute;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * The adapters against Semel's own server side: {@link IdempotencyFilter} on embedded
 * Jetty 12, behind the proxy that loses each key's first response after the servlet ran.
 */
class JettyFilterEndToEndTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T16:00:00Z"));
    private final RecordingSleeper sleeper = new RecordingSleeper(clock);
    private final AtomicInteger executions = new AtomicInteger();
    private final Map<String, AtomicInteger> requestsByKey = new ConcurrentHashMap<>();
    private Idempotency engine;
    private Server jetty;
    private FaultProxy proxy;

    @BeforeEach
    void startJetty() throws Exception {
        engine = Idempotency.create(new InMemoryIdempotencyStore());
        IdempotencyFilter filter = IdempotencyFilter.builder(engine)
                .route("/payments", IdempotentRoute.builder().keyRequired(true).build())
                .allowAnonymous(true) // the client under test sends no credential; one client, one scope
                .build();
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new PaymentsServlet()), "/payments");
        jetty.setHandler(context);
        jetty.start();
        proxy = new FaultProxy(connector.getLocalPort(), FaultProxy.firstRequestOfEachKey());
    }

    @AfterEach
    void stopJetty() throws Exception {
        proxy.close();
        jetty.stop();
        engine.close();
    }

    /** Counts every request that reaches the application, and answers a receipt. */
    private final class PaymentsServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String body = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int n = executions.incrementAndGet();
            response.setStatus(201);
            response.setContentType("application/json");
            response.getWriter().write("{\"payment\":" + n + ",\"for\":" + body + "}");
        }
    }

    private RetryPolicy policy() {
        return RetryPolicy.custom().clock(clock).sleeper(sleeper)
                .listener(a -> requestsByKey.computeIfAbsent(String.valueOf(a.idempotencyKey()),
                        k -> new AtomicInteger()).incrementAndGet())
                .build();
    }

    @Test
    void concurrentOperationsThroughTheFilterEachRunOnceAndTheRetryGetsTheReplay() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        RetryingHttpClient client = RetryingHttpClient.builder(http).retryPolicy(policy()).build();
        URI uri = URI.create("http://127.0.0.1:" + proxy.port() + "/payments");
        int operations = 12;
        List<RetriedResponse<String>> responses = Race.run(operations, i -> () -> client.send(
                HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                        .POST(BodyPublishers.ofString("{\"amount\":" + i + "}")).build(),
                BodyHandlers.ofString()));

        assertThat(executions).hasValue(operations);
        assertThat(proxy.dropped()).isEqualTo(operations);
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(r.replayed()).isTrue();
            assertThat(r.attempts()).isEqualTo(2);
            assertThat(requestsByKey.get(r.idempotencyKey().orElseThrow())).hasValue(2);
        });
        assertThat(responses).extracting(RetriedResponse::body).doesNotHaveDuplicates();
    }

    @Test
    void theRestClientInterceptorGetsEachOperationRunOnceThroughTheFilter() {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        RestClient client = RestClient.builder()
                .baseUrl("http://127.0.0.1:" + proxy.port())
                .requestFactory(new JdkClientHttpRequestFactory(http))
                .requestInterceptor(new RetryingRestClientInterceptor(policy()))
                .build();
        int operations = 8;
        List<ResponseEntity<String>> responses = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            responses.add(client.post().uri("/payments").contentType(MediaType.APPLICATION_JSON)
                    .body("{\"amount\":" + i + "}").retrieve().toEntity(String.class));
        }

        assertThat(executions).hasValue(operations);
        assertThat(responses).allSatisfy(r -> {
            assertThat(r.getStatusCode().value()).isEqualTo(201);
            assertThat(RetryingRestClientInterceptor.replayed(r.getHeaders())).isTrue();
        });
        assertThat(requestsByKey).hasSize(operations).allSatisfy((key, count) -> assertThat(count).hasValue(2));
        assertThat(sleeper.delays()).hasSize(operations)
                .allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(RetryPolicy.DEFAULT_INITIAL_BACKOFF));
    }

    @Test
    void theWebClientFilterGetsConcurrentOperationsEachRunOnceThroughTheFilter() {
        RecordingScheduler scheduler = new RecordingScheduler(clock);
        WebClient client = WebClient.builder()
                .baseUrl("http://127.0.0.1:" + proxy.port())
                .clientConnector(new ReactorClientHttpConnector(reactor.netty.http.client.HttpClient.create()
                        .disableRetry(true)))
                .filter(new RetryingWebClientFilter(policy(), scheduler))
                .build();
        int operations = 12;

        // all subscribed at once: the operations run concurrently on Netty's event loops
        List<ResponseEntity<String>> responses = Flux.range(0, operations)
                .flatMap(i -> client.post().uri("/payments").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"amount\":" + i + "}").retrieve().toEntity(String.class), operations)
                .collectList()
                .block();

        assertThat(executions).hasValue(operations);
        assertThat(proxy.dropped()).isEqualTo(operations);
        assertThat(responses).hasSize(operations).allSatisfy(r -> {
            assertThat(r.getStatusCode().value()).isEqualTo(201);
            assertThat(RetryingWebClientFilter.replayed(r.getHeaders())).isTrue();
        });
        assertThat(responses).extracting(ResponseEntity::getBody).doesNotHaveDuplicates();
        assertThat(requestsByKey).hasSize(operations).allSatisfy((key, count) -> assertThat(count).hasValue(2));
        assertThat(scheduler.delays()).hasSize(operations)
                .allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(RetryPolicy.DEFAULT_INITIAL_BACKOFF));
    }

    @Test
    void theFiltersMismatchProblemIsReturnedAfterOneAttempt() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        RetryingHttpClient client = RetryingHttpClient.builder(http).retryPolicy(policy()).build();
        URI uri = URI.create("http://127.0.0.1:" + jetty.getURI().getPort() + "/payments");
        client.send(HttpRequest.newBuilder(uri).header("Idempotency-Key", "order-1")
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString("{\"amount\":1}")).build(), BodyHandlers.ofString());

        RetriedResponse<String> response = client.send(HttpRequest.newBuilder(uri).header("Idempotency-Key", "order-1")
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString("{\"amount\":2}")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(sleeper.delays()).isEmpty();
        assertThat(executions).hasValue(1);
    }
}
