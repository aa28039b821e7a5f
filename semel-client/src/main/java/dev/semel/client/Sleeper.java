package dev.semel.client;

import java.time.Duration;

/**
 * Waits between two attempts. The default sleeps the calling thread; tests pass one that
 * records the delay and returns at once, so no test ever really waits.
 *
 * <pre>{@code
 * List<Duration> delays = new ArrayList<>();
 * RetryPolicy policy = RetryPolicy.custom().sleeper(delays::add).build();
 * }</pre>
 */
@FunctionalInterface
public interface Sleeper {
    /** Sleeps the calling thread with {@link Thread#sleep(long)}. */
    Sleeper THREAD_SLEEP = delay -> Thread.sleep(delay.toMillis());

    /**
     * Waits for a delay.
     *
     * @param delay how long, never negative
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    void sleep(Duration delay) throws InterruptedException;
}
