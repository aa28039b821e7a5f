package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@SpringBootTest(classes = WebMvcIdempotencyHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "semel.web.path-patterns=/configured/**",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class WebMvcIdempotencyHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Autowired
    Idempotency idempotency;

    Http http;

    @BeforeEach
    void setUp() {
        http = new Http(port);
    }

    static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    void replaysTheFirstResponseToARetryWithTheSameKeyWithoutRunningTheHandlerAgain() {
        String key = key();
        int before = Payments.CHARGES.get();
        double replaysBefore = requests("replayed");

        Http.Response first = http.post("/payments", "{\"amount\": 10}", "Idempotency-Key", key);
        Http.Response retry = http.post("/payments", "{ \"amount\":10 }", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(Payments.CHARGES.get() - before).isEqualTo(1);
        assertThat(requests("replayed") - replaysBefore).isGreaterThanOrEqualTo(1);
    }

    private double requests(String outcome) {
        Counter counter = meters.find("semel.requests").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void refusesAnAnnotatedHandlerWithoutItsRequiredKeyWithAProblemDetail() {
        Http.Response response = http.post("/payments", "{\"amount\": 10}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.path("type").asString()).isEqualTo("https://semel.dev/problems/idempotency-key-missing");
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("title").asString()).isNotBlank();
        assertThat(problem.path("instance").asString()).isEqualTo("/payments");
    }

    @Test
    void refusesAMalformedKeyWith400() {
        Http.Response response = http.post("/payments", "{}", "Idempotency-Key", "a".repeat(300));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("type").asString()).endsWith("/idempotency-key-malformed");
    }

    @Test
    void scopesKeysByRouteTemplateSoAKeyReusedOnAnotherPaymentIsAMismatchNotAReplay() {
        String key = key();

        Http.Response refundA = http.post("/payments/A/refunds", "{\"amount\": 5}", "Idempotency-Key", key);
        Http.Response refundB = http.post("/payments/B/refunds", "{\"amount\": 5}", "Idempotency-Key", key);

        assertThat(refundA.status()).isEqualTo(200);
        assertThat(refundB.status()).isEqualTo(422);
        assertThat(refundB.json().path("type").asString()).endsWith("/idempotency-key-reused");
        assertThat(refundB.json().path("idempotencyKey").asString()).isEqualTo(key);
    }

    @Test
    void theSameKeyOnTwoRoutesNeverCollides() {
        String key = key();

        Http.Response payment = http.post("/payments", "{\"amount\": 5}", "Idempotency-Key", key);
        Http.Response refund = http.post("/payments/A/refunds", "{\"amount\": 5}", "Idempotency-Key", key);

        assertThat(payment.status()).isEqualTo(201);
        assertThat(refund.status()).isEqualTo(200);
        assertThat(refund.header("Idempotent-Replayed")).isNull();
    }

    @Test
    void anOptionalKeyRouteRunsUnprotectedWithoutAKeyAndReplaysWithOne() {
        int before = Payments.REFUNDS.get();
        http.post("/payments/C/refunds", "{\"amount\": 1}");
        http.post("/payments/C/refunds", "{\"amount\": 1}");
        assertThat(Payments.REFUNDS.get() - before).isEqualTo(2);

        String key = key();
        http.post("/payments/C/refunds", "{\"amount\": 1}", "Idempotency-Key", key);
        Http.Response retry = http.post("/payments/C/refunds", "{\"amount\": 1}", "Idempotency-Key", key);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(Payments.REFUNDS.get() - before).isEqualTo(3);
    }

    @Test
    void handlersWithoutTheAnnotationOrAPatternAreNotTouched() {
        String key = key();
        int before = Payments.PLAIN.get();

        http.post("/plain", "{}", "Idempotency-Key", key);
        Http.Response second = http.post("/plain", "{}", "Idempotency-Key", key);

        assertThat(second.header("Idempotent-Replayed")).isNull();
        assertThat(Payments.PLAIN.get() - before).isEqualTo(2);
    }

    @Test
    void pathPatternsFromPropertiesProtectHandlersWithoutTheAnnotation() {
        String key = key();
        int before = Payments.CONFIGURED.get();

        Http.Response first = http.post("/configured/x", "{}", "Idempotency-Key", key);
        Http.Response retry = http.post("/configured/x", "{}", "Idempotency-Key", key);
        Http.Response missing = http.post("/configured/x", "{}");

        assertThat(first.status()).isEqualTo(200);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(Payments.CONFIGURED.get() - before).isEqualTo(1);
    }

    @Test
    void pathPatternsProtectEveryUnsafeMethodByDefaultLikeTheAnnotation() {
        String key = key();
        int before = Payments.CONFIGURED.get();

        Http.Response first = http.put("/configured/y", "{}", "Idempotency-Key", key);
        Http.Response retry = http.put("/configured/y", "{}", "Idempotency-Key", key);
        Http.Response missing = http.put("/configured/y", "{}");

        assertThat(first.status()).isEqualTo(200);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(Payments.CONFIGURED.get() - before).isEqualTo(1);
    }

    @Test
    void aDuplicateWhileTheFirstRequestStillRunsGets409WithRetryAfter() throws Exception {
        String key = key();
        double conflictsBefore = requests("conflict");
        Payments.slowEntered = new CountDownLatch(1);
        Payments.slowRelease = new CountDownLatch(1);
        CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(
                () -> http.post("/slow", "{}", "Idempotency-Key", key));
        try {
            assertThat(Payments.slowEntered.await(30, TimeUnit.SECONDS)).isTrue();

            Http.Response duplicate = http.post("/slow", "{}", "Idempotency-Key", key);

            assertThat(duplicate.status()).isEqualTo(409);
            assertThat(duplicate.header("Retry-After")).isNotNull();
            assertThat(duplicate.json().path("type").asString()).endsWith("/request-in-progress");
            assertThat(requests("conflict") - conflictsBefore).isEqualTo(1);
        } finally {
            Payments.slowRelease.countDown();
        }
        assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(http.post("/slow", "{}", "Idempotency-Key", key).header("Idempotent-Replayed")).isEqualTo("true");
    }

    @Test
    void anEndpointsOwnTtlFromTheAnnotationOverridesTheConfiguredOne() {
        String key = key();

        assertThat(http.post("/quotes", "{}", "Idempotency-Key", key).status()).isEqualTo(200);

        IdempotencyRecord record = idempotency.admin().records(RecordQuery.all().withKeyPrefix(key)).get(0);
        // 90 minutes from completion, not the configured 24 hours
        assertThat(Duration.between(record.createdAt(), record.expiresAt()))
                .isBetween(Duration.ofMinutes(90), Duration.ofMinutes(91));
    }

    @RestController
    static class Payments {
        static final AtomicInteger CHARGES = new AtomicInteger();
        static final AtomicInteger REFUNDS = new AtomicInteger();
        static final AtomicInteger PLAIN = new AtomicInteger();
        static final AtomicInteger CONFIGURED = new AtomicInteger();
        static volatile CountDownLatch slowEntered = new CountDownLatch(0);
        static volatile CountDownLatch slowRelease = new CountDownLatch(0);

        @Idempotent
        @PostMapping("/payments")
        ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, Object> body) {
            int n = CHARGES.incrementAndGet();
            return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("id", "pay-" + n, "amount", body.get("amount")));
        }

        @Idempotent(required = false)
        @PostMapping("/payments/{id}/refunds")
        Map<String, Object> refund(@PathVariable String id, @RequestBody Map<String, Object> body) {
            return Map.of("payment", id, "refund", REFUNDS.incrementAndGet());
        }

        @PostMapping("/plain")
        Map<String, Object> plain() {
            return Map.of("n", PLAIN.incrementAndGet());
        }

        @org.springframework.web.bind.annotation.RequestMapping(path = "/configured/{x}", method = {
            org.springframework.web.bind.annotation.RequestMethod.POST,
            org.springframework.web.bind.annotation.RequestMethod.PUT})
        Map<String, Object> configured(@PathVariable String x) {
            return Map.of("n", CONFIGURED.incrementAndGet());
        }

        @Idempotent(ttl = "90m")
        @PostMapping("/quotes")
        Map<String, Object> quote() {
            return Map.of("quote", 42);
        }

        @Idempotent
        @PostMapping("/slow")
        Map<String, Object> slow() throws InterruptedException {
            slowEntered.countDown();
            if (!slowRelease.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            return Map.of("done", true);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Payments.class})
    static class App {
    }
}
