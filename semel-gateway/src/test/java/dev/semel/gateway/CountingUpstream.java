package dev.semel.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deliberately non-idempotent upstream: every POST runs again, counted per path and key, and
 * answers 201 with a body that names the execution, so a duplicate execution shows. Paths:
 * <ul>
 *   <li>{@code /flaky/...}: 503 the first time a key is seen, 201 after that;
 *   <li>{@code /held/...}: waits for {@link #release()} before answering;
 *   <li>{@code /size}: answers the number of request body bytes it read;
 *   <li>{@code /stream...}: answers {@link #STREAM_HEAD} bytes of {@code x}, then, once
 *       {@link #openStream()} is called, {@link #STREAM_TAIL} bytes of {@code y};
 *   <li>GET {@code /large?bytes=n}: answers n bytes;
 *   <li>anything else: 201.
 * </ul>
 */
final class CountingUpstream implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch stream = new CountDownLatch(1);
    /** What {@code /stream} sends at once: more than the gateway's default capture limit (1 MiB). */
    static final int STREAM_HEAD = 1536 * 1024;
    /** What {@code /stream} sends after {@link #openStream()}. */
    static final int STREAM_TAIL = 512 * 1024;

    CountingUpstream() throws IOException {
        this(0);
    }

    /** An upstream on a given port (0: any free one). */
    CountingUpstream(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How often the upstream ran a request for this path and key. */
    int executions(String path, String key) {
        AtomicInteger n = executions.get(path + " " + key);
        return n == null ? 0 : n.get();
    }

    int total() {
        return total.get();
    }

    void release() {
        held.countDown();
    }

    void openStream() {
        stream.countDown();
    }

    /** The body the upstream answers for an execution; the test compares replays with it. */
    static byte[] body(String path, String key, int execution) {
        // non-ASCII text, a NUL and spacing a JSON normalizer would change: a replay must keep every byte
        return ("{ \"path\" : \"" + path + "\",\n  \"key\":\"" + key + "\", \"execution\": " + execution
                + ", \"note\": \"déjà vu ✓\u0000\" }\n").getBytes(StandardCharsets.UTF_8);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] request = readAll(exchange.getRequestBody());
            if (exchange.getRequestMethod().equals("GET")) {
                if (path.equals("/large")) {
                    int bytes = Integer.parseInt(exchange.getRequestURI().getQuery().substring("bytes=".length()));
                    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    exchange.sendResponseHeaders(200, bytes);
                    try (OutputStream out = exchange.getResponseBody()) {
                        byte[] chunk = new byte[64 * 1024];
                        for (int sent = 0; sent < bytes; sent += chunk.length) {
                            out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
                        }
                    }
                    return;
                }
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String key = String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
            int execution = executions.computeIfAbsent(path + " " + key, k -> new AtomicInteger()).incrementAndGet();
            total.incrementAndGet();
            if (path.startsWith("/stream")) {
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(201, STREAM_HEAD + STREAM_TAIL);
                OutputStream out = exchange.getResponseBody();
                out.write("x".repeat(STREAM_HEAD).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (!stream.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never opened");
                }
                out.write("y".repeat(STREAM_TAIL).getBytes(StandardCharsets.US_ASCII));
                out.close();
                return;
            }
            if (path.equals("/size")) {
                send(exchange, 201, Integer.toString(request.length).getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (path.startsWith("/flaky") && execution == 1) {
                send(exchange, 503, "busy".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (path.startsWith("/held") && !held.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            exchange.getResponseHeaders().set("X-Upstream-Execution", Integer.toString(execution));
            send(exchange, 201, body(path, key, execution));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @Override
    public void close() {
        release();
        openStream();
        server.stop(0);
        executor.shutdownNow();
    }
}
