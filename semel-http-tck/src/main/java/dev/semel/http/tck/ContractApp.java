package dev.semel.http.tck;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application the HTTP contract talks to, behind the adapter under test. An adapter's test
 * routes every request to {@link #handle(Request)} and writes back the {@link Response} (a
 * servlet, a WebFlux handler, an upstream server behind a gateway). Deliberately not
 * idempotent: it counts each execution, so the contract sees what the adapter let through.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code POST|PATCH /payments...}</td><td>201, {@code Location}, JSON naming the execution</td></tr>
 *   <tr><td>{@code POST /required/...}</td><td>the same; the adapter requires a key there</td></tr>
 *   <tr><td>{@code POST /held/...}</td><td>the same, once {@link #release()} is called</td></tr>
 *   <tr><td>{@code POST /status/{code}}</td><td>that status, with a small body</td></tr>
 *   <tr><td>{@code POST /boom}</td><td>{@link #handle} throws ({@link Failure}): the server's error</td></tr>
 *   <tr><td>{@code GET} anything</td><td>200</td></tr>
 * </table>
 */
public final class ContractApp {
    private final AtomicInteger executions = new AtomicInteger();
    private final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
    private volatile CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch arrived = new CountDownLatch(1);

    /**
     * One request as the adapter's server received it.
     *
     * @param method the method
     * @param path the path, without query
     * @param body the body, empty for none
     */
    public record Request(String method, String path, byte[] body) {
    }

    /**
     * One header of a response.
     *
     * @param name the name
     * @param value the value
     */
    public record Header(String name, String value) {
    }

    /**
     * What the application answers.
     *
     * @param status the status
     * @param headers its headers, {@code Content-Type} included
     * @param body the body
     */
    public record Response(int status, List<Header> headers, byte[] body) {
    }

    /** What {@code POST /boom} throws: the server answers it as any uncaught failure. */
    public static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure() {
            super("the contract application failed on purpose");
        }
    }

    /**
     * Handles one request. A server thread may block here (for {@code /held}); adapters on an
     * event loop call it on a thread that may block.
     *
     * @param request the request
     * @return the answer
     * @throws Failure for {@code POST /boom}
     */
    public Response handle(Request request) {
        String path = request.path();
        if (request.method().equals("GET")) {
            return json(200, "{\"ok\":true}");
        }
        int n = executions.incrementAndGet();
        byPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        if (path.startsWith("/boom")) {
            throw new Failure();
        }
        if (path.startsWith("/status/")) {
            int status = Integer.parseInt(path.substring("/status/".length()));
            return json(status, "{\"status\":" + status + ",\"execution\":" + n + "}");
        }
        if (path.startsWith("/held")) {
            arrived.countDown();
            try {
                if (!held.await(30, TimeUnit.SECONDS)) {
                    return json(504, "{\"error\":\"never released\"}");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return json(503, "{\"error\":\"interrupted\"}");
            }
        }
        Response created = json(201, "{\"id\":\"pay_" + n + "\",\"execution\":" + n + ",\"request\":"
                + new String(request.body(), StandardCharsets.UTF_8).length() + "}");
        List<Header> headers = new java.util.ArrayList<>(created.headers());
        headers.add(new Header("Location", "/payments/pay_" + n));
        headers.add(new Header("X-Execution", Integer.toString(n)));
        return new Response(201, headers, created.body());
    }

    private static Response json(int status, String body) {
        return new Response(status, List.of(new Header("Content-Type", "application/json")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** @return how many non-GET requests reached the application */
    public int executions() {
        return executions.get();
    }

    /**
     * @param path a path
     * @return how many non-GET requests to that path reached the application
     */
    public int executions(String path) {
        AtomicInteger n = byPath.get(path);
        return n == null ? 0 : n.get();
    }

    /** Lets every request waiting in {@code /held} go on. */
    public void release() {
        held.countDown();
    }

    /**
     * Waits until a request reached {@code /held}.
     *
     * @return whether one did within 30 seconds
     * @throws InterruptedException if interrupted
     */
    boolean awaitHeld() throws InterruptedException {
        return arrived.await(30, TimeUnit.SECONDS);
    }
}
