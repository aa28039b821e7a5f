package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Every call the engine and its leases make to the store, each timed for the listener, with
 * the one policy that belongs to a call rather than a request: a completion that failed is
 * retried while its lease is valid. {@link Lease} holds this, not the engine, so a lease's
 * writes go lease → store calls → store.
 */
final class StoreCalls {
    private static final long COMPLETE_FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long COMPLETE_MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A retried completion must start this long before the lease could have ended. */
    private static final long COMPLETE_LEASE_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IdempotencyStore store;
    private final IdempotencyConfig config;
    private final Ticker ticker;
    /** False with {@link IdempotencyListener#NONE}: then no event is built and no store call timed. */
    private final boolean listening;

    StoreCalls(IdempotencyStore store, IdempotencyConfig config) {
        this.store = store;
        this.config = config;
        this.ticker = config.ticker();
        this.listening = config.listener() != IdempotencyListener.NONE;
    }

    IdempotencyConfig config() {
        return config;
    }

    /** @return the ticker's reading, in nanoseconds */
    long nanos() {
        return ticker.read();
    }

    /** @return whether a listener other than {@link IdempotencyListener#NONE} wants events */
    boolean listening() {
        return listening;
    }

    /** Reports an event to the configured listener; listener failures are logged, never thrown. */
    void emit(IdempotencyEvent event) {
        try {
            config.listener().onEvent(event);
        } catch (RuntimeException e) {
            Idempotency.LOG.log(System.Logger.Level.WARNING, "Idempotency listener failed on " + event.type(), e);
        }
    }

    /** One claim; a store failure is reported and rethrown as it came. */
    ClaimResult claim(ClaimRequest request) {
        long start = startStoreCall(StoreOperation.CLAIM);
        try {
            ClaimResult result = store.claim(request);
            reportStoreCall(StoreOperation.CLAIM, start, null);
            return result;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.CLAIM, start, e);
            throw e;
        }
    }

    /** Waits for a change of the record; a store failure is reported and swallowed (the next claim sees it). */
    void awaitChange(String recordId, Duration pause) throws InterruptedException {
        long start = startStoreCall(StoreOperation.AWAIT);
        try {
            store.awaitChange(recordId, pause);
            reportStoreCall(StoreOperation.AWAIT, start, null);
        } catch (InterruptedException e) {
            reportStoreCall(StoreOperation.AWAIT, start, e);
            throw e;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.AWAIT, start, e);
        }
    }

    /**
     * Completes the record. A store failure is retried with backoff while the lease is still
     * valid (a failover's timeout must not turn a finished operation into a 503 and, after the
     * lease, into a second run); a response the store refuses as too large is completed without
     * its body, never released.
     */
    boolean complete(Lease lease, StoredResponse response, Duration ttl) {
        StoredResponse toStore = response;
        int failures = 0;
        long backoffNanos = COMPLETE_FIRST_BACKOFF_NANOS;
        while (true) {
            Instant now = config.clock().instant();
            long start = startStoreCall(StoreOperation.COMPLETE);
            try {
                boolean ok = store.complete(lease.recordId(), lease.fencingToken(), toStore, now.plus(ttl), now);
                reportStoreCall(StoreOperation.COMPLETE, start, null);
                if (!ok && failures > 0) {
                    // an earlier attempt may have completed the record and only its answer was lost
                    return completedBy(lease);
                }
                return ok;
            } catch (StoreCapacityExceededException tooLarge) {
                reportStoreCall(StoreOperation.COMPLETE, start, tooLarge);
                if (!toStore.bodyRetained()) {
                    throw tooLarge;
                }
                Idempotency.LOG.log(System.Logger.Level.WARNING, "The store refused the outcome of idempotency key"
                        + " ''{0}'' ({1}); completing its record without the body (not retained)", lease.key(),
                        tooLarge.getMessage());
                toStore = StoredResponse.withoutBody(toStore.status(), toStore.headers());
            } catch (RuntimeException e) {
                reportStoreCall(StoreOperation.COMPLETE, start, e);
                failures++;
                if (lease.inTransaction() || failures >= config.completeAttempts()
                        || !lease.validFor(backoffNanos + COMPLETE_LEASE_MARGIN_NANOS)) {
                    throw asStoreException("complete", e);
                }
                Idempotency.LOG.log(System.Logger.Level.WARNING, "Could not complete idempotency key ''{0}'' (attempt"
                        + " {1}); trying again while its lease is valid: {2}", lease.key(), failures, e.getMessage());
                try {
                    TimeUnit.NANOSECONDS.sleep(backoffNanos);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw asStoreException("complete", e);
                }
                backoffNanos = Math.min(backoffNanos * 2, COMPLETE_MAX_BACKOFF_NANOS);
            }
        }
    }

    private boolean completedBy(Lease lease) {
        Optional<IdempotencyRecord> record = store.find(lease.recordId(), config.clock().instant());
        return record.isPresent() && record.get().state() == RecordState.COMPLETED
                && record.get().fencingToken() == lease.fencingToken();
    }

    boolean release(Lease lease) {
        long start = startStoreCall(StoreOperation.RELEASE);
        try {
            boolean ok = store.release(lease.recordId(), lease.fencingToken());
            reportStoreCall(StoreOperation.RELEASE, start, null);
            return ok;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.RELEASE, start, e);
            throw asStoreException("release", e);
        }
    }

    boolean renew(Lease lease, Duration leaseDuration) {
        Instant now = config.clock().instant();
        long start = startStoreCall(StoreOperation.RENEW);
        try {
            boolean ok = store.renew(lease.recordId(), lease.fencingToken(), now.plus(leaseDuration), now);
            reportStoreCall(StoreOperation.RENEW, start, null);
            return ok;
        } catch (RuntimeException e) {
            reportStoreCall(StoreOperation.RENEW, start, e);
            throw asStoreException("renew", e);
        }
    }

    static IdempotencyStoreException asStoreException(String operation, RuntimeException e) {
        if (e instanceof IdempotencyStoreException storeException) {
            return storeException;
        }
        return new IdempotencyStoreException("The idempotency store failed to " + operation + ": " + e.getMessage(),
                e);
    }

    /** Tells the listener a store call starts; returns the start time for {@link #reportStoreCall}. */
    private long startStoreCall(StoreOperation operation) {
        if (!listening) {
            return 0L;
        }
        try {
            config.listener().onStoreCallStart(operation);
        } catch (RuntimeException e) {
            Idempotency.LOG.log(System.Logger.Level.WARNING,
                    "Idempotency listener failed on store call start " + operation, e);
        }
        return ticker.read();
    }

    private void reportStoreCall(StoreOperation operation, long startNanos, @Nullable Throwable failure) {
        if (!listening) {
            return;
        }
        try {
            config.listener().onStoreCall(operation, Duration.ofNanos(ticker.read() - startNanos), failure);
        } catch (RuntimeException e) {
            Idempotency.LOG.log(System.Logger.Level.WARNING, "Idempotency listener failed on store call " + operation,
                    e);
        }
    }
}
