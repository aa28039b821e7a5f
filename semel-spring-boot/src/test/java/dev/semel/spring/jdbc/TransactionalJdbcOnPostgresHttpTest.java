package dev.semel.spring.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.test.jdbc.TestDatabases;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@SpringBootTest(classes = TransactionalJdbcOnPostgresHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.jdbc.table-name=semel_spring_pg",
            "semel.store.jdbc.initialize-schema=always",
            "management.endpoints.web.exposure.include=health",
            "logging.level.root=warn",
            "management.endpoint.health.show-details=always"
        })
class TransactionalJdbcOnPostgresHttpTest extends TransactionalJdbcHttpTest {
    @Override
    String recordsTable() {
        return "semel_spring_pg";
    }

    @Test
    void aDeferredConstraintThatFailsAtCommitAnswers503AfterTheConverterFlushedAndARetryRunsAgain() {
        // the second row breaks a DEFERRABLE INITIALLY DEFERRED unique constraint: only COMMIT finds out,
        // after the handler returned and its 201 was written and flushed
        String key = UUID.randomUUID().toString();
        String order = "order-" + key;

        Http.Response failed = http.post("/ledger", "{\"id\":\"" + order + "\",\"twice\":\"yes\"}",
                "Idempotency-Key", key);

        assertThat(failed.status()).as("the client must not hold a 201 for writes that were rolled back")
                .isEqualTo(503);
        assertThat(failed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(failed.header("Retry-After")).isNotNull();
        assertThat(ledgerRows(order)).isZero();
        assertThat(records(key)).isZero();

        Http.Response retry = http.post("/ledger", "{\"id\":\"" + order + "\",\"twice\":\"yes\"}",
                "Idempotency-Key", key, "X-Fixed", "yes");

        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isNull();
        assertThat(ledgerRows(order)).isEqualTo(1);
        assertThat(records(key)).isEqualTo(1);
    }

    private int ledgerRows(String order) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + Ledger.TABLE + " WHERE id = ?", Integer.class, order);
    }

    @RestController
    static class Ledger {
        static final String TABLE = "semel_spring_test_ledger";
        private final JdbcTemplate jdbc;
        private final LedgerService service;

        Ledger(JdbcTemplate jdbc, LedgerService service) {
            this.jdbc = jdbc;
            this.service = service;
            jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id VARCHAR(200),"
                    + " CONSTRAINT " + TABLE + "_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
        }

        @Idempotent
        @PostMapping("/ledger")
        ResponseEntity<Map<String, Object>> book(@RequestBody Map<String, String> body,
                @org.springframework.web.bind.annotation.RequestHeader(name = "X-Fixed", required = false)
                String fixed) {
            service.book(body.get("id"), fixed == null);
            return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("id", body.get("id")));
        }
    }

    @Service
    static class LedgerService {
        private final JdbcTemplate jdbc;

        LedgerService(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional
        public void book(String id, boolean twice) {
            jdbc.update("INSERT INTO " + Ledger.TABLE + " (id) VALUES (?)", id);
            if (twice) {
                jdbc.update("INSERT INTO " + Ledger.TABLE + " (id) VALUES (?)", id); // checked only at commit
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({dev.semel.spring.PermitAllSecurity.class, Orders.class, OrderService.class, Ledger.class,
            LedgerService.class})
    static class App {
        @Bean(destroyMethod = "") // shared by the JVM's tests, closed at exit
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }
}
