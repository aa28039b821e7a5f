package dev.semel.examples.payments;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP proxy that forwards every request to the payments service and then, for some
 * of them, drops the connection instead of passing the answer back: the server did the work,
 * the client never heard. That is the failure a retry without an idempotency key turns into
 * a double charge.
 */
final class FaultInjectingProxy implements AutoCloseable {
    private static final List<String> FORWARDED = List.of("Content-Type", "Idempotency-Key", "Authorization", "Accept");

    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final URI target;
    private final double dropRate;
    private final Random random;
    private final AtomicInteger forwarded = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();

    FaultInjectingProxy(URI target, double dropRate, long seed) throws IOException {
        this.target = target;
        this.dropRate = dropRate;
        this.random = new Random(seed);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::forward);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int forwarded() {
        return forwarded.get();
    }

    int dropped() {
        return dropped.get();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            for (String name : FORWARDED) {
                String value = exchange.getRequestHeaders().getFirst(name);
                if (value != null) {
                    request.header(name, value);
                }
            }
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            forwarded.incrementAndGet();
            if (shouldDrop(exchange)) {
                dropped.incrementAndGet();
                return; // closing without an answer: the client sees the connection end
            }
            response.headers().map().forEach((name, values) -> {
                if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")
                        && !name.equalsIgnoreCase("connection") && !name.equals(":status")) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            byte[] answer = response.body();
            exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean shouldDrop(HttpExchange exchange) {
        if (!exchange.getRequestMethod().equals("POST")) {
            return false;
        }
        synchronized (random) {
            return random.nextDouble() < dropRate;
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
