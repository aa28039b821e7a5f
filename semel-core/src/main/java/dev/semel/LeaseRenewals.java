package dev.semel;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Renews every active lease of one engine from a single periodic task.
 *
 * <p>Scheduling a task per lease cost every first request a trip through the scheduler's
 * locked queue and, with an idle renewal thread, a wake-up of that thread (a system call)
 * on schedule and again on cancel. Here starting and stopping renewal is one concurrent
 * set insertion and removal; a tick checks which leases are due.
 *
 * <p>A lease whose renewal interval is {@code i} and duration {@code d} is renewed between
 * {@code i} and {@code i + tick} after its last renewal, where the tick is at most
 * {@code min(i, d - i) / 2}: always before the lease ends.
 */
final class LeaseRenewals {
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ScheduledExecutorService scheduler;
    private final Set<Lease> leases = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    /** The current tick; {@code Long.MAX_VALUE} until the ticker starts. Written under {@link #lock}. */
    private volatile long tickNanos = Long.MAX_VALUE;
    private ScheduledFuture<?> ticker;

    LeaseRenewals(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Starts renewing a lease every {@code interval}.
     *
     * @return {@code false} if the scheduler refused to run the ticker (engine closed)
     */
    boolean add(Lease lease, Duration interval, Duration leaseDuration) {
        long intervalNanos = Math.max(MIN_TICK_NANOS, interval.toNanos());
        lease.renewEvery(intervalNanos, System.nanoTime() + intervalNanos);
        leases.add(lease);
        long needed = Math.max(MIN_TICK_NANOS,
                Math.min(intervalNanos, leaseDuration.toNanos() - intervalNanos) / 2);
        if (needed < tickNanos && !startTicker(needed)) {
            leases.remove(lease);
            return false;
        }
        if (!lease.isActive()) {
            leases.remove(lease);
        }
        return true;
    }

    void remove(Lease lease) {
        leases.remove(lease);
    }

    /** How many leases are being renewed (for tests). */
    int size() {
        return leases.size();
    }

    private boolean startTicker(long needed) {
        synchronized (lock) {
            if (needed >= tickNanos) {
                return true;
            }
            ScheduledFuture<?> next;
            try {
                next = scheduler.scheduleAtFixedRate(this::tick, needed, needed, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                Idempotency.LOG.log(System.Logger.Level.WARNING,
                        "Lease renewal scheduler refused a task (engine closed?); leases will not be renewed", e);
                return false;
            }
            if (ticker != null) {
                ticker.cancel(false);
            }
            ticker = next;
            tickNanos = needed;
            return true;
        }
    }

    private void tick() {
        long now = System.nanoTime();
        for (Lease lease : leases) {
            try {
                if (!lease.isActive()) {
                    leases.remove(lease);
                } else if (lease.renewalDue(now)) {
                    lease.renewInBackground();
                }
            } catch (RuntimeException e) {
                // a periodic task that throws is never run again: keep renewing the others
                Idempotency.LOG.log(System.Logger.Level.WARNING, "Lease renewal failed for " + lease, e);
            }
        }
    }
}
