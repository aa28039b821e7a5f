package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.InMemoryIdempotencyStore;
import java.net.http.HttpRequest;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The two blocking detectors the other tests rely on do detect: else their silence would prove nothing. */
class BlockingDetectorsTest {
    static {
        Blocking.install();
    }

    @AfterEach
    void forget() {
        Blocking.FOUND.clear();
    }

    @Test
    void blockHoundFailsASleepOnANonBlockingThread() {
        Mono<Integer> sleeping = Mono.fromCallable(() -> {
            Thread.sleep(1);
            return 1;
        }).subscribeOn(Schedulers.parallel());
        assertThatThrownBy(sleeping::block).hasCauseInstanceOf(BlockingOperationError.class);
        assertThat(Blocking.FOUND).anyMatch(found -> found.contains("sleep"));
    }

    @Test
    void theStoreNotesACallMadeOnTheServersEventLoop() throws Exception {
        ThreadCheckingStore store = new ThreadCheckingStore(new InMemoryIdempotencyStore());
        // a handler that calls the store itself, on the event loop, as a blocking adapter would
        try (TestServer server = new TestServer((exchange, chain) -> chain.filter(exchange),
                RouterFunctions.route().POST("/direct", request -> {
                    store.find("some-record", Instant.now());
                    return ServerResponse.ok().build();
                }).build(), 1)) {
            server.send(HttpRequest.newBuilder(server.uri("/direct")).POST(HttpRequest.BodyPublishers.noBody()));
        }
        assertThat(store.eventLoopCalls).singleElement().asString().startsWith("find on " + TestServer.LOOP_PREFIX);
    }
}
