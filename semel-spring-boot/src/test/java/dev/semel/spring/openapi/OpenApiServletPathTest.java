package dev.semel.spring.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.PermitAllSecurity;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * With the {@code DispatcherServlet} under {@code spring.mvc.servlet.path}, the filter's path
 * patterns include the servlet path (they match the path within the application), and the
 * document marks exactly the operations a request to them would find protected.
 */
@SpringBootTest(classes = OpenApiServletPathTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "spring.mvc.servlet.path=/api",
            "semel.store.type=memory",
            "semel.web.path-patterns=/api/orders/**",
            "semel.web.allow-anonymous=true",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class OpenApiServletPathTest {
    @LocalServerPort
    int port;

    @Test
    void aPatternWithTheServletPathMarksItsOperationsAndOnlyThose() {
        Http http = new Http(port);
        Http.Response document = http.get("/api/v3/api-docs");
        assertThat(document.status()).isEqualTo(200);
        JsonNode paths = document.json().get("paths");

        assertThat(hasKeyHeader(paths.get("/orders/{id}/refunds").get("post"))).isTrue();
        assertThat(hasKeyHeader(paths.get("/invoices").get("post"))).isFalse();

        // and a request finds them protected as documented: the retry replays
        String key = "servlet-path-" + System.nanoTime();
        Http.Response first = http.post("/api/orders/7/refunds", "{\"amount\":5}", "Idempotency-Key", key);
        Http.Response retry = http.post("/api/orders/7/refunds", "{\"amount\":5}", "Idempotency-Key", key);
        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.headers()).containsKey("idempotent-replayed");
    }

    private static boolean hasKeyHeader(JsonNode operation) {
        JsonNode parameters = operation.get("parameters");
        if (parameters == null) {
            return false;
        }
        return parameters.valueStream().anyMatch(p -> "Idempotency-Key".equals(p.path("name").asString()));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(PermitAllSecurity.class)
    static class App {
        @RestController
        static class Api {
            @PostMapping("/orders/{id}/refunds")
            @ResponseStatus(HttpStatus.CREATED)
            Map<String, Object> refund(@PathVariable long id, @RequestBody Map<String, Object> body) {
                return Map.of("order", id, "refunded", body.get("amount"));
            }

            @PostMapping("/invoices")
            @ResponseStatus(HttpStatus.CREATED)
            Map<String, Object> invoice(@RequestBody Map<String, Object> body) {
                return Map.of("invoice", 1);
            }
        }
    }
}
