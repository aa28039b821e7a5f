package dev.semel.webflux;

import dev.semel.Idempotency;
import dev.semel.http.tck.ContractApp;
import dev.semel.http.tck.HttpBehaviourContract;
import java.net.URI;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.scheduler.Schedulers;

/** The shared HTTP contract through {@link IdempotencyWebFilter} on Reactor Netty. */
class WebFluxHttpContractTest extends HttpBehaviourContract {
    @Override
    protected Server start(Idempotency engine, ContractApp app) {
        IdempotencyWebFilter filter = IdempotencyWebFilter.builder(engine)
                .route("/required/**", IdempotentRoute.builder().keyRequired(true).build())
                .route("/**")
                .maxRequestBodyBytes(MAX_BODY_BYTES)
                .build();
        // the application may block (/held): it runs off the event loop, as a blocking handler must
        RouterFunction<ServerResponse> router = RouterFunctions.route(RequestPredicates.all(), request -> request
                .bodyToMono(byte[].class).defaultIfEmpty(new byte[0])
                .publishOn(Schedulers.boundedElastic())
                .map(body -> app.handle(new ContractApp.Request(request.method().name(), request.path(), body)))
                .flatMap(answer -> ServerResponse.status(answer.status()).headers(headers -> {
                    for (ContractApp.Header h : answer.headers()) {
                        headers.add(h.name(), h.value());
                    }
                }).bodyValue(answer.body())));
        TestServer server = new TestServer(filter, router, 0);
        URI base = server.uri("/");
        return new Server() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void stop() {
                server.close();
            }
        };
    }

}
