package dev.semel.spring.jdbc;

import dev.semel.Idempotency;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.spring.EngineStores;
import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC store chosen from the application's DataSource, in transactional mode through
 * Spring's transaction manager: a {@code @Transactional} service's writes and the idempotency
 * record commit or roll back together. Each subclass runs it on one database.
 */
abstract class TransactionalJdbcHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    Idempotency idempotency;

    Http http;

    /** @return this database's idempotency table */
    abstract String recordsTable();

    @BeforeEach
    void setUp() {
        http = new Http(port);
    }

    @Test
    void choosesTheTransactionalJdbcStoreOverTheApplicationsDataSource() {
        assertThat(EngineStores.of(idempotency)).isInstanceOf(TransactionalJdbcIdempotencyStore.class);
        assertThat(((TransactionalJdbcIdempotencyStore) EngineStores.of(idempotency)).transactionBoundary())
                .isInstanceOf(SpringTransactionBoundary.class);
    }

    @Test
    void commitsTheBusinessWriteWithTheRecordAndReplaysWithoutWritingAgain() {
        String key = UUID.randomUUID().toString();
        String order = "order-" + key;

        Http.Response first = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);
        Http.Response retry = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(businessRows(order)).isEqualTo(1);
        assertThat(records(key)).isEqualTo(1);
    }

    @Test
    void aFailureAfterTheBusinessWriteRollsBackBothSoTheRetryRunsAgain() {
        String key = UUID.randomUUID().toString();
        String order = "order-" + key;
        FAIL_AFTER_WRITE.set(true);
        int attemptsBefore = OrderService.ATTEMPTS.get();

        Http.Response failed = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(failed.status()).isEqualTo(500);
        assertThat(businessRows(order)).isZero();
        assertThat(records(key)).isZero();

        Http.Response retry = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isNull();
        assertThat(OrderService.ATTEMPTS.get() - attemptsBefore).isEqualTo(2);
        assertThat(businessRows(order)).isEqualTo(1);
        assertThat(records(key)).isEqualTo(1);
    }

    @Test
    void aCommitThatFailsAfterTheConverterFlushedAnswers503AndNoneOfTheAnswerReachedTheClient() {
        // an inner @Transactional fails and marks the request's transaction rollback-only; the handler
        // still answers 201, Spring's JSON converter writes and flushes it, and only then the commit fails
        String key = UUID.randomUUID().toString();
        String order = "order-" + key;
        int attemptsBefore = OrderService.ATTEMPTS.get();

        Http.Response failed = http.post("/orders/doomed", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(failed.status()).as("the client must not hold a 201 for writes that were rolled back")
                .isEqualTo(503);
        assertThat(failed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(failed.header("Retry-After")).isNotNull();
        assertThat(failed.body()).doesNotContain(order);
        assertThat(businessRows(order)).isZero();
        assertThat(records(key)).isZero();

        Http.Response retry = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isNull();
        assertThat(OrderService.ATTEMPTS.get() - attemptsBefore).isEqualTo(2);
        assertThat(businessRows(order)).isEqualTo(1);
        assertThat(records(key)).isEqualTo(1);
    }

    @Test
    void anUnreadableBodyRollsTheClaimBackAndIsAnsweredSoTheCorrectedRetryRuns() {
        String key = UUID.randomUUID().toString();
        String order = "order-" + key;

        Http.Response unreadable = http.post("/orders", "{\"id\": ", "Idempotency-Key", key);

        assertThat(unreadable.status()).isEqualTo(400);
        assertThat(records(key)).isZero();

        Http.Response corrected = http.post("/orders", "{\"id\":\"" + order + "\"}", "Idempotency-Key", key);

        assertThat(corrected.status()).isEqualTo(201);
        assertThat(corrected.header("Idempotent-Replayed")).isNull();
        assertThat(businessRows(order)).isEqualTo(1);
        assertThat(records(key)).isEqualTo(1);
    }

    @Test
    void healthReportsTheJdbcStoreUp() {
        Http.Response health = http.get("/actuator/health/semel");

        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asString()).isEqualTo("UP");
    }

    int businessRows(String order) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + OrderService.TABLE + " WHERE id = ?", Integer.class,
                order);
    }

    int records(String key) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + recordsTable() + " WHERE idem_key = ?",
                Integer.class, key);
    }


    static final AtomicBoolean FAIL_AFTER_WRITE = new AtomicBoolean();

    @RestController
    static class Orders {
        private final OrderService service;

        Orders(OrderService service) {
            this.service = service;
        }

        @Idempotent
        @PostMapping("/orders")
        ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, String> body) {
            String id = service.create(body.get("id")); // its @Transactional joins the request's transaction
            if (FAIL_AFTER_WRITE.getAndSet(false)) {
                // after the service returned: without transactional mode its write would be committed already
                throw new IllegalStateException("failed after the business write");
            }
            return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("id", id));
        }

        @Idempotent
        @PostMapping("/orders/doomed")
        ResponseEntity<Map<String, Object>> createDoomed(@RequestBody Map<String, String> body) {
            String id = service.create(body.get("id"));
            try {
                service.failInside(); // joins, throws: the whole transaction is now rollback-only
            } catch (IllegalStateException handled) {
                // handled, as applications do; the commit will fail all the same
            }
            return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("id", id));
        }
    }

    @Service
    static class OrderService {
        static final String TABLE = "semel_spring_test_orders";
        static final AtomicInteger ATTEMPTS = new AtomicInteger();

        private final JdbcTemplate jdbc;

        OrderService(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
            jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id VARCHAR(200) PRIMARY KEY)");
        }

        @Transactional
        public String create(String id) {
            ATTEMPTS.incrementAndGet();
            jdbc.update("INSERT INTO " + TABLE + " (id) VALUES (?)", id);
            return id;
        }

        @Transactional
        public void failInside() {
            throw new IllegalStateException("an inner step failed");
        }
    }

    static Class<?>[] components() {
        return new Class<?>[] {PermitAllSecurity.class, Orders.class, OrderService.class};
    }
}
