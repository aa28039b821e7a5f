package dev.semel.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Scope;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.StoredResponse;
import dev.semel.spring.Http;
import dev.semel.spring.PermitAllSecurity;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

/**
 * A record whose response was encrypted under a key that is no longer configured: the engine
 * must not replay it, but an operator must still see it and delete it, not get a 500.
 */
@SpringBootTest(classes = UndecryptableRecordActuatorTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "semel.encryption.enabled=true",
            "semel.encryption.keys.current=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "management.endpoints.web.exposure.include=idempotency",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class UndecryptableRecordActuatorTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("key-removed-1");

    @LocalServerPort
    int port;

    @Autowired
    InMemoryIdempotencyStore raw;

    @Test
    void aRecordUnderARemovedKeyIsShownStillEncryptedAndCanBeDeleted() {
        ResponseEncryption removed = ResponseEncryption.builder()
                .key("removed", "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=").build();
        try (Idempotency before = Idempotency.create(removed.protect(raw))) {
            Decision decision = before.begin(SCOPE, KEY, Fingerprint.of(new byte[0]), CallOptions.DEFAULTS);
            ((Decision.Execute) decision).lease().complete(StoredResponse.of(201, List.of(),
                    "{\"iban\":\"DE89370400440532013000\"}".getBytes(StandardCharsets.UTF_8)));
        }
        Http http = new Http(port);
        String recordId = SCOPE.recordId(KEY);

        Http.Response shown = http.get("/actuator/idempotency/" + recordId);
        assertThat(shown.status()).isEqualTo(200);
        JsonNode record = shown.json();
        assertThat(record.path("key").asString()).isEqualTo("key-removed-1");
        assertThat(record.path("state").asString()).isEqualTo("COMPLETED");
        assertThat(shown.body()).doesNotContain("DE89370400440532013000");

        assertThat(http.delete("/actuator/idempotency/" + recordId).json().path("deleted").asBoolean()).isTrue();
        assertThat(http.get("/actuator/idempotency/" + recordId).status()).isEqualTo(404);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(PermitAllSecurity.class)
    static class App {
    }
}
