package dev.semel;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Where the asynchronous path runs a store's blocking calls: the configured executor, or a
 * bounded pool the engine starts on first use and stops on close. A full pool refuses the call
 * ({@link java.util.concurrent.RejectedExecutionException}), which the engine treats as a store
 * failure; it never runs the call on the caller's thread, which may be an event loop.
 */
final class StoreExecutor implements Executor {
    static final int THREADS = 16;
    static final int QUEUED_CALLS = 1024;

    private final @Nullable Executor configured;
    private volatile @Nullable ThreadPoolExecutor own;
    private volatile boolean shutDown;

    StoreExecutor(@Nullable Executor configured) {
        this.configured = configured;
    }

    @Override
    public void execute(Runnable call) {
        Executor executor = configured;
        (executor != null ? executor : own()).execute(call);
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
                pool = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(QUEUED_CALLS), r -> {
                            Thread t = new Thread(r, "semel-store-" + threads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        }, new ThreadPoolExecutor.AbortPolicy());
                pool.allowCoreThreadTimeOut(true);
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
