package dev.semel.spring.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * What a reader of {@code /v3/api-docs} (and Swagger UI) learns about Semel's protected
 * operations: the key header, the replay header and the problems, on exactly the operations the
 * filter protects.
 */
@SpringBootTest(classes = OpenApiHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "semel.web.path-patterns=/orders/**",
            "semel.web.key-required=false",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class OpenApiHttpTest {
    @LocalServerPort
    int port;

    private JsonNode paths;

    @BeforeEach
    void fetchTheDocument() {
        Http.Response document = new Http(port).get("/v3/api-docs");
        assertThat(document.status()).isEqualTo(200);
        paths = document.json().get("paths");
    }

    @Test
    void anIdempotentHandlerDocumentsARequiredKeyTheReplayHeaderAndTheProblems() {
        JsonNode charge = paths.get("/charges").get("post");

        JsonNode key = header(charge, "Idempotency-Key");
        assertThat(key.get("required").asBoolean()).isTrue();
        assertThat(key.get("description").asString()).contains("required");
        assertThat(key.get("schema").get("maxLength").asInt()).isEqualTo(255);
        JsonNode created = charge.get("responses").get("201");
        assertThat(created.get("headers").get("Idempotent-Replayed").get("schema").get("enum").get(0).asString())
                .isEqualTo("true");
        for (String status : List.of("400", "409", "413", "422", "503")) {
            JsonNode problem = charge.get("responses").get(status);
            assertThat(problem).as(status).isNotNull();
            assertThat(problem.get("description").asString()).as(status).isNotBlank();
            assertThat(problem.get("content").get("application/problem+json").get("schema").get("$ref").asString())
                    .as(status).isEqualTo("#/components/schemas/IdempotencyProblem");
        }
        assertThat(charge.get("responses").get("409").get("headers").has("Retry-After")).isTrue();
        assertThat(charge.get("responses").get("503").get("headers").has("Retry-After")).isTrue();
        assertThat(charge.get("responses").get("422").get("description").asString()).contains("different request");
    }

    @Test
    void theProblemSchemaIsAComponent() {
        JsonNode problem = new Http(port).get("/v3/api-docs").json().get("components").get("schemas")
                .get("IdempotencyProblem");

        assertThat(problem.get("properties").has("type")).isTrue();
        assertThat(problem.get("properties").has("status")).isTrue();
    }

    @Test
    void anOptionalKeyIsDocumentedOptionalAndTheHandlersOwnHeaderParameterIsNotDuplicated() {
        JsonNode tip = paths.get("/tips").get("post");

        assertThat(headers(tip, "Idempotency-Key")).hasSize(1);
        assertThat(header(tip, "Idempotency-Key").get("required").asBoolean()).isFalse();
        assertThat(tip.get("responses").get("200").get("headers").has("Idempotent-Replayed")).isTrue();
    }

    @Test
    void aConfiguredPathPatternProtectsItsRouteTemplates() {
        JsonNode refund = paths.get("/orders/{id}/refunds").get("post");

        assertThat(header(refund, "Idempotency-Key").get("required").asBoolean())
                .as("semel.web.key-required=false").isFalse();
        assertThat(refund.get("responses").has("422")).isTrue();
    }

    @Test
    void unprotectedOperationsAreLeftAlone() {
        JsonNode plain = paths.get("/plain").get("post");
        JsonNode read = paths.get("/charges/{id}").get("get");

        for (JsonNode operation : List.of(plain, read)) {
            assertThat(headers(operation, "Idempotency-Key")).isEmpty();
            assertThat(operation.get("responses").has("422")).isFalse();
            assertThat(operation.get("responses").get("200").has("headers")).isFalse();
        }
    }

    private static JsonNode header(JsonNode operation, String name) {
        List<JsonNode> found = headers(operation, name);
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private static List<JsonNode> headers(JsonNode operation, String name) {
        List<JsonNode> found = new ArrayList<>();
        JsonNode parameters = operation.get("parameters");
        if (parameters != null) {
            for (JsonNode parameter : parameters) {
                if ("header".equals(parameter.get("in").asString()) && name.equals(parameter.get("name").asString())) {
                    found.add(parameter);
                }
            }
        }
        return found;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Endpoints.class, Others.class})
    static class App {
    }

    @RestController
    @Idempotent
    static class Endpoints {
        @PostMapping("/charges")
        @ResponseStatus(HttpStatus.CREATED)
        Map<String, Object> charge(@RequestBody Map<String, Object> body) {
            return body;
        }

        /** A GET on an @Idempotent controller is never protected. */
        @GetMapping("/charges/{id}")
        Map<String, Object> read(@PathVariable("id") String id) {
            return Map.of("id", id);
        }

        @PostMapping("/tips")
        @Idempotent(required = false)
        Map<String, Object> tip(@RequestBody Map<String, Object> body,
                @RequestHeader(name = "Idempotency-Key", required = false) String key) {
            return body;
        }
    }

    @RestController
    static class Others {
        @PostMapping("/plain")
        Map<String, Object> plain(@RequestBody Map<String, Object> body) {
            return body;
        }

        @PostMapping("/orders/{id}/refunds")
        Map<String, Object> refund(@PathVariable("id") String id, @RequestBody Map<String, Object> body) {
            return body;
        }
    }
}
