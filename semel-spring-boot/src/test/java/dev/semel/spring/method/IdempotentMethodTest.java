package dev.semel.spring.method;

import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyMismatchException;
import dev.semel.IdempotencyResultNotRetainedException;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.spring.IdempotencyConfigCustomizer;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.method.Handlers.CardDeclinedException;
import dev.semel.spring.method.Handlers.ChargeCommand;
import dev.semel.spring.method.Handlers.Payments;
import dev.semel.spring.method.Handlers.PaymentsController;
import dev.semel.spring.method.Handlers.Receipt;
import dev.semel.spring.method.Handlers.ShipOrder;
import dev.semel.spring.method.Handlers.ShippingBus;
import dev.semel.spring.method.Handlers.Square;
import dev.semel.test.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdempotentMethodTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                    SemelMethodAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory")
            .withUserConfiguration(Beans.class);

    @Configuration(proxyBeanMethods = false)
    static class Beans {
        @Bean
        Payments payments() {
            return new Payments();
        }

        @Bean
        ShippingBus shippingBus() {
            return new ShippingBus();
        }

        @Bean
        PaymentsController paymentsController() {
            return new PaymentsController();
        }

        @Bean
        MutableClock clock() {
            return new MutableClock();
        }

        @Bean
        Followers followers() {
            return new Followers();
        }

        @Bean
        IdempotencyConfigCustomizer testClock(MutableClock clock) {
            return builder -> builder.clock(clock);
        }
    }


    @Test
    void aRepeatedCallWithTheSameKeyReturnsTheStoredResultWithoutRunningAgain() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            ChargeCommand command = new ChargeCommand("req-1", "acc-9", 1250);
            Receipt first = payments.charge(command);
            Receipt again = payments.charge(command);
            assertThat(again).isEqualTo(first).isEqualTo(new Receipt("r-1", "acc-9", 1250));
            assertThat(payments.charge(new ChargeCommand("req-2", "acc-9", 1250)).id()).isEqualTo("r-2");
            assertThat(payments.runs()).isEqualTo(2);
            assertThat(payments.notAnnotated("req-1")).isEqualTo("run-3");
            assertThat(payments.notAnnotated("req-1")).isEqualTo("run-4");
        });
    }

    @Test
    void theSameKeyWithOtherArgumentsIsAMismatchThatNamesTheKey() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            payments.charge(new ChargeCommand("req-1", "acc-9", 1250));
            assertThatThrownBy(() -> payments.charge(new ChargeCommand("req-1", "acc-9", 9999)))
                    .isInstanceOf(IdempotencyMismatchException.class)
                    .hasMessageContaining("'req-1'");
            assertThat(payments.runs()).isEqualTo(1);
        });
    }

    @Test
    void theScopeExpressionKeepsTenantsApart() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            Receipt alice = payments.chargeForTenant("alice", "k", 10);
            Receipt bob = payments.chargeForTenant("bob", "k", 10);
            assertThat(alice.id()).isEqualTo("r-1");
            assertThat(bob.id()).isEqualTo("r-2");
            assertThat(payments.chargeForTenant("alice", "k", 10)).isEqualTo(alice);
        });
    }

    @Test
    void genericCollectionsMapsOptionalsAndVoidAreReplayedAsTheirDeclaredTypes() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            List<Receipt> batch = payments.batch("b", 2);
            assertThat(payments.batch("b", 2)).isEqualTo(batch).first().isInstanceOf(Receipt.class);
            Map<String, List<Receipt>> byAccount = payments.byAccount("m");
            assertThat(payments.byAccount("m")).isEqualTo(byAccount);
            assertThat(payments.byAccount("m").get("acc").get(0)).isInstanceOf(Receipt.class);
            assertThat(payments.find("o1", true)).contains(new Receipt("o-1", "acc", 1));
            assertThat(payments.find("o1", true)).contains(new Receipt("o-1", "acc", 1));
            assertThat(payments.find("o2", false)).isEmpty();
            assertThat(payments.find("o2", false)).isEqualTo(Optional.empty());
            payments.notify("n");
            payments.notify("n");
            assertThat(payments.runs()).isEqualTo(5);
        });
    }

    @Test
    void aCompletableFutureKeepsTheKeyUntilItCompletesThenReplaysItsValue() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            CompletableFuture<Receipt> pending = new CompletableFuture<>();
            payments.asyncOutcome(pending);
            CompletableFuture<Receipt> first = payments.chargeAsync("f");
            assertThat(payments.chargeAsync("f")).failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(IdempotencyInProgressException.class);
            pending.complete(new Receipt("async-1", "acc", 3));
            assertThat(first).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(new Receipt("async-1", "acc", 3));
            assertThat(payments.chargeAsync("f")).succeedsWithin(Duration.ofSeconds(5))
                    .isEqualTo(new Receipt("async-1", "acc", 3));
            assertThat(payments.runs()).isEqualTo(1);

            CompletableFuture<Receipt> failing = new CompletableFuture<>();
            payments.asyncOutcome(failing);
            CompletableFuture<Receipt> failed = payments.chargeAsync("g");
            failing.completeExceptionally(new IllegalStateException("gateway down"));
            assertThat(failed).failsWithin(Duration.ofSeconds(5));
            payments.asyncOutcome(CompletableFuture.completedFuture(new Receipt("ok", "acc", 1)));
            assertThat(payments.chargeAsync("g")).succeedsWithin(Duration.ofSeconds(5))
                    .isEqualTo(new Receipt("ok", "acc", 1));
            assertThat(payments.runs()).isEqualTo(3);
        });
    }

    @Test
    void aCompletableFutureFailedWithANamedBusinessExceptionIsStoredAndReplayedAsAFailedFuture() {
        runner.withPropertyValues("semel.method.stored-exceptions=" + CardDeclinedException.class.getName())
                .run(context -> {
                    Payments payments = context.getBean(Payments.class);
                    CompletableFuture<Receipt> declining = new CompletableFuture<>();
                    payments.asyncOutcome(declining);
                    CompletableFuture<Receipt> first = payments.chargeAsync("declined");
                    declining.completeExceptionally(new CardDeclinedException("card declined for acc-9"));
                    assertFailsWithCardDeclined(first);

                    payments.asyncOutcome(CompletableFuture.completedFuture(new Receipt("must-not-run", "acc", 1)));
                    for (int i = 0; i < 2; i++) {
                        assertFailsWithCardDeclined(payments.chargeAsync("declined"));
                    }
                    assertThat(payments.runs()).as("replays do not run the method").isEqualTo(1);

                    // The usual shape: the failure arrives wrapped, from a stage run on another thread.
                    payments.asyncOutcome(CompletableFuture.supplyAsync(() -> {
                        throw new CardDeclinedException("card declined for acc-9");
                    }));
                    assertFailsWithCardDeclined(payments.chargeAsync("declined-later"));
                    assertFailsWithCardDeclined(payments.chargeAsync("declined-later"));
                    assertThat(payments.runs()).isEqualTo(2);

                    // Thrown before any future exists: stored too; the replay answers with a failed future.
                    assertThatThrownBy(() -> payments.declineAsyncAtOnce("declined-at-once"))
                            .isExactlyInstanceOf(CardDeclinedException.class);
                    assertFailsWithCardDeclined(payments.declineAsyncAtOnce("declined-at-once"));
                    assertThat(payments.runs()).isEqualTo(3);

                    // Not named: a technical failure releases the key and the retry runs again.
                    CompletableFuture<Receipt> timingOut = new CompletableFuture<>();
                    payments.asyncOutcome(timingOut);
                    CompletableFuture<Receipt> failed = payments.chargeAsync("timeout");
                    timingOut.completeExceptionally(new IllegalStateException("gateway timeout"));
                    assertThat(failed).failsWithin(Duration.ofSeconds(5))
                            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                            .withCauseExactlyInstanceOf(IllegalStateException.class);
                    payments.asyncOutcome(CompletableFuture.completedFuture(new Receipt("ok", "acc", 1)));
                    assertThat(payments.chargeAsync("timeout")).succeedsWithin(Duration.ofSeconds(5))
                            .isEqualTo(new Receipt("ok", "acc", 1));
                    assertThat(payments.runs()).isEqualTo(5);
                });
    }

    private static void assertFailsWithCardDeclined(CompletableFuture<Receipt> future) {
        assertThat(future).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause()
                .isExactlyInstanceOf(CardDeclinedException.class)
                .withMessage("card declined for acc-9");
    }

    @Test
    void anExceptionReleasesTheKeySoTheRetryRunsTheMethod() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            ChargeCommand command = new ChargeCommand("req-1", "acc-9", 1250);
            IllegalStateException timeout = new IllegalStateException("gateway timeout");
            payments.failNext(timeout);
            assertThatThrownBy(() -> payments.charge(command)).isSameAs(timeout);
            assertThat(payments.charge(command).id()).isEqualTo("r-2");
            assertThat(payments.charge(command).id()).isEqualTo("r-2");
        });
    }

    @Test
    void namedBusinessExceptionsAreStoredAndRethrownOnReplay() {
        runner.withPropertyValues("semel.method.stored-exceptions=" + CardDeclinedException.class.getName())
                .run(context -> {
                    Payments payments = context.getBean(Payments.class);
                    for (int i = 0; i < 3; i++) {
                        assertThatThrownBy(() -> payments.decline("d-1"))
                                .isExactlyInstanceOf(CardDeclinedException.class)
                                .hasMessage("card declined for d-1");
                    }
                    assertThat(payments.runs()).isEqualTo(1);
                });
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            assertThatThrownBy(() -> payments.decline("d-1")).isInstanceOf(CardDeclinedException.class);
            assertThatThrownBy(() -> payments.decline("d-1")).isInstanceOf(CardDeclinedException.class);
            assertThat(payments.runs()).as("without the property, the exception releases the key").isEqualTo(2);
        });
    }

    @Test
    void aResultThatCannotBeReadBackReachesTheFirstCallAndDuplicatesAreToldItWasNotRetained() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            assertThat(payments.shape("x")).isInstanceOf(Square.class);
            assertThatThrownBy(() -> payments.shape("x"))
                    .isInstanceOf(IdempotencyResultNotRetainedException.class)
                    .hasMessageContaining(Payments.class.getName() + ".shape")
                    .hasMessageContaining("not read back");
            assertThat(payments.runs()).as("never run twice once it ran").isEqualTo(1);
        });
    }

    @Test
    void anAsyncResultThatCannotBeReadBackCompletesTheFirstFutureAndFailsDuplicatesAsNotRetained() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            assertThat(payments.shapeAsync("x")).succeedsWithin(Duration.ofSeconds(5)).isInstanceOf(Square.class);
            assertThat(payments.shapeAsync("x")).failsWithin(Duration.ofSeconds(5))
                    .withThrowableThat().havingRootCause()
                    .isInstanceOf(IdempotencyResultNotRetainedException.class);
            assertThat(payments.runs()).as("never run twice once it ran").isEqualTo(1);
        });
    }

    @Test
    void aResultOverTheSizeLimitReachesTheFirstCallAndIsNeverRunAgain() {
        runner.withPropertyValues("semel.method.max-result-size=100B").run(context -> {
            Payments payments = context.getBean(Payments.class);
            assertThat(payments.big("small", 10)).hasSize(10);
            assertThat(payments.big("large", 200)).hasSize(200);
            assertThatThrownBy(() -> payments.big("large", 200))
                    .isInstanceOf(IdempotencyResultNotRetainedException.class)
                    .hasMessageContaining("semel.method.max-result-size")
                    .hasMessageContaining("202 bytes");
            assertThat(payments.runs()).isEqualTo(2);
        });
    }

    @Test
    void aCommandCarriesItsOwnKeyAndTtl() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            MutableClock clock = context.getBean(MutableClock.class);
            ShipOrder shortLived = new ShipOrder("s-1", "order-1", Duration.ofMinutes(5));
            assertThat(payments.ship(shortLived)).isEqualTo("shipment-1-order-1");
            assertThat(payments.ship(shortLived)).isEqualTo("shipment-1-order-1");
            ShipOrder defaultTtl = new ShipOrder("s-2", "order-2", null);
            assertThat(payments.ship(defaultTtl)).isEqualTo("shipment-2-order-2");
            clock.advance(Duration.ofMinutes(6));
            assertThat(payments.ship(shortLived)).as("past the command's TTL").isEqualTo("shipment-3-order-1");
            assertThat(payments.ship(defaultTtl)).as("within the default 24 h").isEqualTo("shipment-2-order-2");
        });
    }

    @Test
    void theAnnotationsTtlBoundsHowLongTheResultIsReplayed() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            MutableClock clock = context.getBean(MutableClock.class);
            payments.batch("t", 1);
            clock.advance(Duration.ofMinutes(59));
            payments.batch("t", 1);
            assertThat(payments.runs()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(2));
            payments.batch("t", 1);
            assertThat(payments.runs()).isEqualTo(2);
        });
    }

    @Test
    void aClassLevelAnnotationCoversEveryPublicMethodOfACommandBus() {
        runner.run(context -> {
            ShippingBus bus = context.getBean(ShippingBus.class);
            ShipOrder command = new ShipOrder("s-9", "order-9", null);
            assertThat(bus.dispatch(command)).isEqualTo("dispatched-1");
            assertThat(bus.dispatch(command)).isEqualTo("dispatched-1");
        });
    }

    @Test
    void aMissingKeyIsRejectedNamingTheMethodUnlessTheKeyIsOptional() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            assertThatThrownBy(() -> payments.charge(new ChargeCommand(null, "acc", 1)))
                    .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidIdempotencyKeyException.Reason.MISSING))
                    .hasMessageContaining(Payments.class.getName() + ".charge")
                    .hasMessageContaining("#command.requestId");
            assertThat(payments.runs()).isEqualTo(0);
            assertThat(payments.optionalKey(null)).isEqualTo("run-1");
            assertThat(payments.optionalKey(null)).isEqualTo("run-2");
            assertThat(payments.optionalKey("k")).isEqualTo("run-3");
            assertThat(payments.optionalKey("k")).isEqualTo("run-3");
        });
    }

    @Test
    void controllersAreLeftToTheWebSupport() {
        runner.run(context -> {
            PaymentsController controller = context.getBean(PaymentsController.class);
            assertThat(AopUtils.isAopProxy(controller)).isFalse();
            assertThat(controller.create("a")).isEqualTo("created-1");
            assertThat(controller.create("a")).isEqualTo("created-2");
            assertThat(AopUtils.isAopProxy(context.getBean(Payments.class))).isTrue();
        });
    }

    @Test
    void fiftyConcurrentCallersWithOneKeyRunTheMethodOnceAndTheOthersAreAnsweredInProgressWhileItRuns() {
        runner.run(context -> {
            Payments payments = context.getBean(Payments.class);
            Followers followers = context.getBean(Followers.class);
            ChargeCommand command = new ChargeCommand("race", "acc", 100);
            List<Object> seen = race(50, () -> payments.charge(command), payments,
                    () -> followers.awaitConflicts(49, Duration.ofSeconds(30)));
            assertThat(payments.runs()).isEqualTo(1);
            assertThat(seen).hasSize(50);
            assertThat(seen).filteredOn(Receipt.class::isInstance).containsExactly(new Receipt("r-1", "acc", 100));
            assertThat(seen).filteredOn(IdempotencyInProgressException.class::isInstance).hasSize(49);
            assertThat(payments.charge(command)).as("replayed once it finished").isEqualTo(new Receipt("r-1", "acc", 100));
        });
    }

    @Test
    void underTheWaitPolicyFortyNineCallersWaitWhileTheFirstRunsAndAllGetItsOneResult() {
        runner.withPropertyValues("semel.in-progress.max-wait=20s").run(context -> {
            Payments payments = context.getBean(Payments.class);
            Followers followers = context.getBean(Followers.class);
            ChargeCommand command = new ChargeCommand("race", "acc", 100);
            List<Object> seen = race(50, () -> payments.chargeWaiting(command), payments,
                    () -> followers.awaitWaiting(49, Duration.ofSeconds(30)));
            assertThat(payments.runs()).isEqualTo(1);
            assertThat(seen).hasSize(50).containsOnly(new Receipt("r-1", "acc", 100));
            assertThat(followers.count(dev.semel.IdempotencyEvent.Type.EXECUTED)).isEqualTo(1);
            assertThat(followers.count(dev.semel.IdempotencyEvent.Type.WAITED)).isEqualTo(49);
            assertThat(followers.count(dev.semel.IdempotencyEvent.Type.CONFLICT)).isZero();
        });
    }

    /** A check the race makes while its first call is held inside the method. */
    @FunctionalInterface
    interface Arrival {
        boolean allFollowersArrived() throws InterruptedException;
    }

    /**
     * Releases n callers together (each parked at the start gate first); the first to run the
     * method is held inside it until {@code arrival} has seen every other caller answered or
     * waiting, so they provably came while it ran; then it is let go.
     */
    static List<Object> race(int n, java.util.concurrent.Callable<Object> call, Payments payments,
            Arrival arrival) throws Exception {
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        payments.gate(gate);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    try {
                        return call.call();
                    } catch (IdempotencyInProgressException e) {
                        return e;
                    }
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("every caller parked at the start gate").isTrue();
            start.countDown();
            boolean entered = payments.awaitEntered(Duration.ofSeconds(30));
            boolean arrived = entered && arrival.allFollowersArrived();
            int runsWhileHeld = payments.runs();
            gate.countDown();
            assertThat(entered).as("one call entered the method").isTrue();
            assertThat(runsWhileHeld).as("only the first call is inside the method").isEqualTo(1);
            assertThat(arrived).as("every other caller arrived while the first call ran").isTrue();
            List<Object> seen = new ArrayList<>();
            for (Future<Object> future : futures) {
                seen.add(future.get(30, TimeUnit.SECONDS));
            }
            return seen;
        } finally {
            pool.shutdownNow();
        }
    }
}
