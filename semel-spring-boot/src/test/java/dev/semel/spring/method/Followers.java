package dev.semel.spring.method;

import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import dev.semel.StoreOperation;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sees duplicates while the first call still runs: a thread that starts a store wait (the wait
 * policy) or is answered in-progress (the reject policy) is a follower that arrived in time.
 * A race holds its first call inside the method until this listener has seen every follower.
 */
final class Followers implements IdempotencyListener {
    private final Set<Thread> waiting = new HashSet<>();
    private int conflicts;
    final List<IdempotencyEvent.Type> events = new CopyOnWriteArrayList<>();

    @Override
    public synchronized void onStoreCallStart(StoreOperation operation) {
        if (operation == StoreOperation.AWAIT && waiting.add(Thread.currentThread())) {
            notifyAll();
        }
    }

    @Override
    public void onEvent(IdempotencyEvent event) {
        events.add(event.type());
        if (event.type() == IdempotencyEvent.Type.CONFLICT) {
            synchronized (this) {
                conflicts++;
                notifyAll();
            }
        }
    }

    /** Whether n distinct threads have started waiting on the store within the bound. */
    boolean awaitWaiting(int n, Duration bound) throws InterruptedException {
        return awaitUntil(() -> waiting.size() >= n, bound);
    }

    /** Whether n duplicates have been answered in-progress within the bound. */
    boolean awaitConflicts(int n, Duration bound) throws InterruptedException {
        return awaitUntil(() -> conflicts >= n, bound);
    }

    synchronized int waitingThreads() {
        return waiting.size();
    }

    long count(IdempotencyEvent.Type type) {
        return events.stream().filter(type::equals).count();
    }

    private synchronized boolean awaitUntil(java.util.function.BooleanSupplier done, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
