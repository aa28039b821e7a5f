package dev.semel.spring.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;

/**
 * A RestClient built from Spring Boot's own RestClient.Builder, against a real HTTP server
 * that is overloaded for the first attempts: the retries, and the one key they share, are
 * what the server saw. Retry-After: 0 keeps the waits at nothing.
 */
class BootRestClientRetryHttpTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ImperativeHttpClientAutoConfiguration.class,
                    HttpMessageConvertersAutoConfiguration.class, RestClientAutoConfiguration.class,
                    SemelClientAutoConfiguration.class))
            .withPropertyValues("semel.client.rest-client.enabled=true");
    private final Queue<Integer> overloaded = new ConcurrentLinkedQueue<>();
    private final List<String> keysSeen = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/payments", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                keysSeen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
                Integer status = overloaded.poll();
                if (status != null) {
                    exchange.getResponseHeaders().add("Retry-After", "0");
                    exchange.sendResponseHeaders(status, -1);
                    return;
                }
                byte[] body = "{\"payment\":1}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(201, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private RestClient client(RestClient.Builder boots) {
        return boots.baseUrl("http://127.0.0.1:" + server.getAddress().getPort()).build();
    }

    @Test
    void aPostThroughBootsBuilderIsRetriedUnderOneGeneratedKey() {
        overloaded.add(503);
        overloaded.add(409);

        runner.run(context -> {
            ResponseEntity<String> response = client(context.getBean(RestClient.Builder.class))
                    .post().uri("/payments").body("{\"amount\":1}").retrieve().toEntity(String.class);

            assertThat(response.getStatusCode().value()).isEqualTo(201);
            assertThat(keysSeen).hasSize(3).doesNotContain("null");
            assertThat(keysSeen).containsOnly(keysSeen.get(0));
        });
    }

    @Test
    void theNamedInstanceOfTheRestClientGovernsItsRetries() {
        overloaded.add(503);
        overloaded.add(503);
        overloaded.add(503);

        runner.withPropertyValues("semel.client.instances.rest-client.max-attempts=2").run(context -> {
            RestClient client = client(context.getBean(RestClient.Builder.class));

            assertThatThrownBy(() -> client.post().uri("/payments").body("{}").retrieve().toBodilessEntity())
                    .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
            assertThat(keysSeen).hasSize(2);
        });
    }

    @Test
    void bootsBuilderSendsOnceWithoutAKeyUnlessAskedTo() {
        overloaded.add(503);

        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImperativeHttpClientAutoConfiguration.class,
                HttpMessageConvertersAutoConfiguration.class, RestClientAutoConfiguration.class,
                SemelClientAutoConfiguration.class)).run(context -> {
            RestClient client = client(context.getBean(RestClient.Builder.class));

            assertThatThrownBy(() -> client.post().uri("/payments").body("{}").retrieve().toBodilessEntity())
                    .isInstanceOf(HttpServerErrorException.ServiceUnavailable.class);
            assertThat(keysSeen).containsExactly("null");
        });
    }
}
