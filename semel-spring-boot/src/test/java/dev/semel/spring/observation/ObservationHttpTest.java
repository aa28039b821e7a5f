package dev.semel.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.Http;
import dev.semel.spring.Idempotent;
import dev.semel.spring.PermitAllSecurity;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * What a trace of a Spring Boot application shows: a {@code semel.idempotency} span per protected
 * request and per {@code @Idempotent} call, tagged with the engine's decision, with the store calls
 * and the handler's own spans nested under it.
 */
@SpringBootTest(classes = ObservationHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.type=memory",
            "spring.autoconfigure.exclude=org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
class ObservationHttpTest {
    static final List<Observation.Context> STOPPED = new CopyOnWriteArrayList<>();
    static final BlockingQueue<CompletableFuture<Map<String, Object>>> PENDING = new LinkedBlockingQueue<>();

    @LocalServerPort
    int port;

    @Autowired
    TestObservationRegistry registry;

    @Autowired
    Worker worker;

    @BeforeEach
    void forgetEarlierRequests() {
        STOPPED.clear();
    }

    @Test
    void aProtectedRequestIsOneSpanWithItsStoreCallsAndTheHandlersWorkNestedUnderIt() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();

        assertThat(http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key).status()).isEqualTo(200);
        Observation.Context semel = await(c -> "semel.idempotency".equals(c.getName()));

        assertThat(semel.getContextualName()).isEqualTo("semel http");
        assertThat(semel.getLowCardinalityKeyValue("semel.kind").getValue()).isEqualTo("http");
        assertThat(semel.getLowCardinalityKeyValue("semel.outcome").getValue()).isEqualTo("executed");
        assertThat(semel.getHighCardinalityKeyValue("semel.scope.operation").getValue()).isEqualTo("POST /charges");
        Observation.Context work = only("charge.work");
        assertThat(work.getParentObservation().getContextView()).isSameAs(semel);
        List<Observation.Context> storeCalls = STOPPED.stream().filter(c -> "semel.store".equals(c.getName())).toList();
        assertThat(storeCalls).extracting(c -> c.getLowCardinalityKeyValue("semel.operation").getValue())
                .contains("claim", "complete");
        assertThat(storeCalls).allSatisfy(c -> assertThat(c.getParentObservation().getContextView()).isSameAs(semel));
    }

    @Test
    void eachOutcomeIsTagged() {
        Http http = new Http(port);
        String key = UUID.randomUUID().toString();

        http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key);
        http.post("/charges", "{\"amount\":1}", "Idempotency-Key", key);
        http.post("/charges", "{\"amount\":2}", "Idempotency-Key", key);
        http.post("/charges", "{\"amount\":1}", "Idempotency-Key", "k".repeat(300)); // too long
        http.post("/charges", "{\"amount\":1}");
        http.post("/plain", "{}", "Idempotency-Key", key);

        awaitCount(c -> "semel.idempotency".equals(c.getName()), 5);
        assertThat(STOPPED.stream().filter(c -> "semel.idempotency".equals(c.getName()))
                .map(c -> c.getLowCardinalityKeyValue("semel.outcome").getValue()))
                .as("an unprotected request is not observed")
                .containsExactlyInAnyOrder("executed", "replayed", "mismatch", "rejected", "rejected");
    }

    @Test
    void anAsynchronousRequestsSpanEndsWhenTheRequestDoesNotWhenItsThreadReturns() throws Exception {
        Http http = new Http(port);
        CompletableFuture<Http.Response> response = CompletableFuture.supplyAsync(
                () -> http.post("/async-charges", "{\"amount\":3}", "Idempotency-Key", UUID.randomUUID().toString()));
        CompletableFuture<Map<String, Object>> pending = PENDING.poll(10, TimeUnit.SECONDS);
        assertThat(pending).as("the handler ran").isNotNull();

        // the request thread has returned; the span must still be open (a bounded look, not a timing claim)
        long until = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < until && STOPPED.stream().noneMatch(c -> "semel.idempotency".equals(c.getName()))) {
            Thread.sleep(5);
        }
        assertThat(STOPPED).noneMatch(c -> "semel.idempotency".equals(c.getName()));

        pending.complete(Map.of("charged", 3));
        assertThat(response.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        Observation.Context semel = await(c -> "semel.idempotency".equals(c.getName()));
        assertThat(semel.getLowCardinalityKeyValue("semel.outcome").getValue()).isEqualTo("executed");
    }

    @Test
    void anIdempotentMethodReturningAFutureIsObservedUntilTheFutureCompletes() throws Exception {
        CompletableFuture<String> result = new CompletableFuture<>();
        CompletableFuture<String> call = worker.later(UUID.randomUUID().toString(), result);
        assertThat(STOPPED).noneMatch(c -> "semel.idempotency".equals(c.getName()));

        result.complete("later");
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("later");
        Observation.Context semel = await(c -> "semel.idempotency".equals(c.getName()));
        assertThat(semel.getLowCardinalityKeyValue("semel.kind").getValue()).isEqualTo("method");
    }

    @Test
    void anIdempotentMethodCallIsOneSpanPerCall() {
        Http http = new Http(port);
        String id = UUID.randomUUID().toString();

        assertThat(http.get("/work/" + id).body()).isEqualTo("done " + id);
        assertThat(http.get("/work/" + id).body()).isEqualTo("done " + id);

        awaitCount(c -> "semel.idempotency".equals(c.getName()), 2);
        List<Observation.Context> calls = STOPPED.stream().filter(c -> "semel.idempotency".equals(c.getName()))
                .toList();
        assertThat(calls).extracting(c -> c.getLowCardinalityKeyValue("semel.kind").getValue())
                .containsExactly("method", "method");
        assertThat(calls).extracting(c -> c.getLowCardinalityKeyValue("semel.outcome").getValue())
                .containsExactly("executed", "replayed");
        assertThat(calls.get(0).getHighCardinalityKeyValue("semel.scope.operation").getValue()).endsWith("Worker#run");
        assertThat(only("worker.run").getParentObservation().getContextView()).isSameAs(calls.get(0));
    }

    private static Observation.Context only(String name) {
        List<Observation.Context> named = STOPPED.stream().filter(c -> name.equals(c.getName())).toList();
        assertThat(named).hasSize(1);
        return named.get(0);
    }

    private static Observation.Context await(Predicate<Observation.Context> which) {
        awaitCount(which, 1);
        return STOPPED.stream().filter(which).findFirst().orElseThrow();
    }

    /** The server stops its observations after the response may have reached the client: wait for them. */
    private static void awaitCount(Predicate<Observation.Context> which, int count) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (STOPPED.stream().filter(which).count() < count && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5); // a poll, not a timing assumption: leave the cores to the server
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        assertThat(STOPPED.stream().filter(which).count()).isEqualTo(count);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({PermitAllSecurity.class, Endpoints.class, Worker.class})
    static class App {
        @Bean
        TestObservationRegistry observationRegistry() {
            TestObservationRegistry registry = TestObservationRegistry.create();
            registry.observationConfig().observationHandler(new ObservationHandler<>() {
                @Override
                public boolean supportsContext(Observation.Context context) {
                    return true;
                }

                @Override
                public void onStop(Observation.Context context) {
                    STOPPED.add(context);
                }
            });
            return registry;
        }
    }

    @RestController
    static class Endpoints {
        private final ObservationRegistry registry;
        private final Worker worker;

        Endpoints(ObservationRegistry registry, Worker worker) {
            this.registry = registry;
            this.worker = worker;
        }

        @Idempotent
        @PostMapping("/charges")
        Map<String, Object> charge(@RequestBody Map<String, Object> body) {
            return Observation.createNotStarted("charge.work", registry).observe(() -> body);
        }

        @Idempotent
        @PostMapping("/async-charges")
        CompletableFuture<Map<String, Object>> asyncCharge(@RequestBody Map<String, Object> body) {
            CompletableFuture<Map<String, Object>> result = new CompletableFuture<>();
            PENDING.add(result);
            return result;
        }

        @PostMapping("/plain")
        Map<String, Object> plain(@RequestBody Map<String, Object> body) {
            return body;
        }

        @GetMapping("/work/{id}")
        String work(@PathVariable("id") String id) {
            return worker.run(id);
        }
    }

    @Service
    static class Worker {
        private final ObservationRegistry registry;

        Worker(ObservationRegistry registry) {
            this.registry = registry;
        }

        @Idempotent(key = "#id")
        public CompletableFuture<String> later(String id, CompletableFuture<String> result) {
            return result;
        }

        @Idempotent(key = "#id")
        public String run(String id) {
            return Observation.createNotStarted("worker.run", registry).observe(() -> "done " + id);
        }
    }
}
