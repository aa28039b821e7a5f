package dev.semel.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A payments endpoint on the JDK's HttpServer, protected by the Semel engine with an
 * in-memory store: {@code POST /payments} runs once per Idempotency-Key and replays after.
 * Canned answers, when queued, are given before the engine sees the request (an overloaded
 * gateway in front of the service).
 */
final class PaymentsServer implements AutoCloseable {
    /** An answer given without running anything; a {@code null} body sends none. */
    record Canned(int status, Map<String, String> headers, String body) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Idempotency idempotency = Idempotency.create(new InMemoryIdempotencyStore());
    private final AtomicInteger executions = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, List<String>> bodiesByKey = new ConcurrentHashMap<>();
    private final Queue<Canned> canned = new ConcurrentLinkedQueue<>();
    private volatile Runnable duringOperation = () -> { };

    PaymentsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/payments", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port() + "/payments");
    }

    /** Operations that ran (not replays, not canned answers). */
    int executions() {
        return executions.get();
    }

    /** Requests received, whatever the answer. */
    int requests() {
        return requests.get();
    }

    /** The bodies received per key, in order of arrival. */
    Map<String, List<String>> bodiesByKey() {
        return bodiesByKey;
    }

    void answerNext(int status, Map<String, String> headers) {
        canned.add(new Canned(status, headers, null));
    }

    /** A canned answer with a body, which holds the connection until the client reads or releases it. */
    void answerNext(int status, Map<String, String> headers, String body) {
        canned.add(new Canned(status, headers, body));
    }

    void duringOperation(Runnable hook) {
        this.duringOperation = hook;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            requests.incrementAndGet();
            String keyHeader = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (keyHeader != null) {
                bodiesByKey.computeIfAbsent(keyHeader, k -> new CopyOnWriteArrayList<>())
                        .add(new String(body, StandardCharsets.UTF_8));
            }
            Canned answer = canned.poll();
            if (answer != null) {
                answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                if (answer.body() == null) {
                    exchange.sendResponseHeaders(answer.status(), -1);
                } else {
                    byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(answer.status(), bytes.length);
                    exchange.getResponseBody().write(bytes);
                }
                return;
            }
            IdempotencyKey key;
            try {
                key = IdempotencyKey.parse(keyHeader);
            } catch (InvalidIdempotencyKeyException e) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            Fingerprint fingerprint = Fingerprint.builder()
                    .add("target", exchange.getRequestURI().toString())
                    .add("body", body)
                    .build();
            Outcome outcome = idempotency.execute(Scope.anonymous("POST /payments"), key, fingerprint,
                    CallOptions.DEFAULTS, lease -> {
                        duringOperation.run();
                        int n = executions.incrementAndGet();
                        return StoredResponse.of(201,
                                List.of(new StoredResponse.Header("Content-Type", "application/json")),
                                ("{\"payment\":" + n + "}").getBytes(StandardCharsets.UTF_8));
                    });
            if (outcome instanceof Outcome.Executed executed) {
                send(exchange, executed.response(), false);
            } else if (outcome instanceof Decision.Replay replay) {
                send(exchange, replay.response(), true);
            } else if (outcome instanceof Decision.InProgress inProgress) {
                long seconds = Math.max(1, (inProgress.retryAfter().toMillis() + 999) / 1000);
                exchange.getResponseHeaders().add("Retry-After", Long.toString(seconds));
                exchange.sendResponseHeaders(409, -1);
            } else {
                exchange.sendResponseHeaders(422, -1);
            }
        }
    }

    private static void send(HttpExchange exchange, StoredResponse response, boolean replayed) throws IOException {
        List<StoredResponse.Header> headers = new ArrayList<>(response.headers());
        headers.forEach(h -> exchange.getResponseHeaders().add(h.name(), h.value()));
        if (replayed) {
            exchange.getResponseHeaders().add("Idempotent-Replayed", "true");
        }
        byte[] body = response.body();
        exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        idempotency.close();
    }
}
