package dev.semel;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Where the asynchronous path runs a store's blocking calls: the configured executor, or a
 * bounded pool the engine starts on first use and stops on close. A full pool refuses the call
 * ({@link java.util.concurrent.RejectedExecutionException}), which the engine treats as a store
 * failure; it never runs the call on the caller's thread, which may be an event loop.
 *
 * <p>Handing a call over never waits for a lock, since the caller may be an event loop: the
 * pool's threads are all started with it and never time out (so no worker is added under the
 * pool's lock), its queue is lock-free ({@link LinkedTransferQueue}), and its bound is a counter.
 * An {@code ArrayBlockingQueue} would make the event loop wait whenever a worker held the
 * queue's lock to take a call.
 */
final class StoreExecutor implements Executor {
    static final int THREADS = 16;
    static final int QUEUED_CALLS = 1024;

    private final @Nullable Executor configured;
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile @Nullable ThreadPoolExecutor own;
    private volatile boolean shutDown;

    StoreExecutor(@Nullable Executor configured) {
        this.configured = configured;
    }

    @Override
    public void execute(Runnable call) {
        Executor executor = configured;
        if (executor != null) {
            executor.execute(call);
            return;
        }
        if (waiting.incrementAndGet() > QUEUED_CALLS) {
            waiting.decrementAndGet();
            throw new RejectedExecutionException("The store executor's " + QUEUED_CALLS + " queued calls are taken");
        }
        try {
            own().execute(() -> {
                waiting.decrementAndGet();
                call.run();
            });
        } catch (RejectedExecutionException e) {
            waiting.decrementAndGet();
            throw e;
        }
    }

    private ThreadPoolExecutor own() {
        ThreadPoolExecutor pool = own;
        if (pool != null) {
            return pool;
        }
        synchronized (this) {
            pool = own;
            if (pool == null) {
                AtomicInteger threads = new AtomicInteger();
                pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new LinkedTransferQueue<>(),
                        r -> {
                            Thread t = new Thread(r, "semel-store-" + threads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        }, new ThreadPoolExecutor.AbortPolicy());
                pool.prestartAllCoreThreads();
                if (shutDown) {
                    pool.shutdown();
                }
                own = pool;
            }
            return pool;
        }
    }

    /** Stops the engine's own pool: calls already queued still run, new ones are refused. */
    synchronized void shutdown() {
        shutDown = true;
        ThreadPoolExecutor pool = own;
        if (pool != null) {
            pool.shutdown();
        }
    }
}
