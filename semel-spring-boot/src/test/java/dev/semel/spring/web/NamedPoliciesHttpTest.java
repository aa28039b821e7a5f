package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyEvent;
import dev.semel.spring.Http;
import dev.semel.spring.IdempotencyConfigCustomizer;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import dev.semel.test.MutableClock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Named policies ({@code semel.policies.<name>.*}) seen from an HTTP client: the TTL, stored outcomes
 * and in-progress policy of {@code @Idempotent(policy = "...")} and of a policy's path patterns, and
 * the order in which settings apply: annotation attribute, named policy, {@code semel.policies.default},
 * top-level property. Time moves on a {@link MutableClock} the engine reads, never by sleeping.
 */
@SpringBootTest(classes = NamedPoliciesHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "semel.ttl=24h",
            "semel.in-progress.policy=reject",
            "semel.policies.default.ttl=2h",
            "semel.policies.refunds.ttl=10m",
            "semel.policies.refunds.stored-outcomes=final,503",
            "semel.policies.patient.in-progress=wait",
            "semel.policies.patient.max-wait=30s",
            "semel.policies.reports.path-patterns=/reports/**",
            "semel.policies.reports.ttl=30m",
            "semel.policies.reports.stored-outcomes=including-server-errors",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class NamedPoliciesHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    MutableClock clock;

    @Autowired
    WaitSignals signals;

    Http http;

    @BeforeEach
    void setUp() {
        http = new Http(port);
        signals.reset();
        Endpoints.entered = new CountDownLatch(1);
        Endpoints.release = new CountDownLatch(1);
    }

    @AfterEach
    void releaseHandlers() {
        Endpoints.release.countDown();
    }

    static String key() {
        return UUID.randomUUID().toString();
    }

    /** Whether a request with this key runs the handler or gets the stored response. */
    private boolean replays(String path, String key) {
        Http.Response response = http.post(path, "{}", "Idempotency-Key", key);
        assertThat(response.status()).as("%s with %s", path, key).isLessThan(500).isNotEqualTo(409);
        return "true".equals(response.header("Idempotent-Replayed"));
    }

    @Test
    void aNamedPolicysTtlBoundsHowLongItsEndpointReplaysWhileOthersKeepTheDefaultPolicys() {
        String refund = key();
        String payment = key();
        assertThat(replays("/refunds", refund)).isFalse();
        assertThat(replays("/payments", payment)).isFalse();
        assertThat(replays("/refunds", refund)).as("within the refunds policy's 10 minutes").isTrue();

        clock.advance(Duration.ofMinutes(11));

        assertThat(replays("/refunds", refund)).as("past semel.policies.refunds.ttl=10m: runs again").isFalse();
        assertThat(replays("/payments", payment)).as("no policy named: the default policy's 2 hours").isTrue();
    }

    @Test
    void theDefaultPolicyComesBeforeTheTopLevelProperty() {
        String payment = key();
        assertThat(replays("/payments", payment)).isFalse();

        clock.advance(Duration.ofMinutes(119));
        assertThat(replays("/payments", payment)).isTrue();
        clock.advance(Duration.ofMinutes(2));

        assertThat(replays("/payments", payment))
                .as("past semel.policies.default.ttl=2h, although semel.ttl is 24h").isFalse();
    }

    @Test
    void anAttributeOfTheAnnotationComesBeforeItsNamedPolicy() {
        String refund = key();
        assertThat(replays("/refunds/express", refund)).isFalse();

        clock.advance(Duration.ofMinutes(11));
        assertThat(replays("/refunds/express", refund)).as("ttl = \"1h\" wins over the policy's 10m").isTrue();
        clock.advance(Duration.ofMinutes(50));

        assertThat(replays("/refunds/express", refund)).as("past the annotation's hour").isFalse();
    }

    @Test
    void aNamedPolicysStoredOutcomesDecideWhetherA503IsReplayed() {
        String refund = key();
        String payment = key();
        int refundRuns = Endpoints.runs("/refunds/unavailable");
        int paymentRuns = Endpoints.runs("/payments/unavailable");

        Http.Response first = http.post("/refunds/unavailable", "{}", "Idempotency-Key", refund);
        Http.Response retry = http.post("/refunds/unavailable", "{}", "Idempotency-Key", refund);
        http.post("/payments/unavailable", "{}", "Idempotency-Key", payment);
        Http.Response paymentRetry = http.post("/payments/unavailable", "{}", "Idempotency-Key", payment);

        assertThat(first.status()).isEqualTo(503);
        assertThat(retry.status()).isEqualTo(503);
        assertThat(retry.header("Idempotent-Replayed")).as("stored-outcomes=final,503 keeps the 503").isEqualTo("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(Endpoints.runs("/refunds/unavailable") - refundRuns).isEqualTo(1);
        assertThat(paymentRetry.header("Idempotent-Replayed")).as("the default policy releases the key on 503").isNull();
        assertThat(Endpoints.runs("/payments/unavailable") - paymentRuns).isEqualTo(2);
    }

    @Test
    void aPolicysPathPatternsProtectUnannotatedHandlersWithItsSettings() {
        String report = key();
        int runs = Endpoints.runs("/reports/{id}");

        Http.Response withoutKey = http.post("/reports/r-1", "{}");
        Http.Response first = http.post("/reports/r-1", "{}", "Idempotency-Key", report);
        Http.Response retry = http.post("/reports/r-1", "{}", "Idempotency-Key", report);

        assertThat(withoutKey.status()).as("semel.web.key-required applies to a policy's patterns").isEqualTo(400);
        assertThat(withoutKey.json().path("type").asString()).endsWith("/idempotency-key-missing");
        assertThat(first.status()).isEqualTo(503);
        assertThat(retry.status()).isEqualTo(503);
        assertThat(retry.header("Idempotent-Replayed"))
                .as("stored-outcomes=including-server-errors of the reports policy").isEqualTo("true");
        assertThat(Endpoints.runs("/reports/{id}") - runs).isEqualTo(1);

        clock.advance(Duration.ofMinutes(31));
        Http.Response later = http.post("/reports/r-1", "{}", "Idempotency-Key", report);
        assertThat(later.header("Idempotent-Replayed")).as("past the reports policy's 30m").isNull();
        assertThat(Endpoints.runs("/reports/{id}") - runs).isEqualTo(2);

        String plain = key();
        http.post("/plain", "{}", "Idempotency-Key", plain);
        assertThat(http.post("/plain", "{}", "Idempotency-Key", plain).header("Idempotent-Replayed"))
                .as("a path no pattern names stays unprotected").isNull();
    }

    @Test
    void anAnnotatedHandlerOnAPolicysPathTakesThatPolicyUnlessItNamesAnother() {
        String annotated = key();
        String pinned = key();
        assertThat(replays("/reports/annotated", annotated)).isFalse();
        assertThat(replays("/reports/pinned", pinned)).isFalse();

        clock.advance(Duration.ofMinutes(31));

        assertThat(replays("/reports/annotated", annotated))
                .as("@Idempotent without a policy on /reports/**: the reports policy's 30m").isFalse();
        assertThat(replays("/reports/pinned", pinned))
                .as("@Idempotent(policy = \"default\") on /reports/**: the default policy's 2h").isTrue();
    }

    @Test
    void aNamedPolicysWaitHoldsADuplicateUntilTheFirstRequestAnswersAndReplaysIt() throws Exception {
        String key = key();
        int runs = Endpoints.runs("/patient");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(
                    () -> http.post("/patient", "{}", "Idempotency-Key", key), pool);
            assertThat(Endpoints.entered.await(30, TimeUnit.SECONDS)).as("the first request runs").isTrue();
            CompletableFuture<Http.Response> duplicate = CompletableFuture.supplyAsync(
                    () -> http.post("/patient", "{}", "Idempotency-Key", key), pool);
            // semel.in-progress.policy=reject would answer 409 at once; the patient policy waits
            assertThat(signals.waiting.await(30, TimeUnit.SECONDS)).as("the duplicate waits").isTrue();
            Endpoints.release.countDown();

            Http.Response original = first.get(30, TimeUnit.SECONDS);
            Http.Response replayed = duplicate.get(30, TimeUnit.SECONDS);
            assertThat(original.status()).isEqualTo(201);
            assertThat(replayed.status()).isEqualTo(201);
            assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(replayed.body()).isEqualTo(original.body());
            assertThat(Endpoints.runs("/patient") - runs).isEqualTo(1);
            assertThat(signals.typesFor(key)).contains(IdempotencyEvent.Type.WAITED)
                    .doesNotContain(IdempotencyEvent.Type.CONFLICT);
        } finally {
            Endpoints.release.countDown();
            pool.shutdownNow();
        }
    }

    @RestController
    static class Endpoints {
        static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
        static volatile CountDownLatch entered = new CountDownLatch(0);
        static volatile CountDownLatch release = new CountDownLatch(0);

        static int runs(String route) {
            AtomicInteger n = RUNS.get(route);
            return n == null ? 0 : n.get();
        }

        private static Map<String, Object> run(String route) {
            return Map.of("route", route, "run", RUNS.computeIfAbsent(route, r -> new AtomicInteger()).incrementAndGet(),
                    "id", UUID.randomUUID().toString());
        }

        @Idempotent
        @PostMapping("/payments")
        Map<String, Object> payment() {
            return run("/payments");
        }

        @Idempotent
        @PostMapping("/payments/unavailable")
        ResponseEntity<Map<String, Object>> paymentUnavailable() {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(run("/payments/unavailable"));
        }

        @Idempotent(policy = "refunds")
        @PostMapping("/refunds")
        Map<String, Object> refund() {
            return run("/refunds");
        }

        @Idempotent(policy = "refunds", ttl = "1h")
        @PostMapping("/refunds/express")
        Map<String, Object> expressRefund() {
            return run("/refunds/express");
        }

        @Idempotent(policy = "refunds")
        @PostMapping("/refunds/unavailable")
        ResponseEntity<Map<String, Object>> refundUnavailable() {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(run("/refunds/unavailable"));
        }

        @PostMapping("/reports/{id}")
        ResponseEntity<Map<String, Object>> report(@PathVariable String id) {
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(run("/reports/{id}"));
        }

        @Idempotent
        @PostMapping("/reports/annotated")
        Map<String, Object> annotatedReport() {
            return run("/reports/annotated");
        }

        @Idempotent(policy = "default")
        @PostMapping("/reports/pinned")
        Map<String, Object> pinnedReport() {
            return run("/reports/pinned");
        }

        @PostMapping("/plain")
        Map<String, Object> plain() {
            return run("/plain");
        }

        @Idempotent(policy = "patient")
        @PostMapping("/patient")
        ResponseEntity<Map<String, Object>> patient() throws InterruptedException {
            Map<String, Object> body = run("/patient");
            entered.countDown();
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            return ResponseEntity.status(HttpStatus.CREATED).body(body);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Endpoints.class})
    static class App {
        @Bean
        MutableClock clock() {
            return new MutableClock();
        }

        @Bean
        IdempotencyConfigCustomizer testClock(MutableClock clock) {
            return builder -> builder.clock(clock);
        }

        @Bean
        WaitSignals waitSignals() {
            return new WaitSignals();
        }
    }
}
