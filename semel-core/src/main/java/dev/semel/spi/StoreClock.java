package dev.semel.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A store server's clock as seen from this JVM, for stores that judge leases and expiry by
 * their own clock rather than by each caller's (see {@link IdempotencyStore#usesOwnClock()}).
 *
 * <p>The server's time is read now and then (a database's {@code CURRENT_TIMESTAMP}, Redis
 * {@code TIME}) and carried forward on this JVM's monotonic clock, so that a JVM whose wall
 * clock is wrong, or jumps, still judges time as the server does, to within half a round trip.
 * The times a caller passes are turned into durations ({@code leaseDeadline - now},
 * {@code expiresAt - now}) and laid onto the server's clock: every node then compares
 * deadlines written on one clock, whatever its own says.
 *
 * <pre>{@code
 * Instant storeNow = clock.now(true);
 * Instant deadline = StoreClock.onStoreClock(request.leaseDeadline(), request.now(), storeNow);
 * }</pre>
 */
public final class StoreClock {
    /** How long one reading of the server's clock is carried forward before it is read again: 30 s. */
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(30);

    /**
     * Reads the server's current time.
     */
    @FunctionalInterface
    public interface ServerTime {
        /**
         * Reads the server's clock once.
         *
         * @return the server's current time
         * @throws Exception if the server cannot be asked
         */
        Instant read() throws Exception;
    }

    private record Reading(Instant serverTime, long atNanos) {
    }

    private final ServerTime serverTime;
    private final long refreshNanos;
    private volatile @Nullable Reading reading;

    /**
     * Creates the clock; it reads the server at its first use.
     *
     * @param serverTime how to read the server's clock
     * @param refresh how long a reading is carried forward before the next one
     */
    public StoreClock(ServerTime serverTime, Duration refresh) {
        this.serverTime = Objects.requireNonNull(serverTime, "serverTime");
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh must be positive, was " + refresh);
        }
        this.refreshNanos = refresh.toNanos();
    }

    /**
     * The server's current time: the last reading carried forward on the monotonic clock, read
     * again from the server first when it is older than the refresh interval and
     * {@code mayRead} allows (a store inside a business transaction may not want a second
     * connection). A failed reading keeps the previous one when there is one.
     *
     * @param mayRead whether the server may be asked now
     * @return the server's time
     * @throws IllegalStateException if the server has never been read and cannot be
     */
    public Instant now(boolean mayRead) {
        Reading r = reading;
        long nowNanos = System.nanoTime();
        if (r == null || (mayRead && nowNanos - r.atNanos() > refreshNanos)) {
            try {
                r = read();
            } catch (Exception e) {
                if (r == null) {
                    throw new IllegalStateException("Could not read the store server's clock: " + e.getMessage(), e);
                }
                // keep carrying the last reading forward; the next call tries again
            }
            nowNanos = System.nanoTime();
        }
        return r.serverTime().plusNanos(nowNanos - r.atNanos());
    }

    /**
     * Whether {@link #now(boolean) now(true)} would ask the server (never read, or the last
     * reading is older than the refresh interval): an asynchronous caller that must not block
     * then reads on a thread that may.
     *
     * @return {@code true} if the next {@code now(true)} reads the server
     */
    public boolean isStale() {
        Reading r = reading;
        return r == null || System.nanoTime() - r.atNanos() > refreshNanos;
    }

    /**
     * Reads the server's clock now, compensating half the round trip.
     *
     * @throws Exception if the server cannot be asked
     */
    private Reading read() throws Exception {
        long before = System.nanoTime();
        Instant server = serverTime.read();
        long after = System.nanoTime();
        Reading r = new Reading(server.plusNanos((after - before) / 2), after);
        reading = r;
        return r;
    }

    /**
     * Lays a caller's instant onto the store's clock: the same distance from the store's now as
     * it was from the caller's.
     *
     * @param callerInstant a deadline or expiry on the caller's clock
     * @param callerNow the caller's now
     * @param storeNow the store's now
     * @return the instant on the store's clock
     */
    public static Instant onStoreClock(Instant callerInstant, Instant callerNow, Instant storeNow) {
        return storeNow.plus(Duration.between(callerNow, callerInstant));
    }

    /**
     * Lays a claim onto the store's clock.
     *
     * @param request the caller's claim
     * @param storeNow the store's now
     * @return the same claim with its times on the store's clock
     */
    public static ClaimRequest onStoreClock(ClaimRequest request, Instant storeNow) {
        return new ClaimRequest(request.recordId(), request.key(), request.scope(), request.fingerprint(),
                request.owner(), request.freshToken(), onStoreClock(request.leaseDeadline(), request.now(), storeNow),
                onStoreClock(request.expiresAt(), request.now(), storeNow), storeNow);
    }

    /**
     * Lays an admin query's creation bounds onto the store's clock.
     *
     * @param query the caller's query
     * @param callerNow the caller's now
     * @param storeNow the store's now
     * @return the query with its bounds on the store's clock
     */
    public static RecordQuery onStoreClock(RecordQuery query, Instant callerNow, Instant storeNow) {
        if (query.createdAfter() == null && query.createdBefore() == null) {
            return query;
        }
        return query.withCreated(
                query.createdAfter() == null ? null : onStoreClock(query.createdAfter(), callerNow, storeNow),
                query.createdBefore() == null ? null : onStoreClock(query.createdBefore(), callerNow, storeNow));
    }
}
