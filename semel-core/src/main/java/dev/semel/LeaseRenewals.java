package dev.semel;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Renews every active lease of one engine: one periodic task finds the leases that are due,
 * and each renewal runs on its own thread of a small dedicated pool.
 *
 * <p>Scheduling a task per lease cost every first request a trip through the scheduler's
 * locked queue and a wake-up of the renewal thread; here starting and stopping renewal is one
 * concurrent set insertion and removal, and a tick checks which leases are due.
 *
 * <p>The store calls themselves never run on the ticking thread: a slow store, or a pool with
 * no free connection, stalls the renewal of one lease, never the others. A lease has at most
 * one renewal in flight; one that is still running after its deadline (the renewal interval)
 * is interrupted, and the lease is tried again at the next tick.
 *
 * <p>A lease whose renewal interval is {@code i} and duration {@code d} is renewed between
 * {@code i} and {@code i + tick} after its last renewal, where the tick is at most
 * {@code min(i, d - i) / 2}: always before the lease ends.
 */
final class LeaseRenewals {
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Most renewals in flight at once: bounds the threads a dead store can hold. */
    static final int MAX_RENEWAL_THREADS = 64;

    private final ScheduledExecutorService scheduler;
    private final Ticker clock;
    private final ThreadPoolExecutor renewers;
    private final Set<Lease> leases = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    /** The current tick; {@code Long.MAX_VALUE} until the ticker starts. Written under {@link #lock}. */
    private volatile long tickNanos = Long.MAX_VALUE;
    private @Nullable ScheduledFuture<?> ticker;

    LeaseRenewals(ScheduledExecutorService scheduler, Ticker ticker) {
        this.scheduler = scheduler;
        this.clock = ticker;
        AtomicInteger threads = new AtomicInteger();
        this.renewers = new ThreadPoolExecutor(0, MAX_RENEWAL_THREADS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "semel-lease-renewal-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Starts renewing a lease every {@code interval}.
     *
     * @return {@code false} if the scheduler refused to run the ticker (engine closed)
     */
    boolean add(Lease lease, Duration interval, Duration leaseDuration) {
        long intervalNanos = Math.max(MIN_TICK_NANOS, interval.toNanos());
        lease.renewEvery(intervalNanos, clock.read() + intervalNanos);
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

    /** Stops the renewal threads (the engine is closing). */
    void shutdown() {
        renewers.shutdownNow();
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
        long now = clock.read();
        for (Lease lease : leases) {
            try {
                if (!lease.isActive()) {
                    leases.remove(lease);
                } else if (lease.renewing.get()) {
                    lease.interruptRenewalOverdue(now);
                } else if (lease.renewalDue(now)) {
                    dispatch(lease, now);
                }
            } catch (RuntimeException e) {
                // a periodic task that throws is never run again: keep renewing the others
                Idempotency.LOG.log(System.Logger.Level.WARNING, "Lease renewal failed for " + lease, e);
            }
        }
    }

    private void dispatch(Lease lease, long now) {
        if (!lease.renewing.compareAndSet(false, true)) {
            return;
        }
        try {
            Future<?> running = renewers.submit(() -> {
                try {
                    lease.renewInBackground();
                } finally {
                    lease.renewalEnded();
                }
            });
            lease.renewalStarted(running, now);
        } catch (RejectedExecutionException e) {
            // every renewal thread is stuck on the store (or the engine closed): try at the next tick
            lease.renewalEnded();
            lease.renewSoon();
        }
    }
}
