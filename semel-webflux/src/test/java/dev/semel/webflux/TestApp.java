package dev.semel.webflux;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The application under the filter: deliberately non-idempotent handlers that count how often
 * they ran, per method and path. None of them blocks: the slow one waits on a future the test
 * completes.
 */
final class TestApp {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    /** What the slow handlers wait for; the test completes it. */
    volatile CompletableFuture<Void> gate = new CompletableFuture<>();
    /** How many slow handlers have started. */
    final AtomicInteger slowStarted = new AtomicInteger();

    int runs(String methodAndPath) {
        AtomicInteger n = runs.get(methodAndPath);
        return n == null ? 0 : n.get();
    }

    /** The thread each handler last ran on, by method and path. */
    final Map<String, String> threads = new ConcurrentHashMap<>();

    private int ran(ServerRequest request) {
        threads.put(request.method().name() + " " + request.path(), Thread.currentThread().getName());
        return runs.computeIfAbsent(request.method().name() + " " + request.path(), k -> new AtomicInteger())
                .incrementAndGet();
    }

    RouterFunction<ServerResponse> router() {
        return RouterFunctions.route()
                .GET("/payments", request -> {
                    ran(request);
                    return ServerResponse.ok().bodyValue("list");
                })
                .POST("/payments", this::payment)
                .POST("/payments/{id}/refunds", this::payment)
                .PATCH("/payments/{id}", this::payment)
                .PUT("/payments/{id}", this::payment)
                .POST("/required/payments", this::payment)
                .POST("/other-route", this::payment)
                .POST("/open/payments", this::payment)
                .POST("/slow", this::slow)
                .POST("/wait/slow", this::slow)
                .POST("/status/{code}", request -> {
                    int n = ran(request);
                    int code = Integer.parseInt(request.pathVariable("code"));
                    return ServerResponse.status(code).contentType(MediaType.TEXT_PLAIN)
                            .bodyValue("status " + code + ", run " + n);
                })
                .POST("/boom", request -> {
                    ran(request);
                    return Mono.error(new IllegalStateException("the handler failed"));
                })
                .POST("/empty", request -> {
                    ran(request);
                    return ServerResponse.noContent().header("X-Empty", "yes").build();
                })
                .POST("/big", request -> {
                    ran(request);
                    return ServerResponse.status(HttpStatus.CREATED).contentType(MediaType.TEXT_PLAIN)
                            .bodyValue("x".repeat(3000));
                })
                .POST("/stream", request -> {
                    ran(request);
                    // over the filter's 2000-byte capture limit before the gate opens; the rest after
                    CompletableFuture<Void> open = gate;
                    Flux<byte[]> body = Flux.concat(Mono.just("x".repeat(2500).getBytes(StandardCharsets.US_ASCII)),
                            Mono.fromFuture(open, true).then(Mono.fromSupplier(
                                    () -> "y".repeat(500).getBytes(StandardCharsets.US_ASCII))));
                    return ServerResponse.status(HttpStatus.CREATED).contentType(MediaType.TEXT_PLAIN)
                            .body(body, byte[].class);
                })
                .POST("/form", request -> {
                    int n = ran(request);
                    boolean multipart = request.headers().contentType()
                            .map(MediaType.MULTIPART_FORM_DATA::isCompatibleWith).orElse(false);
                    Mono<String> amount = multipart
                            ? request.multipartData().map(parts -> ((FormFieldPart) parts.getFirst("amount")).value())
                            : request.formData().map(form -> String.valueOf(form.getFirst("amount")));
                    return amount.flatMap(value -> ServerResponse.status(HttpStatus.CREATED)
                            .contentType(MediaType.TEXT_PLAIN).bodyValue("amount " + value + ", run " + n));
                })
                .POST("/echo", request -> {
                    ran(request);
                    return request.bodyToMono(byte[].class).defaultIfEmpty(new byte[0])
                            .flatMap(body -> ServerResponse.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                                    .bodyValue(body));
                })
                .build();
    }

    private Mono<ServerResponse> payment(ServerRequest request) {
        int n = ran(request);
        return request.bodyToMono(String.class).defaultIfEmpty("")
                .flatMap(body -> ServerResponse.status(HttpStatus.CREATED)
                        .contentType(MediaType.APPLICATION_JSON)
                        .header("X-Payment-Id", "p-" + n)
                        .header("X-Multi", "a", "b")
                        .bodyValue(("{\"run\":" + n + ",\"path\":\"" + request.path() + "\",\"bytes\":"
                                + body.getBytes(StandardCharsets.UTF_8).length + "}").getBytes(StandardCharsets.UTF_8)));
    }

    private Mono<ServerResponse> slow(ServerRequest request) {
        int n = ran(request);
        slowStarted.incrementAndGet();
        return Mono.fromFuture(gate, true).then(ServerResponse.status(HttpStatus.CREATED)
                .contentType(MediaType.TEXT_PLAIN).bodyValue("slow run " + n));
    }
}
