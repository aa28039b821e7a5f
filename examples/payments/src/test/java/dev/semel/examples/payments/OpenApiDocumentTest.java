package dev.semel.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The API's OpenAPI document ({@code /v3/api-docs}, shown by Swagger UI) tells a client what Semel
 * adds to a payment: the required key, the replay header and the problems.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiDocumentTest {
    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url",
                () -> TestDatabases.h2File(Path.of("target", "test-data", "openapi-" + UUID.randomUUID())));
    }

    @Test
    void aPaymentDocumentsItsKeyItsReplayHeaderAndItsProblems() {
        Api.Reply document = Api.onPort(port).get("/v3/api-docs");

        assertThat(document.status()).isEqualTo(200);
        JsonNode pay = document.json().get("paths").get("/payments").get("post");
        List<JsonNode> keys = new java.util.ArrayList<>();
        for (JsonNode parameter : pay.get("parameters")) {
            if ("header".equals(parameter.get("in").asString())
                    && "Idempotency-Key".equals(parameter.get("name").asString())) {
                keys.add(parameter);
            }
        }
        assertThat(keys).as("the handler's own @RequestHeader and Semel's, documented once").hasSize(1);
        assertThat(keys.get(0).get("required").asBoolean()).isTrue();
        JsonNode responses = pay.get("responses");
        assertThat(responses.get("201").get("headers").has("Idempotent-Replayed")).isTrue();
        for (String status : List.of("400", "409", "413", "422", "503")) {
            assertThat(responses.get(status).get("content").has("application/problem+json")).as(status).isTrue();
        }
        assertThat(responses.get("409").get("headers").has("Retry-After")).isTrue();

        JsonNode read = document.json().get("paths").get("/payments/{id}").get("get");
        assertThat(read.get("responses").has("422")).as("a GET is not protected").isFalse();
    }

    @Test
    void swaggerUiIsOpenToEveryone() {
        Api.Reply page = Api.onPort(port).get("/swagger-ui/index.html");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("Swagger UI");
    }
}
