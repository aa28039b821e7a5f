package dev.semel;

import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every lease is renewed by one periodic task, not one scheduled task each. */
class LeaseRenewalsTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");

    @Test
    void manyRunningOperationsAreAllRenewedByASingleScheduledTask() throws Exception {
        int leases = 50;
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        Instant later = clock.instant().plus(Duration.ofMinutes(1));
        Set<String> renewedRecords = ConcurrentHashMap.newKeySet();
        CountDownLatch allRenewed = new CountDownLatch(leases);
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        IdempotencyStore counting = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean renew(String recordId, long token, Instant deadline, Instant now) {
                boolean ok = super.renew(recordId, token, deadline, now);
                // only renewals after the clock moved count: each must push its deadline forward
                if (ok && now.equals(later) && renewedRecords.add(recordId)) {
                    allRenewed.countDown();
                }
                return ok;
            }
        };
        RecordingScheduler scheduler = new RecordingScheduler();
        try (Idempotency engine = Idempotency.create(counting, IdempotencyConfig.custom().scheduler(scheduler)
                .clock(clock).leaseDuration(Duration.ofSeconds(30)).leaseRenewInterval(Duration.ofMillis(10))
                .build())) {
            List<Lease> running = new ArrayList<>();
            for (int i = 0; i < leases; i++) {
                running.add(((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("k" + i),
                        Fingerprint.of(new byte[0]))).lease());
            }
            // the queue is empty while the one task runs, so count what was scheduled, not what waits
            assertThat(scheduler.periodicTasks).hasSize(1);
            assertThat(engine.renewingLeases()).isEqualTo(leases);

            clock.advance(Duration.ofMinutes(1));
            assertThat(allRenewed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(running).allSatisfy(lease -> assertThat(memory.find(lease.recordId(), later).orElseThrow()
                    .leaseDeadline()).as("now + the lease duration").isEqualTo(later.plusSeconds(30)));
            for (Lease lease : running) {
                lease.complete(StoredResponse.of(200, List.of(), new byte[0]));
            }
            assertThat(engine.renewingLeases()).isZero();
            assertThat(running).allSatisfy(l -> assertThat(l.status()).isEqualTo(Lease.Status.COMPLETED));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void aShorterPerCallLeaseMakesTheSingleTaskTickFaster() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        Instant later = clock.instant().plus(Duration.ofMinutes(1));
        CountDownLatch renewed = new CountDownLatch(2);
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        IdempotencyStore counting = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean renew(String recordId, long token, Instant deadline, Instant now) {
                boolean ok = super.renew(recordId, token, deadline, now);
                if (ok && now.equals(later)) {
                    renewed.countDown();
                }
                return ok;
            }
        };
        RecordingScheduler scheduler = new RecordingScheduler();
        // the default lease would first tick after minutes; the per-call lease needs one within 10 ms
        try (Idempotency engine = Idempotency.create(counting, IdempotencyConfig.custom().scheduler(scheduler)
                .clock(clock).leaseDuration(Duration.ofMinutes(30)).build())) {
            Lease slow = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("slow"),
                    Fingerprint.of(new byte[0]))).lease();
            Lease fast = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("fast"),
                    Fingerprint.of(new byte[0]), CallOptions.custom().leaseDuration(Duration.ofMillis(60)).build()))
                    .lease();
            clock.advance(Duration.ofMinutes(1));
            assertThat(renewed.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(memory.find(fast.recordId(), later).orElseThrow().leaseDeadline())
                    .as("renewed by its own 60 ms lease, not the default").isEqualTo(later.plusMillis(60));
            assertThat(memory.find(slow.recordId(), later).orElseThrow().leaseDeadline())
                    .as("not yet due").isEqualTo(later.minus(Duration.ofMinutes(1)).plus(Duration.ofMinutes(30)));
            assertThat(scheduler.periodicTasks).hasSize(2)
                    .filteredOn(task -> !task.isCancelled()).hasSize(1);
            fast.release();
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** Remembers every periodic task it was given, whether it is waiting in the queue or running. */
    private static final class RecordingScheduler extends ScheduledThreadPoolExecutor {
        final List<ScheduledFuture<?>> periodicTasks = new CopyOnWriteArrayList<>();

        RecordingScheduler() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            ScheduledFuture<?> task = super.scheduleAtFixedRate(command, initialDelay, period, unit);
            periodicTasks.add(task);
            return task;
        }
    }
}
