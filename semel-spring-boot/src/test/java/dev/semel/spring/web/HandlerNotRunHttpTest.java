package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.spi.RecordQuery;
import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Stripe's rule: an answer Spring MVC gives before the handler method ran is not stored, so the
 * corrected retry with the same key runs (instead of getting 422 for a changed payload).
 */
class HandlerNotRunHttpTest {
    static final AtomicInteger ORDERS = new AtomicInteger();

    static String key() {
        return "k-" + UUID.randomUUID();
    }

    @SpringBootTest(classes = App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {
                "semel.store.type=memory",
                "semel.web.path-patterns=/configured/**",
                "spring.mvc.problemdetails.enabled=true",
                "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
            })
    @Nested
    class ByDefault {
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
        void aValidationErrorIsNotStoredSoTheCorrectedRetryWithTheSameKeyRuns() {
            String key = key();
            int before = ORDERS.get();

            Http.Response invalid = http.post("/orders", "{\"item\": \"\", \"quantity\": 2}", "Idempotency-Key", key);
            Http.Response corrected = http.post("/orders", "{\"item\": \"book\", \"quantity\": 2}",
                    "Idempotency-Key", key);
            Http.Response retry = http.post("/orders", "{\"item\": \"book\", \"quantity\": 2}", "Idempotency-Key", key);

            assertThat(invalid.status()).isEqualTo(400);
            assertThat(corrected.status()).isEqualTo(201);
            assertThat(corrected.header("Idempotent-Replayed")).isNull();
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(ORDERS.get() - before).isEqualTo(1);
        }

        @Test
        void anUnreadableBodyATypeMismatchAndAnUnsupportedMediaTypeAreNotStored() {
            String key = key();
            assertThat(http.post("/orders", "{\"item\": ", "Idempotency-Key", key).status()).isEqualTo(400);
            assertThat(records(key)).isZero();

            assertThat(http.postAs("text/plain", "/orders", "book", "Idempotency-Key", key).status()).isEqualTo(415);
            assertThat(records(key)).isZero();

            String other = key();
            assertThat(http.post("/orders/priced?price=abc", "{}", "Idempotency-Key", other).status()).isEqualTo(400);
            assertThat(records(other)).isZero();
            assertThat(http.post("/orders/priced?price=5", "{}", "Idempotency-Key", other).status()).isEqualTo(201);
            assertThat(records(other)).isEqualTo(1);
        }

        @Test
        void aConfiguredPathWithoutAHandlerAnswers404WithoutStoringIt() {
            String key = key();
            assertThat(http.post("/configured/nowhere", "{}", "Idempotency-Key", key).status()).isEqualTo(404);
            assertThat(records(key)).isZero();
        }

        @Test
        void aNotFoundThatTheHandlerAnswersItselfIsFinalAndReplayed() {
            String key = key();
            Http.Response first = http.post("/orders/missing", "{}", "Idempotency-Key", key);
            Http.Response retry = http.post("/orders/missing", "{}", "Idempotency-Key", key);

            assertThat(first.status()).isEqualTo(404);
            assertThat(retry.status()).isEqualTo(404);
            assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        }

        private int records(String key) {
            return idempotency.admin().records(RecordQuery.all().withKeyPrefix(key)).size();
        }
    }

    @SpringBootTest(classes = App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {
                "semel.store.type=memory",
                "semel.web.release-before-handler=false",
                "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
            })
    @Nested
    class WhenSwitchedOff {
        @LocalServerPort
        int port;

        @Test
        void aValidationErrorIsStoredAndTheCorrectedRetryIsAMismatch() {
            Http http = new Http(port);
            String key = key();
            assertThat(http.post("/orders", "{\"item\": \"\", \"quantity\": 2}", "Idempotency-Key", key).status())
                    .isEqualTo(400);
            assertThat(http.post("/orders", "{\"item\": \"book\", \"quantity\": 2}", "Idempotency-Key", key).status())
                    .isEqualTo(422);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Orders.class})
    static class App {
    }

    record Order(@NotBlank String item, @Positive int quantity) {
    }

    @RestController
    static class Orders {
        @Idempotent
        @PostMapping("/orders")
        ResponseEntity<String> create(@Valid @RequestBody Order order) {
            return ResponseEntity.status(HttpStatus.CREATED).body("order-" + ORDERS.incrementAndGet());
        }

        @Idempotent
        @PostMapping("/orders/priced")
        ResponseEntity<String> priced(@RequestParam int price) {
            return ResponseEntity.status(HttpStatus.CREATED).body("priced-" + price);
        }

        @Idempotent
        @PostMapping("/orders/missing")
        ResponseEntity<String> missing() {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no such order");
        }
    }
}
