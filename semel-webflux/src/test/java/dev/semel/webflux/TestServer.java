package dev.semel.webflux;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.Principal;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import org.springframework.web.server.handler.ResponseStatusExceptionHandler;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * A real Reactor Netty server on 127.0.0.1 and an ephemeral port, running a router behind a
 * stand-in login (the {@code X-User} header becomes the exchange's principal) and the filter
 * under test; plus the JDK client that talks to it.
 */
final class TestServer implements AutoCloseable {
    /** The prefix of the event-loop threads of a server given its own loops. */
    static final String LOOP_PREFIX = "semel-loop";

    private final DisposableServer server;
    private final LoopResources loops;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * Starts a server.
     *
     * @param eventLoopThreads the number of event-loop threads, or 0 for Reactor Netty's defaults
     */
    TestServer(WebFilter filter, RouterFunction<ServerResponse> router, int eventLoopThreads) {
        HttpHandler handler = WebHttpHandlerBuilder.webHandler(RouterFunctions.toWebHandler(router))
                .filter(TestServer::login, filter)
                .exceptionHandler(new ResponseStatusExceptionHandler()) // 404, 405, 415 as statuses, as in an application
                .build();
        this.loops = eventLoopThreads > 0 ? LoopResources.create(LOOP_PREFIX, eventLoopThreads, true) : null;
        HttpServer http = HttpServer.create().host("127.0.0.1").port(0);
        if (loops != null) {
            http = http.runOn(loops, false);
        }
        this.server = http.handle(new ReactorHttpHandlerAdapter(handler)).bindNow(Duration.ofSeconds(10));
    }

    private static Mono<Void> login(org.springframework.web.server.ServerWebExchange exchange,
            org.springframework.web.server.WebFilterChain chain) {
        String user = exchange.getRequest().getHeaders().getFirst("X-User");
        if (user == null) {
            return chain.filter(exchange);
        }
        Principal principal = () -> user;
        return chain.filter(exchange.mutate().principal(Mono.just(principal)).build());
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    /** A keyed JSON POST with a credential. */
    HttpRequest.Builder post(String path, String key, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer alice-token")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return b;
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        // the request's timeout ends when the headers arrive: a body that never ends would hang
        // the build, so the whole exchange is bounded, and a hang fails with every thread's stack
        HttpRequest built = request.build();
        try {
            return client.sendAsync(built, HttpResponse.BodyHandlers.ofByteArray()).get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StringBuilder threads = new StringBuilder();
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                threads.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
                for (StackTraceElement frame : stack) {
                    threads.append("    at ").append(frame).append('\n');
                }
            });
            throw new AssertionError("No complete answer within 60 s to " + built + "; threads:\n" + threads, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    HttpClient client() {
        return client;
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(10));
        if (loops != null) {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
        }
    }
}
