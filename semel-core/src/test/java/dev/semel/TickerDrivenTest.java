package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyEvent.Type;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Waits, retried completions and background renewals measured on a {@link Ticker} the test
 * advances by hand: the store "takes" exactly as long as the test says, so every bound is
 * checked at its edge without sleeping.
 */
class TickerDrivenTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final Fingerprint FP = Fingerprint.of(new byte[] {7});
    private static final Duration LEASE = Duration.ofSeconds(30);

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();
    private final ManualScheduler scheduler = new ManualScheduler();
    private Idempotency engine;

    private IdempotencyConfig.Builder config() {
        return IdempotencyConfig.custom().clock(clock).ticker(nanos::get).scheduler(scheduler).leaseDuration(LEASE)
                .listener(new IdempotencyListener() {
                    @Override
                    public void onEvent(IdempotencyEvent event) {
                        events.add(event);
                    }
                });
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        scheduler.shutdownNow();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private List<Type> types() {
        return events.stream().map(IdempotencyEvent::type).toList();
    }

    private IdempotencyEvent last(Type type) {
        return events.stream().filter(e -> e.type() == type).reduce((a, b) -> b).orElseThrow();
    }

    // ------------------------------------------------------------------ waiting for a key in progress

    /** A store whose wait for a change takes exactly the pause it is given, on the test's ticker. */
    private final class TimedWaits extends ForwardingIdempotencyStore {
        final List<Duration> pauses = new CopyOnWriteArrayList<>();
        final AtomicInteger claims = new AtomicInteger();
        volatile Runnable duringPause = () -> { };

        TimedWaits() {
            super(memory);
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.incrementAndGet();
            return super.claim(request);
        }

        @Override
        public void awaitChange(String recordId, Duration timeout) {
            pauses.add(timeout);
            duringPause.run();
            advance(timeout);
        }
    }

    @Test
    void aWaitingDuplicatePollsAtTheIntervalUntilItsBoundThenAnswersInProgress() {
        TimedWaits store = new TimedWaits();
        engine = Idempotency.create(store, config().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                .waitPollInterval(Duration.ofSeconds(7)).build());
        engine.begin(SCOPE, KEY, FP);
        events.clear();

        Decision late = engine.begin(SCOPE, KEY, FP);

        assertThat(late).isInstanceOf(Decision.InProgress.class);
        assertThat(store.pauses).as("the last pause is what is left of the bound").containsExactly(
                Duration.ofSeconds(7), Duration.ofSeconds(7), Duration.ofSeconds(7), Duration.ofSeconds(7),
                Duration.ofSeconds(2));
        assertThat(store.claims).as("one claim before each pause and one after the last").hasValue(7);
        assertThat(types()).containsExactly(Type.WAITED, Type.CONFLICT);
        assertThat(last(Type.WAITED).duration()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aWaitingDuplicateReplaysAsSoonAsTheFirstAttemptCompletes() {
        TimedWaits store = new TimedWaits();
        engine = Idempotency.create(store, config().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                .waitPollInterval(Duration.ofSeconds(7)).build());
        Lease first = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        events.clear();
        store.duringPause = () -> {
            if (store.pauses.size() == 2) {
                first.complete(StoredResponse.of(201, List.of(), new byte[] {1}));
            }
        };

        Decision waiter = engine.begin(SCOPE, KEY, FP);

        assertThat(waiter).isInstanceOf(Decision.Replay.class);
        assertThat(((Decision.Replay) waiter).response().status()).isEqualTo(201);
        assertThat(store.pauses).hasSize(2);
        assertThat(types()).containsExactly(Type.COMPLETED, Type.REPLAYED, Type.WAITED);
        assertThat(last(Type.WAITED).duration()).isEqualTo(Duration.ofSeconds(14));
    }

    @Test
    void aDuplicateThatDoesNotWaitNeitherPausesNorSaysItWaited() {
        TimedWaits store = new TimedWaits();
        engine = Idempotency.create(store, config().build());
        engine.begin(SCOPE, KEY, FP);
        events.clear();
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        assertThat(store.pauses).isEmpty();
        assertThat(types()).containsExactly(Type.CONFLICT);
    }

    @Test
    void anInterruptedWaitAnswersInProgressAtOnceAndKeepsTheInterrupt() {
        AtomicInteger claims = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                claims.incrementAndGet();
                return super.claim(request);
            }

            @Override
            public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
                throw new InterruptedException("shutting down");
            }
        }, config().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30))).build());
        engine.begin(SCOPE, KEY, FP);
        events.clear();
        try {
            assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(claims).hasValue(2);
        assertThat(types()).containsExactly(Type.CONFLICT);
    }

    @Test
    void aStoreFailureWhileWaitingIsNotTheCallersProblemTheNextClaimDecides() {
        AtomicInteger waits = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public void awaitChange(String recordId, Duration timeout) {
                waits.incrementAndGet();
                advance(timeout);
                throw new IdempotencyStoreException("pub/sub connection lost", null);
            }
        }, config().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(1)))
                .waitPollInterval(Duration.ofMillis(500)).build());
        engine.begin(SCOPE, KEY, FP);
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        assertThat(waits).hasValue(2);
    }

    // ------------------------------------------------------------------ Retry-After of a key in progress

    /** A store that answers every claim with what the test gives it. */
    private Idempotency answering(ClaimResult answer) {
        return Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                return answer;
            }
        }, config().build());
    }

    private IdempotencyRecord inProgressUntil(Instant leaseDeadline) {
        return new IdempotencyRecord(SCOPE.recordId(KEY), KEY.value(), SCOPE.toString(), RecordState.IN_PROGRESS,
                FP.bytes(), 5, "other", leaseDeadline, clock.instant(), null, clock.instant().plusSeconds(3600),
                null);
    }

    private Duration retryAfter(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.InProgress.class);
        return ((Decision.InProgress) decision).retryAfter();
    }

    @Test
    void retryAfterIsTheLeaseLeftRoundedUpToWholeSeconds() {
        engine = Idempotency.create(memory, config().build());
        engine.begin(SCOPE, KEY, FP);
        clock.advance(Duration.ofMillis(27_500));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(3));
        clock.advance(Duration.ofMillis(499));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(3));
        clock.advance(Duration.ofMillis(1));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aLeaseDeadlineBeyondOneLeaseFromAStoreOnAnotherClockIsCappedAtOneLease() {
        engine = answering(ClaimResult.found(inProgressUntil(clock.instant().plus(Duration.ofHours(1)))));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(LEASE);
    }

    @Test
    void aRecordInProgressWithoutALeaseDeadlineOrATransactionHoldingTheKeyAnswerOneSecond() {
        engine = answering(ClaimResult.found(inProgressUntil(null)));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(1));
        engine.close();
        engine = answering(new ClaimResult.Locked());
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aLeaseDeadlineAlreadyPastOnTheStoresClockStillAnswersOneSecond() {
        engine = answering(ClaimResult.found(inProgressUntil(clock.instant().minusSeconds(5))));
        assertThat(retryAfter(engine.begin(SCOPE, KEY, FP))).isEqualTo(Duration.ofSeconds(1));
    }

    // ------------------------------------------------------------------ a failed completion retried while the lease is valid

    /** Every completion fails after taking {@code each} on the ticker. */
    private final class SlowFailingCompletes extends ForwardingIdempotencyStore {
        final AtomicInteger completes = new AtomicInteger();
        final Duration each;

        SlowFailingCompletes(Duration each) {
            super(memory);
            this.each = each;
        }

        @Override
        public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
            completes.incrementAndGet();
            advance(each);
            throw new IdempotencyStoreException("Command timed out", null);
        }
    }

    private Throwable completeFails(Function<Lease, StoredResponse> operation) {
        return Assertions.catchThrowable(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                operation::apply));
    }

    @Test
    void aFailedCompletionIsRetriedOnlyWhileTheNextAttemptStartsASecondBeforeTheLeaseCouldEnd() {
        // after attempt k (9.6 s each) the next starts after a backoff of 100 ms · 2^(k-1):
        // attempt 3 ends at 28.8 s, and 28.8 + 0.4 + 1 s of margin reaches the 30 s lease
        SlowFailingCompletes store = new SlowFailingCompletes(Duration.ofMillis(9_600));
        engine = Idempotency.create(store, config().completeAttempts(10).build());
        assertThat(completeFails(lease -> StoredResponse.ofResult(new byte[] {1})))
                .isInstanceOf(IdempotencyStoreException.class).hasMessage("Command timed out");
        assertThat(store.completes).hasValue(3);
    }

    @Test
    void aRenewalByHandRestartsTheTimeAFailedCompletionMayBeRetried() {
        SlowFailingCompletes store = new SlowFailingCompletes(Duration.ofMillis(9_600));
        engine = Idempotency.create(store, config().completeAttempts(10).build());
        assertThat(completeFails(lease -> {
            advance(Duration.ofSeconds(25));
            lease.renew();
            return StoredResponse.ofResult(new byte[] {1});
        })).isInstanceOf(IdempotencyStoreException.class);
        assertThat(store.completes).as("counted from the renewal, not the claim").hasValue(3);
    }

    @Test
    void aCompletionIsNotRetriedWhenTheLeaseHasTooLittleLeft() {
        // 28.9 s + 100 ms of backoff + 1 s of margin is exactly the lease: too late
        SlowFailingCompletes store = new SlowFailingCompletes(Duration.ZERO);
        engine = Idempotency.create(store, config().completeAttempts(10).build());
        assertThat(completeFails(lease -> {
            advance(Duration.ofMillis(28_900));
            return StoredResponse.ofResult(new byte[] {1});
        })).isInstanceOf(IdempotencyStoreException.class);
        assertThat(store.completes).hasValue(1);
    }

    @Test
    void aCompletionIsTriedAtMostTheConfiguredNumberOfTimes() {
        SlowFailingCompletes store = new SlowFailingCompletes(Duration.ZERO);
        engine = Idempotency.create(store, config().completeAttempts(2).build());
        assertThat(completeFails(lease -> StoredResponse.ofResult(new byte[] {1})))
                .isInstanceOf(IdempotencyStoreException.class);
        assertThat(store.completes).hasValue(2);
    }

    @Test
    void aFailureOtherThanTheStoresIsReportedAsAStoreFailure() {
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                throw new IllegalStateException("driver bug");
            }
        }, config().completeAttempts(1).build());
        Throwable failure = completeFails(lease -> StoredResponse.ofResult(new byte[] {1}));
        assertThat(failure).isInstanceOf(IdempotencyStoreException.class)
                .hasMessage("The idempotency store failed to complete: driver bug")
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void anInterruptDuringTheBackoffStopsRetryingAndKeepsTheInterrupt() {
        SlowFailingCompletes store = new SlowFailingCompletes(Duration.ZERO);
        engine = Idempotency.create(store, config().completeAttempts(10).build());
        try {
            Throwable failure = completeFails(lease -> {
                Thread.currentThread().interrupt();
                return StoredResponse.ofResult(new byte[] {1});
            });
            assertThat(failure).isInstanceOf(IdempotencyStoreException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(store.completes).hasValue(1);
    }

    // ------------------------------------------------------------------ background renewal

    private final List<Instant> renewals = new CopyOnWriteArrayList<>();
    private final CountDownLatch neverReleased = new CountDownLatch(1);
    private volatile boolean stallRenewals;
    private final AtomicInteger interruptedRenewals = new AtomicInteger();
    private final AtomicInteger stalledRenewals = new AtomicInteger();

    private final ForwardingIdempotencyStore renewing = new ForwardingIdempotencyStore(memory) {
        @Override
        public boolean renew(String recordId, long token, Instant deadline, Instant now) {
            if (stallRenewals) {
                stalledRenewals.incrementAndGet();
                try {
                    neverReleased.await();
                } catch (InterruptedException e) {
                    interruptedRenewals.incrementAndGet();
                    throw new IdempotencyStoreException("interrupted", e);
                }
            }
            renewals.add(now);
            return super.renew(recordId, token, deadline, now);
        }
    };

    private Lease claim(CallOptions options) {
        return ((Decision.Execute) engine.begin(SCOPE, KEY, FP, options)).lease();
    }

    /** Runs one tick at the ticker's current reading and waits for a renewal it started to return. */
    private void tick(Lease lease) {
        scheduler.tick();
        await(() -> !lease.renewing.get());
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition never held").isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void aLeaseIsRenewedWhenItsIntervalHasPassedOnTheTickerNotBefore() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(10)).build());
        Lease lease = claim(CallOptions.DEFAULTS);
        assertThat(scheduler.periods).containsExactly(Duration.ofSeconds(5));

        advance(Duration.ofSeconds(10).minusNanos(1));
        tick(lease);
        assertThat(renewals).isEmpty();
        advance(Duration.ofNanos(1));
        tick(lease);
        assertThat(renewals).hasSize(1);

        advance(Duration.ofSeconds(10).minusNanos(1));
        tick(lease);
        assertThat(renewals).as("the next one is an interval after the last").hasSize(1);
        advance(Duration.ofNanos(1));
        tick(lease);
        assertThat(renewals).hasSize(2);
        lease.release();
    }

    @Test
    void aPerCallLeaseIsRenewedEveryThirdOfItself() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(6)).build());
        Lease lease = claim(CallOptions.custom().leaseDuration(Duration.ofSeconds(60)).build());
        assertThat(scheduler.periods).containsExactly(Duration.ofSeconds(10));
        advance(Duration.ofSeconds(19));
        tick(lease);
        assertThat(renewals).isEmpty();
        advance(Duration.ofSeconds(1));
        tick(lease);
        assertThat(renewals).hasSize(1);
        lease.release();
    }

    @Test
    void aLeaseOfTheConfiguredDurationIsRenewedAtTheConfiguredInterval() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(6)).build());
        Lease lease = claim(CallOptions.custom().leaseDuration(LEASE).build());
        assertThat(scheduler.periods).containsExactly(Duration.ofSeconds(3));
        advance(Duration.ofSeconds(6));
        tick(lease);
        assertThat(renewals).hasSize(1);
        lease.release();
    }

    @Test
    void aBackgroundRenewalRestartsTheTimeAFailedCompletionMayBeRetried() {
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(renewing) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                completes.incrementAndGet();
                throw new IdempotencyStoreException("Command timed out", null);
            }
        }, config().leaseRenewInterval(Duration.ofSeconds(10)).completeAttempts(2).build());
        Lease lease = claim(CallOptions.DEFAULTS);
        advance(Duration.ofSeconds(10));
        tick(lease);
        assertThat(renewals).hasSize(1);
        // 29 s after the claim, too late to retry; but 19 s after the renewal: one retry still fits
        advance(Duration.ofSeconds(19));
        assertThat(Assertions.catchThrowable(() -> lease.complete(StoredResponse.ofResult(new byte[] {1}))))
                .isInstanceOf(IdempotencyStoreException.class);
        assertThat(completes).hasValue(2);
    }

    @Test
    void aRenewalStillRunningAfterOneIntervalIsInterruptedAndTriedAgainAtTheNextTick() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(10)).build());
        Lease lease = claim(CallOptions.DEFAULTS);
        stallRenewals = true;
        advance(Duration.ofSeconds(10));
        scheduler.tick(); // starts the renewal, which stalls
        await(() -> stalledRenewals.get() == 1);

        advance(Duration.ofSeconds(10));
        scheduler.tick(); // exactly one interval: not overdue yet
        assertThat(interruptedRenewals).hasValue(0);
        assertThat(lease.renewing.get()).isTrue();

        advance(Duration.ofNanos(1));
        scheduler.tick();
        await(() -> interruptedRenewals.get() == 1);
        stallRenewals = false;
        await(() -> !lease.renewing.get());
        scheduler.tick(); // due again at once
        await(() -> renewals.size() == 1);
        assertThat(lease.isActive()).isTrue();
        lease.release();
    }

    @Test
    void aBackgroundRenewalThatFindsTheLeaseGoneStopsRenewingItAtOnce() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(10)).build());
        Lease lease = claim(CallOptions.DEFAULTS);
        memory.delete(lease.recordId());
        advance(Duration.ofSeconds(10));
        tick(lease);
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);
        assertThat(engine.renewingLeases()).as("removed by the renewal, not left for the next tick").isZero();
        assertThat(last(Type.LEASE_LOST).error()).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("order-7");
    }

    @Test
    void aClosedEngineStartsNoRenewalEvenOnTheCallersScheduler() {
        engine = Idempotency.create(renewing, config().leaseRenewInterval(Duration.ofSeconds(10)).build());
        Lease lease = claim(CallOptions.DEFAULTS);
        stallRenewals = true; // a renewal that did start would stay in flight
        engine.close();
        advance(Duration.ofSeconds(10));
        scheduler.tick();
        assertThat(lease.renewing.get()).as("no renewal in flight").isFalse();
        assertThat(interruptedRenewals).hasValue(0);
        assertThat(lease.isActive()).isTrue();
    }

    /** A scheduler that records the periodic renewal task instead of running it; the test ticks by hand. */
    private static final class ManualScheduler extends ScheduledThreadPoolExecutor {
        final List<Runnable> tasks = new CopyOnWriteArrayList<>();
        final List<Duration> periods = new CopyOnWriteArrayList<>();

        ManualScheduler() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
                TimeUnit unit) {
            tasks.add(command);
            periods.add(Duration.ofNanos(unit.toNanos(period)));
            return schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        void tick() {
            tasks.get(tasks.size() - 1).run();
        }
    }
}
