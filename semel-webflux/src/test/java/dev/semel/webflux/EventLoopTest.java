package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server with ONE event-loop thread: a keyed request whose store claim is held (the store
 * blocks it), or whose handler has not answered yet, must not hold up anyone else. Were a store
 * call made on the event loop, the held claim would stop the server.
 */
class EventLoopTest {
    static {
        Blocking.install();
    }

    private ThreadCheckingStore store;
    private Idempotency engine;
    private TestApp app;
    private TestServer server;

    @BeforeEach
    void start() {
        store = new ThreadCheckingStore(new InMemoryIdempotencyStore());
        engine = Idempotency.create(store);
        app = new TestApp();
        server = new TestServer(IdempotencyWebFilter.builder(engine)
                .route("/payments/**").route("/slow").route("/other-route").build(), app.router(), 1);
    }

    @AfterEach
    void stop() {
        store.releaseHeldClaims();
        app.gate.complete(null);
        server.close();
        engine.close();
        List<String> blocking = new ArrayList<>(Blocking.FOUND);
        Blocking.FOUND.clear();
        assertThat(store.eventLoopCalls).as("store calls on the event loop").isEmpty();
        assertThat(blocking).as("blocking calls found by BlockHound").isEmpty();
    }

    @Test
    void whileOneRequestsClaimIsHeldOtherRequestsOnTheSameEventLoopComplete() throws Exception {
        String held = "held-" + UUID.randomUUID();
        store.holdClaims("held-");
        CompletableFuture<HttpResponse<byte[]>> heldResponse = server.client().sendAsync(
                server.post("/payments", held, "{\"amount\":1}").build(), HttpResponse.BodyHandlers.ofByteArray());
        WebFilterContract.await(() -> store.heldClaims.get() == 1);

        assertOthersComplete();
        assertThat(heldResponse).isNotDone();
        assertThat(app.runs("POST /payments")).as("the held request's handler has not run").isEqualTo(1);

        store.releaseHeldClaims();
        HttpResponse<byte[]> first = heldResponse.get(20, TimeUnit.SECONDS);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(WebFilterContract.replayed(first)).isFalse();
        HttpResponse<byte[]> replay = server.send(server.post("/payments", held, "{\"amount\":1}"));
        WebFilterContract.assertSameResponse(replay, first);
        assertThat(app.runs("POST /payments")).as("the held request ran exactly once, plus the other one")
                .isEqualTo(2);
    }

    @Test
    void whileOneRequestsHandlerWaitsOtherRequestsOnTheSameEventLoopComplete() throws Exception {
        String key = "slow-" + UUID.randomUUID();
        CompletableFuture<HttpResponse<byte[]>> slow = server.client().sendAsync(
                server.post("/slow", key, "{}").build(), HttpResponse.BodyHandlers.ofByteArray());
        WebFilterContract.await(() -> app.slowStarted.get() == 1);

        assertOthersComplete();
        assertThat(slow).isNotDone();

        app.gate.complete(null);
        assertThat(slow.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> replay = server.send(server.post("/slow", key, "{}"));
        assertThat(WebFilterContract.replayed(replay)).isTrue();
        assertThat(app.runs("POST /slow")).isEqualTo(1);
    }

    /** Unkeyed, keyed and safe requests answer while something else is held, all on the one event loop. */
    private void assertOthersComplete() throws Exception {
        HttpResponse<byte[]> unkeyed = server.send(server.post("/other-route", null, "{}"));
        assertThat(unkeyed.statusCode()).isEqualTo(201);
        assertThat(app.threads.get("POST /other-route")).startsWith(TestServer.LOOP_PREFIX);

        String key = "free-" + UUID.randomUUID();
        HttpResponse<byte[]> keyed = server.send(server.post("/payments", key, "{\"amount\":2}"));
        assertThat(keyed.statusCode()).isEqualTo(201);
        HttpResponse<byte[]> replay = server.send(server.post("/payments", key, "{\"amount\":2}"));
        WebFilterContract.assertSameResponse(replay, keyed);

        HttpResponse<byte[]> get = server.send(HttpRequest.newBuilder(server.uri("/payments")));
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(app.threads.get("GET /payments")).startsWith(TestServer.LOOP_PREFIX);
    }
}
