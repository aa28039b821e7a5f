package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Stops the application and starts it again on the same H2 file, as a user restarting the
 * service would: what was committed before is there after.
 */
class RestartPersistenceTest {
    private final String database = TestDatabases.h2File(Path.of("target", "test-data", "restart-" + UUID.randomUUID()));


    @Test
    void aPaymentAndItsKeySurviveARestartAndTheRetryReplaysByteForByte() {
        String key = UUID.randomUUID().toString();
        String body = payment("12.50", "EUR", "restart-" + UUID.randomUUID());
        Api.Reply before;
        try (ConfigurableApplicationContext first = Api.startService(database)) {
            before = Api.of(first).post("/payments", body, key);
        }
        assertThat(before.status()).isEqualTo(201);

        try (ConfigurableApplicationContext second = Api.startService(database)) {
            Api api = Api.of(second);
            assertThat(api.get(before.header("Location")).json()).isEqualTo(before.json());
            Api.Reply retry = api.post("/payments", body, key);
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(retry.bytes()).isEqualTo(before.bytes());
        }
    }
}
