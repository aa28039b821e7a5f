package dev.semel.spring.method;

import dev.semel.Idempotency;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyListener;
import dev.semel.StoreOperation;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spring.EngineStores;
import dev.semel.spring.IdempotencyConfigCustomizer;
import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.test.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code @Idempotent(policy = "...")} on Spring bean methods: the named policy's TTL, lease and
 * in-progress policy apply, an attribute of the annotation wins over its policy, and methods that
 * name no policy get {@code semel.policies.default} before the top-level properties.
 */
class IdempotentMethodPolicyTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                    SemelMethodAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory",
                    "semel.ttl=24h",
                    "semel.in-progress.policy=reject",
                    "semel.policies.default.ttl=2h",
                    "semel.policies.short.ttl=5m",
                    "semel.policies.long-running.lease=10m",
                    "semel.policies.patient.in-progress=wait",
                    "semel.policies.patient.max-wait=30s")
            .withUserConfiguration(Beans.class);

    @Configuration(proxyBeanMethods = false)
    static class Beans {
        @Bean
        Jobs jobs() {
            return new Jobs();
        }

        @Bean
        MutableClock clock() {
            return new MutableClock();
        }

        @Bean
        IdempotencyConfigCustomizer testClock(MutableClock clock) {
            return builder -> builder.clock(clock);
        }

        @Bean
        Waits waits() {
            return new Waits();
        }
    }

    /** Counts when a duplicate starts waiting for the first call. */
    static final class Waits implements IdempotencyListener {
        final CountDownLatch waiting = new CountDownLatch(1);

        @Override
        public void onStoreCallStart(StoreOperation operation) {
            if (operation == StoreOperation.AWAIT) {
                waiting.countDown();
            }
        }
    }

    /** A proxied bean: the test reaches its state through methods, which the proxy passes to the target. */
    static class Jobs {
        private final AtomicInteger runs = new AtomicInteger();
        private volatile CountDownLatch entered = new CountDownLatch(0);
        private volatile CountDownLatch gate = new CountDownLatch(0);

        public void hold() {
            entered = new CountDownLatch(1);
            gate = new CountDownLatch(1);
        }

        public boolean awaitEntered() throws InterruptedException {
            return entered.await(30, TimeUnit.SECONDS);
        }

        public void release() {
            gate.countDown();
        }

        public int runs() {
            return runs.get();
        }

        @Idempotent(key = "#id", policy = "short")
        public String shortLived(String id) {
            return id + "-" + runs.incrementAndGet();
        }

        @Idempotent(key = "#id", policy = "short", ttl = "1h")
        public String shortPolicyLongerTtl(String id) {
            return id + "-" + runs.incrementAndGet();
        }

        @Idempotent(key = "#id")
        public String noPolicy(String id) {
            return id + "-" + runs.incrementAndGet();
        }

        @Idempotent(key = "#id", policy = "long-running")
        public String longRunning(String id) throws InterruptedException {
            return held(id);
        }

        @Idempotent(key = "#id", policy = "patient")
        public String patient(String id) throws InterruptedException {
            return held(id);
        }

        @Idempotent(key = "#id", policy = "patient", inProgress = Idempotent.InProgress.REJECT)
        public String impatient(String id) throws InterruptedException {
            return held(id);
        }

        private String held(String id) throws InterruptedException {
            int run = runs.incrementAndGet();
            entered.countDown();
            if (!gate.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
            return id + "-" + run;
        }
    }

    @Test
    void aNamedPolicysTtlBoundsHowLongTheResultIsReplayed() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            MutableClock clock = context.getBean(MutableClock.class);
            assertThat(jobs.shortLived("a")).isEqualTo("a-1");
            assertThat(jobs.noPolicy("b")).isEqualTo("b-2");
            assertThat(jobs.shortLived("a")).isEqualTo("a-1");

            clock.advance(Duration.ofMinutes(6));

            assertThat(jobs.shortLived("a")).as("past semel.policies.short.ttl=5m").isEqualTo("a-3");
            assertThat(jobs.noPolicy("b")).as("no policy: the default policy's 2h").isEqualTo("b-2");
        });
    }

    @Test
    void theAnnotationsTtlWinsOverItsPolicyAndTheDefaultPolicyOverTheTopLevelTtl() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            MutableClock clock = context.getBean(MutableClock.class);
            assertThat(jobs.shortPolicyLongerTtl("c")).isEqualTo("c-1");
            assertThat(jobs.noPolicy("d")).isEqualTo("d-2");

            clock.advance(Duration.ofMinutes(6));
            assertThat(jobs.shortPolicyLongerTtl("c")).as("ttl = \"1h\" wins over the policy's 5m").isEqualTo("c-1");
            clock.advance(Duration.ofMinutes(55));
            assertThat(jobs.shortPolicyLongerTtl("c")).as("past the annotation's hour").isEqualTo("c-3");

            clock.advance(Duration.ofMinutes(60));
            assertThat(jobs.noPolicy("d")).as("past semel.policies.default.ttl=2h, although semel.ttl is 24h")
                    .isEqualTo("d-4");
        });
    }

    @Test
    void aNamedPolicysLeaseIsTheLeaseOfItsCalls() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            MutableClock clock = context.getBean(MutableClock.class);
            Idempotency idempotency = context.getBean(Idempotency.class);
            jobs.hold();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> {
                    try {
                        return jobs.longRunning("e");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool);
                assertThat(jobs.awaitEntered()).isTrue();

                List<IdempotencyRecord> running = EngineStores.of(idempotency).query(RecordQuery.all().withKeyPrefix("e"),
                        clock.instant());
                assertThat(running).hasSize(1);
                assertThat(Duration.between(running.get(0).createdAt(), running.get(0).leaseDeadline()))
                        .as("semel.policies.long-running.lease=10m, not semel.lease=30s").isEqualTo(Duration.ofMinutes(10));

                jobs.release();
                assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("e-1");
            } finally {
                jobs.release();
                pool.shutdownNow();
            }
        });
    }

    @Test
    void aNamedPolicysWaitMakesADuplicateCallWaitForTheFirstAndReturnItsResult() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            jobs.hold();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> call(() -> jobs.patient("f")), pool);
                assertThat(jobs.awaitEntered()).isTrue();
                CompletableFuture<String> duplicate =
                        CompletableFuture.supplyAsync(() -> call(() -> jobs.patient("f")), pool);
                // semel.in-progress.policy=reject would throw at once; the patient policy waits
                assertThat(context.getBean(Waits.class).waiting.await(30, TimeUnit.SECONDS))
                        .as("the duplicate waits").isTrue();
                jobs.release();

                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("f-1");
                assertThat(duplicate.get(30, TimeUnit.SECONDS)).isEqualTo("f-1");
                assertThat(jobs.runs()).isEqualTo(1);
            } finally {
                jobs.release();
                pool.shutdownNow();
            }
        });
    }

    @Test
    void theAnnotationsInProgressWinsOverItsPolicysWait() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            jobs.hold();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> call(() -> jobs.impatient("g")), pool);
                assertThat(jobs.awaitEntered()).isTrue();

                assertThatThrownBy(() -> jobs.impatient("g")).isInstanceOf(IdempotencyInProgressException.class);
                assertThat(context.getBean(Waits.class).waiting.getCount())
                        .as("inProgress = REJECT answered at once, without waiting as the policy would").isEqualTo(1);

                jobs.release();
                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("g-1");
            } finally {
                jobs.release();
                pool.shutdownNow();
            }
        });
    }

    private interface Call {
        String run() throws InterruptedException;
    }

    private static String call(Call call) {
        try {
            return call.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
