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
    /** The port of the pages allowed to call through this proxy (CORS), or 0: no browser calls. */
    private final int pagePort;

    FaultInjectingProxy(URI target, double dropRate, long seed) throws IOException {
        this(new InetSocketAddress("127.0.0.1", 0), target, dropRate, seed, 0);
    }

    /**
     * A proxy that the checkout page can call from a browser: it answers CORS preflights for
     * pages served on {@code pagePort} from the host name the browser used to reach the proxy,
     * and closes every connection after its answer, so that each dropped answer reaches the
     * page as a network error instead of being hidden by the browser's own silent resend on a
     * reused keep-alive connection.
     */
    FaultInjectingProxy(InetSocketAddress bind, URI target, double dropRate, long seed, int pagePort) throws IOException {
        this.target = target;
        this.dropRate = dropRate;
        this.random = new Random(seed);
        this.pagePort = pagePort;
        this.server = HttpServer.create(bind, 0);
        server.createContext("/", this::forward);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    int port() {
        return server.getAddress().getPort();
    }

    int forwarded() {
        return forwarded.get();
    }

    int dropped() {
        return dropped.get();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            String origin = allowedOrigin(exchange);
            if (origin != null) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            if (pagePort != 0 && exchange.getRequestMethod().equals("OPTIONS")) {
                preflight(exchange, origin);
                return;
            }
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
            if (origin != null) {
                exchange.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
                exchange.getResponseHeaders().set("Access-Control-Expose-Headers", "Idempotent-Replayed, Retry-After, Location");
                exchange.getResponseHeaders().add("Vary", "Origin");
            }
            byte[] answer = response.body();
            exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The request's Origin when it is a page of this service reached under the same host name, else null. */
    private String allowedOrigin(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (pagePort == 0 || origin == null || host == null) {
            return null;
        }
        String hostName = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.contains(":") ? host.substring(0, host.indexOf(':')) : host;
        for (String scheme : List.of("http://", "https://")) {
            if (origin.equalsIgnoreCase(scheme + hostName + ":" + pagePort)
                    || (pagePort == 80 && origin.equalsIgnoreCase(scheme + hostName))) {
                return origin;
            }
        }
        return null;
    }

    private static void preflight(HttpExchange exchange, String origin) throws IOException {
        if (origin == null) {
            exchange.sendResponseHeaders(403, -1);
            return;
        }
        exchange.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
        exchange.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST");
        exchange.getResponseHeaders().set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key");
        exchange.getResponseHeaders().set("Access-Control-Max-Age", "600");
        exchange.getResponseHeaders().add("Vary", "Origin");
        exchange.sendResponseHeaders(204, -1);
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
