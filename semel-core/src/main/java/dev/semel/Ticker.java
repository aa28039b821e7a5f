package dev.semel;

/**
 * The engine's source of elapsed time, in nanoseconds, as {@link System#nanoTime()} gives it:
 * how long to wait for a key in progress, when a lease is due for renewal, whether a lease is
 * still valid for a retried completion. Record times come from the configured
 * {@link java.time.Clock}; this one only measures durations, so a test can drive waits and
 * renewals without sleeping.
 *
 * <pre>{@code
 * AtomicLong nanos = new AtomicLong();
 * IdempotencyConfig config = IdempotencyConfig.custom().ticker(nanos::get).build();
 * }</pre>
 */
@FunctionalInterface
public interface Ticker {

    /**
     * Reads the ticker.
     *
     * @return nanoseconds from an arbitrary origin; only differences mean anything
     */
    long read();

    /**
     * The ticker of the JVM's monotonic clock.
     *
     * @return {@link System#nanoTime()} as a ticker
     */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}

/** {@link System#nanoTime()}, a single instance so the engine can tell it apart. */
enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long read() {
        return System.nanoTime();
    }
}
