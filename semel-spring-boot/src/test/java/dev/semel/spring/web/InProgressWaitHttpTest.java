package dev.semel.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyEvent;
import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import java.util.List;
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
import org.junit.jupiter.api.Nested;
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
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code @Idempotent(inProgress = WAIT)} on one controller method while the application's policy
 * stays {@code reject}: a duplicate that arrives while the first request runs waits for it and
 * gets its response replayed, up to {@code semel.in-progress.max-wait}; past the bound it gets
 * 409 with {@code Retry-After}.
 */
@SpringBootTest(classes = InProgressWaitHttpTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "semel.in-progress.policy=reject",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class InProgressWaitHttpTest {
    static final String BODY = "{\"item\": \"book\", \"quantity\": 2}";

    /** What both bounds share: the server's port, the wait signals and a race armed per test. */
    abstract class RaceFixture {
        @LocalServerPort
        int port;

        @Autowired
        WaitSignals signals;

        Race race;

        @BeforeEach
        void arm() {
            race = new Race(new Http(port), signals);
        }

        @AfterEach
        void release() {
            race.close();
        }
    }

    @Nested
    @TestPropertySource(properties = "semel.in-progress.max-wait=30s")
    class WithinTheWaitBound extends RaceFixture {
        @Test
        void aConcurrentDuplicateWaitsForTheFirstRequestAndGetsItsResponseReplayedInsteadOf409() throws Exception {
            String key = UUID.randomUUID().toString();

            race.start(key);
            assertThat(Orders.entered.await(30, TimeUnit.SECONDS)).as("one request runs the handler").isTrue();
            // Only a duplicate held back by the wait policy asks the store to wait for a change:
            // without this the duplicate might arrive after the first finished and replay anyway.
            assertThat(signals.waiting.await(30, TimeUnit.SECONDS)).as("the duplicate waits").isTrue();
            Orders.release.countDown();
            List<Http.Response> responses = race.responses();

            assertThat(responses).extracting(Http.Response::status).containsExactly(201, 201);
            List<Http.Response> replayed = responses.stream()
                    .filter(r -> "true".equals(r.header("Idempotent-Replayed"))).toList();
            List<Http.Response> original = responses.stream()
                    .filter(r -> r.header("Idempotent-Replayed") == null).toList();
            assertThat(replayed).as("exactly one response is the replay").hasSize(1);
            assertThat(original).hasSize(1);
            assertThat(replayed.get(0).body()).isEqualTo(original.get(0).body());
            assertThat(replayed.get(0).header("Location")).isEqualTo(original.get(0).header("Location")).isNotNull();
            assertThat(Orders.runs(key)).as("the handler ran once").isEqualTo(1);
            assertThat(signals.typesFor(key)).contains(IdempotencyEvent.Type.WAITED, IdempotencyEvent.Type.REPLAYED)
                    .doesNotContain(IdempotencyEvent.Type.CONFLICT);
        }
    }

    @Nested
    @TestPropertySource(properties = "semel.in-progress.max-wait=1s")
    class PastTheWaitBound extends RaceFixture {
        @Test
        void aDuplicateStillWaitingWhenTheBoundRunsOutGets409WithRetryAfter() throws Exception {
            String key = UUID.randomUUID().toString();

            race.start(key);
            assertThat(Orders.entered.await(30, TimeUnit.SECONDS)).as("one request runs the handler").isTrue();
            // The handler is held until the duplicate has its answer: the first takes longer than the bound.
            Http.Response duplicate = race.firstAnswer();

            assertThat(duplicate.status()).isEqualTo(409);
            assertThat(duplicate.header("Content-Type")).startsWith("application/problem+json");
            assertThat(duplicate.json().path("type").asString()).endsWith("/request-in-progress");
            assertThat(duplicate.header("Retry-After")).isNotNull();
            assertThat(Long.parseLong(duplicate.header("Retry-After"))).isPositive();
            assertThat(signals.typesFor(key)).as("it waited before the conflict")
                    .contains(IdempotencyEvent.Type.WAITED, IdempotencyEvent.Type.CONFLICT);
            assertThat(Orders.runs(key)).isEqualTo(1);

            Orders.release.countDown();
            List<Http.Response> responses = race.responses();
            Http.Response first = responses.stream().filter(r -> r.status() != 409).findFirst().orElseThrow();
            assertThat(first.status()).isEqualTo(201);
            Http.Response retry = race.http.post("/orders", BODY, "Idempotency-Key", key);
            assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(Orders.runs(key)).isEqualTo(1);
        }
    }

    /** Two requests with one key, released together. */
    static final class Race implements AutoCloseable {
        final Http http;
        private final ExecutorService pool = Executors.newFixedThreadPool(2);
        private List<CompletableFuture<Http.Response>> requests = List.of();

        Race(Http http, WaitSignals signals) {
            this.http = http;
            signals.reset();
            Orders.entered = new CountDownLatch(1);
            Orders.release = new CountDownLatch(1);
        }

        void start(String key) {
            CountDownLatch ready = new CountDownLatch(2);
            CountDownLatch go = new CountDownLatch(1);
            requests = List.of(send(key, ready, go), send(key, ready, go));
            try {
                if (!ready.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not both requests reached the start gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            go.countDown();
        }

        private CompletableFuture<Http.Response> send(String key, CountDownLatch ready, CountDownLatch go) {
            return CompletableFuture.supplyAsync(() -> {
                ready.countDown();
                try {
                    if (!go.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never started");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return http.post("/orders", BODY, "Idempotency-Key", key);
            }, pool);
        }

        Http.Response firstAnswer() throws Exception {
            return (Http.Response) CompletableFuture.anyOf(requests.toArray(CompletableFuture[]::new))
                    .get(30, TimeUnit.SECONDS);
        }

        List<Http.Response> responses() throws Exception {
            CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            return requests.stream().map(CompletableFuture::join).toList();
        }

        @Override
        public void close() {
            Orders.release.countDown();
            pool.shutdownNow();
        }
    }

    @RestController
    static class Orders {
        static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
        static volatile CountDownLatch entered = new CountDownLatch(0);
        static volatile CountDownLatch release = new CountDownLatch(0);

        static int runs(String key) {
            AtomicInteger runs = RUNS.get(key);
            return runs == null ? 0 : runs.get();
        }

        @Idempotent(inProgress = Idempotent.InProgress.WAIT)
        @PostMapping("/orders")
        ResponseEntity<Map<String, Object>> create(@RequestHeader("Idempotency-Key") String key,
                @RequestBody Map<String, Object> body) throws InterruptedException {
            int run = RUNS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            entered.countDown();
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
            String id = UUID.randomUUID().toString();
            return ResponseEntity.status(HttpStatus.CREATED).header("Location", "/orders/" + id)
                    .body(Map.of("id", id, "run", run, "item", body.get("item")));
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Orders.class})
    static class App {
        @Bean
        WaitSignals waitSignals() {
            return new WaitSignals();
        }
    }
}
