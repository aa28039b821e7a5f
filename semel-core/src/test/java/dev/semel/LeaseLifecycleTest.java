package dev.semel;

import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What ending, renewing and losing a lease does to the store and to background renewal. The
 * renewal ticker is run by hand (the scheduler only records it), so no test waits for a period
 * to pass on its own; the store's times come from a {@link MutableClock}.
 */
class LeaseLifecycleTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final Fingerprint FP = Fingerprint.of(new byte[] {7});
    private static final Duration LEASE = Duration.ofSeconds(30);

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final List<Instant> renewDeadlines = new CopyOnWriteArrayList<>();
    private final AtomicInteger interruptedRenewals = new AtomicInteger();
    /** While set, the store's renew blocks until interrupted (a stalled connection). */
    private final AtomicBoolean stallNextRenewal = new AtomicBoolean();
    private final CountDownLatch never = new CountDownLatch(1);
    private final ForwardingIdempotencyStore store = new ForwardingIdempotencyStore(memory) {
        @Override
        public boolean renew(String recordId, long token, Instant deadline, Instant now) {
            if (stallNextRenewal.compareAndSet(true, false)) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    interruptedRenewals.incrementAndGet();
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("renewal interrupted", e);
                }
            }
            renewDeadlines.add(deadline);
            return super.renew(recordId, token, deadline, now);
        }
    };
    private final ManualTicker ticker = new ManualTicker();
    private final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();
    private Idempotency engine;

    private Idempotency engine(Duration renewInterval) {
        engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).scheduler(ticker)
                .leaseDuration(LEASE).leaseRenewInterval(renewInterval).listener(new IdempotencyListener() {
                    @Override
                    public void onEvent(IdempotencyEvent event) {
                        events.add(event);
                    }
                }).build());
        return engine;
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        ticker.shutdownNow();
    }

    private Lease begin() {
        return ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
    }

    private IdempotencyRecord record(Lease lease) {
        return memory.find(lease.recordId(), clock.instant()).orElseThrow();
    }

    /** Runs one tick and waits until a renewal it started (if any) has returned. */
    private void tick(Lease lease) {
        ticker.tick();
        await(() -> !lease.renewing.get());
    }

    /** Ticks until the condition holds; the renewal interval of these tests is 1 ms. */
    private void tickUntil(Lease lease, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition never held").isNegative();
            Thread.sleep(1);
            ticker.tick();
        }
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition never held").isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void anActiveLeaseIsRenewedToAFullLeaseFromTheStoreClock() throws Exception {
        engine(Duration.ofMillis(1));
        Lease lease = begin();
        assertThat(lease.key()).isEqualTo(KEY);
        assertThat(lease.scope()).isEqualTo(SCOPE);
        clock.advance(Duration.ofSeconds(5));
        tickUntil(lease, () -> !renewDeadlines.isEmpty());
        assertThat(renewDeadlines.get(0)).isEqualTo(clock.instant().plus(LEASE));
        await(() -> record(lease).leaseDeadline().equals(clock.instant().plus(LEASE)));
        assertThat(lease.isActive()).isTrue();
    }

    @Test
    void aLeaseIsNotRenewedBeforeItsInterval() {
        engine(Duration.ofSeconds(10));
        Lease lease = begin();
        for (int i = 0; i < 5; i++) {
            tick(lease);
        }
        assertThat(renewDeadlines).isEmpty();
        assertThat(engine.renewingLeases()).isOne();
        // the ticker runs at half the interval, so a lease is renewed between i and 1.5 i
        assertThat(ticker.periods).containsExactly(Duration.ofSeconds(5));
    }

    @Test
    void aReleasedLeaseStopsRenewingAndCannotBeEndedTwice() throws Exception {
        engine(Duration.ofMillis(1));
        Lease lease = begin();
        lease.release();
        assertThat(lease.status()).isEqualTo(Lease.Status.RELEASED);
        assertThat(engine.renewingLeases()).isZero();
        assertThat(memory.find(lease.recordId(), clock.instant())).isEmpty();
        assertThat(events).extracting(IdempotencyEvent::type).contains(IdempotencyEvent.Type.RELEASED);
        for (int i = 0; i < 5; i++) {
            Thread.sleep(1);
            tick(lease);
        }
        assertThat(renewDeadlines).isEmpty();

        // a second ending is a programming error, not a lost lease
        assertThatThrownBy(lease::release).isInstanceOf(IllegalStateException.class)
                .isNotInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> lease.complete(StoredResponse.of(200, List.of(), new byte[0])))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(lease::renew).isInstanceOf(IllegalStateException.class);
        assertThat(lease.status()).isEqualTo(Lease.Status.RELEASED);
        lease.close(); // does nothing on an ended lease
        assertThat(lease.status()).isEqualTo(Lease.Status.RELEASED);
    }

    @Test
    void closeReleasesALeaseThatWasNotEnded() {
        engine(Duration.ofSeconds(10));
        Lease lease = begin();
        lease.close();
        assertThat(lease.status()).isEqualTo(Lease.Status.RELEASED);
        assertThat(engine.renewingLeases()).isZero();
        assertThat(memory.find(lease.recordId(), clock.instant())).isEmpty();
    }

    @Test
    void renewingByHandExtendsTheStoredDeadline() {
        engine(Duration.ofSeconds(10));
        Lease lease = begin();
        clock.advance(Duration.ofSeconds(20));
        lease.renew();
        assertThat(record(lease).leaseDeadline()).isEqualTo(clock.instant().plus(LEASE));
        assertThat(record(lease).isLeaseLive(clock.instant())).isTrue();
        assertThat(lease.isActive()).isTrue();
    }

    @Test
    void renewingADeletedLeaseLosesItAndStopsItsRenewal() {
        engine(Duration.ofSeconds(10));
        Lease lease = begin();
        memory.delete(lease.recordId());
        assertThatThrownBy(lease::renew).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("order-7").hasMessageContaining("fencing token " + lease.fencingToken());
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);
        assertThat(engine.renewingLeases()).isZero();
        assertThat(events).extracting(IdempotencyEvent::type).contains(IdempotencyEvent.Type.LEASE_LOST);
        // every later use says the lease was lost
        assertThatThrownBy(lease::release).isInstanceOf(LeaseLostException.class);
    }

    @Test
    void releasingALeaseTakenOverFailsWithoutTouchingTheNewHolder() {
        engine(Duration.ofSeconds(10));
        Lease lease = begin();
        clock.advance(LEASE.plusSeconds(1));
        Lease next = begin();
        assertThatThrownBy(lease::release).isInstanceOf(LeaseLostException.class);
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);
        assertThat(record(next).fencingToken()).isEqualTo(next.fencingToken());
        assertThat(record(next).isLeaseLive(clock.instant())).isTrue();
        assertThat(next.isActive()).isTrue();
        assertThat(events).extracting(IdempotencyEvent::type).containsOnlyOnce(IdempotencyEvent.Type.LEASE_TAKEN_OVER);
    }

    @Test
    void aBackgroundRenewalThatFindsTheLeaseGoneMarksItLostAndStops() throws Exception {
        engine(Duration.ofMillis(1));
        Lease lease = begin();
        memory.delete(lease.recordId());
        tickUntil(lease, () -> lease.status() == Lease.Status.LOST);
        await(() -> events.stream().anyMatch(e -> e.type() == IdempotencyEvent.Type.LEASE_LOST));
        assertThat(engine.renewingLeases()).isZero();
        int renewals = renewDeadlines.size();
        for (int i = 0; i < 5; i++) {
            Thread.sleep(1);
            ticker.tick();
        }
        assertThat(renewDeadlines).hasSize(renewals);
    }

    @Test
    void aStalledRenewalIsInterruptedAndTriedAgain() throws Exception {
        engine(Duration.ofMillis(1));
        Lease lease = begin();
        stallNextRenewal.set(true);
        tickUntil(lease, () -> !renewDeadlines.isEmpty());
        assertThat(interruptedRenewals).hasValue(1);
        assertThat(lease.isActive()).isTrue();
    }

    @Test
    void renewalThreadsDoNotKeepTheJvmAlive() throws Exception {
        engine(Duration.ofMillis(1));
        Lease lease = begin();
        AtomicBoolean daemon = new AtomicBoolean();
        tickUntil(lease, () -> !renewDeadlines.isEmpty());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("semel-lease-renewal-")) {
                daemon.set(true);
                assertThat(t.isDaemon()).as(t.getName()).isTrue();
            }
        }
        assertThat(daemon).as("a renewal thread exists").isTrue();
    }

    @Test
    void aFailOpenLeaseIsNeitherGuardedNorRenewedAndStillEndsOnce() {
        ForwardingIdempotencyStore down = new ForwardingIdempotencyStore(memory) {
            @Override
            public dev.semel.spi.ClaimResult claim(dev.semel.spi.ClaimRequest request) {
                throw new IdempotencyStoreException("store down", null);
            }
        };
        engine = Idempotency.create(down, IdempotencyConfig.custom().clock(clock).scheduler(ticker)
                .failurePolicy(FailurePolicy.FAIL_OPEN).build());
        Lease completed = begin();
        assertThat(completed.isFailOpen()).isTrue();
        assertThat(completed.fencingToken()).isZero();
        assertThat(engine.renewingLeases()).isZero();
        completed.complete(StoredResponse.of(200, List.of(), new byte[0]));
        assertThat(completed.status()).isEqualTo(Lease.Status.COMPLETED);
        assertThatThrownBy(completed::release).isInstanceOf(IllegalStateException.class);

        Lease released = begin();
        released.release();
        assertThat(released.status()).isEqualTo(Lease.Status.RELEASED);
        assertThat(memory.size()).isZero();
    }

    @Test
    void closingTheEngineLeavesTheCallersSchedulerRunning() {
        engine(Duration.ofSeconds(10));
        engine.close();
        assertThat(ticker.isShutdown()).isFalse();
    }

    @Test
    void aClosedEngineWithItsOwnSchedulerRenewsNothing() {
        Idempotency own = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build());
        own.close();
        Lease lease = ((Decision.Execute) own.begin(SCOPE, KEY, FP)).lease();
        assertThat(lease.isActive()).isTrue();
        assertThat(own.renewingLeases()).isZero();
    }

    /** A scheduler that records the periodic ticker instead of running it; the test ticks by hand. */
    private static final class ManualTicker extends ScheduledThreadPoolExecutor {
        final List<Runnable> tasks = new CopyOnWriteArrayList<>();
        final List<Duration> periods = new CopyOnWriteArrayList<>();

        ManualTicker() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            tasks.add(command);
            periods.add(Duration.ofNanos(unit.toNanos(period)));
            return schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        void tick() {
            tasks.get(tasks.size() - 1).run();
        }
    }
}
