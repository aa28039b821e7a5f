package dev.semel.gateway;

import com.sun.net.httpserver.HttpServer;
import dev.semel.Idempotency;
import dev.semel.http.tck.ContractApp;
import dev.semel.http.tck.HttpBehaviourContract;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The shared HTTP contract through the gateway: the contract's application is the upstream (a
 * JDK HTTP server), the gateway application with the {@code Idempotency} filter on its routes is
 * the adapter, with the contract's engine.
 */
class GatewayHttpContractTest extends HttpBehaviourContract {
    @Override
    protected Server start(Idempotency engine, ContractApp app) throws Exception {
        ExecutorService executor = Executors.newCachedThreadPool();
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            try (exchange) {
                ContractApp.Response answer;
                try {
                    answer = app.handle(new ContractApp.Request(exchange.getRequestMethod(),
                            exchange.getRequestURI().getRawPath(), exchange.getRequestBody().readAllBytes()));
                } catch (ContractApp.Failure e) {
                    exchange.sendResponseHeaders(500, -1); // what a server answers for a failed handler
                    return;
                }
                for (ContractApp.Header h : answer.headers()) {
                    exchange.getResponseHeaders().add(h.name(), h.value());
                }
                exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body());
                }
            }
        });
        upstream.setExecutor(executor);
        upstream.start();
        String uri = "http://127.0.0.1:" + upstream.getAddress().getPort();
        String routes = "--spring.cloud.gateway.server.webflux.routes";
        SpringApplication application = SemelGatewayApplication.application();
        application.addInitializers(context -> context.getBeanFactory().registerSingleton("contractEngine", engine));
        ConfigurableApplicationContext gateway = application.run(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--semel.store.type=memory",
                "--semel.capture.max-request-body-size=" + MAX_BODY_BYTES + "B",
                routes + "[0].id=required",
                routes + "[0].uri=" + uri,
                routes + "[0].order=0",
                routes + "[0].predicates[0]=Path=/required/**",
                routes + "[0].filters[0]=Idempotency=true",
                routes + "[1].id=everything",
                routes + "[1].uri=" + uri,
                routes + "[1].order=1",
                routes + "[1].predicates[0]=Path=/**",
                routes + "[1].filters[0]=Idempotency");
        URI base = URI.create(Gateways.url(gateway));
        return new Server() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void stop() {
                try {
                    gateway.close();
                } finally {
                    upstream.stop(0);
                    executor.shutdownNow();
                }
            }
        };
    }
}
