package dev.semel.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import dev.semel.spring.Http;
import dev.semel.spring.PermitAllSecurity;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

@SpringBootTest(classes = IdempotencyActuatorHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "management.endpoints.web.exposure.include=health,idempotency",
            "management.endpoint.health.show-details=always",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class IdempotencyActuatorHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    Idempotency idempotency;

    Http http;

    @BeforeEach
    void setUp() {
        http = new Http(port);
    }

    @Test
    void healthReportsTheStoreUp() {
        Http.Response health = http.get("/actuator/health/semel");

        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asString()).isEqualTo("UP");
        assertThat(health.json().path("details").path("store").asString()).isEqualTo("InMemoryIdempotencyStore");
    }

    @Test
    void listsRecordsByKeyPrefixAndStateWithoutTheirBodies() {
        complete("list-a-1", "{\"secret\":\"card\"}");
        complete("list-a-2", "{}");
        idempotency.begin(Scope.of("alice", "POST /x"), IdempotencyKey.of("list-a-3"), Fingerprint.of(new byte[0]));
        complete("list-b-1", "{}");

        JsonNode completed = http.get("/actuator/idempotency?keyPrefix=list-a-&state=COMPLETED").json();

        assertThat(completed.path("count").asInt()).isEqualTo(2);
        List<String> keys = completed.path("records").valueStream().map(r -> r.path("key").asString()).toList();
        assertThat(keys).containsExactlyInAnyOrder("list-a-1", "list-a-2");
        JsonNode first = completed.path("records").get(0);
        assertThat(first.path("response").path("status").asInt()).isEqualTo(201);
        assertThat(first.path("response").has("body")).isFalse();
        assertThat(completed.toString()).doesNotContain("card");

        JsonNode running = http.get("/actuator/idempotency?keyPrefix=list-a-&state=in_progress").json();
        assertThat(running.path("records").valueStream().map(r -> r.path("key").asString()).toList())
                .containsExactly("list-a-3");
        assertThat(running.path("records").get(0).path("leaseDeadline").isMissingNode()).isFalse();
    }

    @Test
    void limitsTheNumberOfRecordsReturned() {
        for (int i = 0; i < 5; i++) {
            complete("limit-" + i, "{}");
        }

        JsonNode limited = http.get("/actuator/idempotency?keyPrefix=limit-&limit=3").json();

        assertThat(limited.path("count").asInt()).isEqualTo(3);
    }

    @Test
    void showsOneRecordAndDeletesItSoItsKeyRunsAgain() {
        complete("delete-me", "{}");
        String recordId = Scope.of("alice", "POST /x").recordId(IdempotencyKey.of("delete-me"));

        Http.Response shown = http.get("/actuator/idempotency/" + recordId);
        assertThat(shown.status()).isEqualTo(200);
        assertThat(shown.json().path("key").asString()).isEqualTo("delete-me");
        assertThat(shown.json().path("scope").asString()).contains("alice");

        Http.Response deleted = http.delete("/actuator/idempotency/" + recordId);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().path("deleted").asBoolean()).isTrue();

        assertThat(http.get("/actuator/idempotency/" + recordId).status()).isEqualTo(404);
        Decision again = idempotency.begin(Scope.of("alice", "POST /x"), IdempotencyKey.of("delete-me"),
                Fingerprint.of("{}".getBytes(StandardCharsets.UTF_8)));
        assertThat(again).isInstanceOf(Decision.Execute.class);
        ((Decision.Execute) again).lease().release();
    }

    @Test
    void answersBadQueriesWith400NotAServerError() {
        assertThat(http.get("/actuator/idempotency?limit=0").status()).isEqualTo(400);
        assertThat(http.get("/actuator/idempotency?limit=100000").status()).isEqualTo(400);
        assertThat(http.get("/actuator/idempotency?state=NOPE").status()).isEqualTo(400);
        assertThat(http.get("/actuator/idempotency?createdAfter=yesterday").status()).isEqualTo(400);
        assertThat(http.get("/actuator/idempotency?createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-01-01T00:00:00Z")
                .status()).isEqualTo(400);
    }

    @Test
    void filtersByCreationTime() {
        complete("time-1", "{}");

        assertThat(http.get("/actuator/idempotency?keyPrefix=time-&createdAfter=2000-01-01T00:00:00Z").json()
                .path("count").asInt()).isEqualTo(1);
        assertThat(http.get("/actuator/idempotency?keyPrefix=time-&createdBefore=2000-01-01T00:00:00Z").json()
                .path("count").asInt()).isZero();
    }

    private void complete(String key, String body) {
        Decision decision = idempotency.begin(Scope.of("alice", "POST /x"), IdempotencyKey.of(key),
                Fingerprint.of(body.getBytes(StandardCharsets.UTF_8)));
        ((Decision.Execute) decision).lease().finish(StoredResponse.of(201, List.of(),
                body.getBytes(StandardCharsets.UTF_8)));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(PermitAllSecurity.class)
    static class App {
    }
}
