package dev.semel.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand, so that leases and TTLs end without anyone sleeping.
 *
 * <pre>{@code
 * MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
 * Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build());
 * clock.advance(Duration.ofMinutes(1)); // the lease has ended
 * }</pre>
 */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    /** A clock standing at {@code start}. */
    public MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** A clock standing at 2030-01-01T00:00:00Z. */
    public MutableClock() {
        this(Instant.parse("2030-01-01T00:00:00Z"));
    }

    /** Moves the clock forward (or back, with a negative duration); safe from any thread. */
    public void advance(Duration duration) {
        now.updateAndGet(instant -> instant.plus(duration));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now.get();
    }
}
