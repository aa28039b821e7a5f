package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * JDBC transactional mode: the payment and its idempotency record commit or roll back
 * together. A request that dies after writing its payment leaves neither behind, so the
 * retry with the same key charges exactly once.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "payments.provider.latency=0ms")
class TransactionalModeTest {
    @LocalServerPort
    int port;
    @Autowired
    IdempotencyStore store;
    @Autowired
    JdbcClient jdbc;
    Api api;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> TestDatabases.h2File(Path.of("target", "test-data", "tx-" + UUID.randomUUID())));
    }

    @BeforeEach
    void connect() {
        api = Api.onPort(port);
    }

    /** Fails the first payment to a {@code crash-…} recipient after it was written, as a crash would. */
    @TestConfiguration
    static class CrashAfterWrite {
        final Set<String> crashed = ConcurrentHashMap.newKeySet();

        @Bean
        CrashAfterWrite crashAfterWrite() {
            return this;
        }

        @EventListener
        void on(PaymentCreated event) {
            if (event.payment().recipient().startsWith("crash-") && crashed.add(event.payment().recipient())) {
                throw new IllegalStateException("simulated crash after the payment row was written");
            }
        }
    }

    @Test
    void byDefaultTheRecordsLiveInTheApplicationsDatabaseInTransactionalMode() {
        long before = records();

        api.post("/payments", payment("1.00", "EUR", "tx-" + UUID.randomUUID()), UUID.randomUUID().toString());

        assertThat(store).isInstanceOf(TransactionalIdempotencyStore.class);
        assertThat(records()).isEqualTo(before + 1);
    }

    private long records() {
        return jdbc.sql("SELECT COUNT(*) FROM semel_idempotency").query(Long.class).single();
    }

    @Test
    void aRequestThatDiesAfterWritingItsPaymentLeavesNoPaymentAndNoRecord() {
        String key = UUID.randomUUID().toString();
        String to = "crash-" + UUID.randomUUID();
        String body = payment("20.00", "EUR", to);
        long recordsBefore = records();

        Api.Reply crashed = api.post("/payments", body, key);

        assertThat(crashed.status()).isEqualTo(500);
        assertThat(crashed.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(api.get("/payments?recipient=" + to).json().size()).isZero();
        assertThat(records()).isEqualTo(recordsBefore);

        Api.Reply retry = api.post("/payments", body, key);
        Api.Reply again = api.post("/payments", body, key);

        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isNull();
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(api.get("/payments?recipient=" + to).json().size()).isEqualTo(1);
        assertThat(records()).isEqualTo(recordsBefore + 1);
    }
}
