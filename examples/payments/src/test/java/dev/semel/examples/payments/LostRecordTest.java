package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * With a store whose record does not commit with the payment, the record can be lost while the
 * payment stays (a crash between the two; here: the in-memory store forgets on restart). The
 * retry with the same key must then get the payment already made, not a second charge.
 */
class LostRecordTest {
    private final String database = TestDatabases.h2File(Path.of("target", "test-data", "lost-" + UUID.randomUUID()));

    @Test
    void aRetryWhoseRecordWasLostGetsThePaymentAlreadyMadeInsteadOfASecondCharge() {
        String key = UUID.randomUUID().toString();
        String recipient = "lost-" + UUID.randomUUID();
        String body = payment("12.50", "EUR", recipient);
        Api.Reply first;
        try (ConfigurableApplicationContext before = Api.startService(database, "--semel.store.type=memory")) {
            first = Api.of(before).as("alice").post("/payments", body, key);
        }
        assertThat(first.status()).isEqualTo(201);

        try (ConfigurableApplicationContext after = Api.startService(database, "--semel.store.type=memory")) {
            Api alice = Api.of(after).as("alice");
            Api.Reply retry = alice.post("/payments", body, key);
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.json().get("id")).as("the payment already made").isEqualTo(first.json().get("id"));
            assertThat(alice.get("/payments?recipient=" + recipient).json().size()).as("charged once").isEqualTo(1);

            Api.Reply otherPayload = alice.post("/payments", payment("99.00", "EUR", recipient), key);
            assertThat(otherPayload.status()).as("another payment under the same key: %s", otherPayload).isIn(400, 422);
            Api.Reply bob = Api.of(after).as("bob").post("/payments", body, key);
            assertThat(bob.status()).isEqualTo(201);
            assertThat(bob.json().get("id")).as("bob's key is his own").isNotEqualTo(first.json().get("id"));
        }
    }
}
