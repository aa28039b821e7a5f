package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
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

    private final StoreExecutor executor;

    StoreCalls(IdempotencyStore store, IdempotencyConfig config) {
        this.store = store;
        this.config = config;
        this.executor = new StoreExecutor(config.storeExecutor());
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

    /**
     * The read of a transactional store before its transaction, timed as a claim (it answers
     * one); a store failure is reported and rethrown as it came.
     */
    Optional<IdempotencyRecord> findCompleted(TransactionalIdempotencyStore transactional, ClaimRequest request) {
        long start = startStoreCall(StoreOperation.CLAIM);
        try {
            Optional<IdempotencyRecord> record = transactional.findCompleted(request);
            reportStoreCall(StoreOperation.CLAIM, start, null);
            return record;
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
                toStore = withoutBody(lease, toStore, tooLarge);
            } catch (RuntimeException e) {
                reportStoreCall(StoreOperation.COMPLETE, start, e);
                failures++;
                giveUpOrLog(lease, failures, backoffNanos, e);
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

    /** The asynchronous path of {@link #complete}: the same retries, its backoff holding no thread. */
    CompletableFuture<Boolean> completeAsync(Lease lease, StoredResponse response, Duration ttl) {
        return completeAttempt(lease, response, ttl, 0, COMPLETE_FIRST_BACKOFF_NANOS);
    }

    private CompletableFuture<Boolean> completeAttempt(Lease lease, StoredResponse toStore, Duration ttl,
            int failures, long backoffNanos) {
        Instant now = config.clock().instant();
        long start = startStoreCall(StoreOperation.COMPLETE);
        return timed(blocking -> store.completeAsync(lease.recordId(), lease.fencingToken(), toStore,
                now.plus(ttl), now, blocking)).handle((ok, error) -> {
                    RuntimeException e = error == null ? null : unwrap(error);
                    reportStoreCall(StoreOperation.COMPLETE, start, e);
                    try {
                        if (e == null) {
                            return !ok && failures > 0
                                    ? CompletableFuture.supplyAsync(() -> completedBy(lease), executor)
                                    : CompletableFuture.completedFuture(ok);
                        }
                        if (e instanceof StoreCapacityExceededException tooLarge) {
                            return completeAttempt(lease, withoutBody(lease, toStore, tooLarge), ttl, failures,
                                    backoffNanos);
                        }
                        giveUpOrLog(lease, failures + 1, backoffNanos, e);
                    } catch (RuntimeException giveUp) {
                        return CompletableFuture.<Boolean>failedFuture(giveUp);
                    }
                    Executor later = CompletableFuture.delayedExecutor(backoffNanos, TimeUnit.NANOSECONDS, executor);
                    return CompletableFuture.runAsync(() -> { }, later).thenCompose(v -> completeAttempt(lease,
                            toStore, ttl, failures + 1, Math.min(backoffNanos * 2, COMPLETE_MAX_BACKOFF_NANOS)));
                }).thenCompose(Function.identity());
    }

    /** The response to store instead of one the store refused as too large: the same without its body. */
    private static StoredResponse withoutBody(Lease lease, StoredResponse refused,
            StoreCapacityExceededException tooLarge) {
        if (!refused.bodyRetained()) {
            throw tooLarge;
        }
        Idempotency.LOG.log(System.Logger.Level.WARNING, "The store refused the outcome of idempotency key"
                + " ''{0}'' ({1}); completing its record without the body (not retained)", lease.key(),
                tooLarge.getMessage());
        return StoredResponse.withoutBody(refused.status(), refused.headers());
    }

    /**
     * After a failed completion: throws the store failure when no further attempt may run (in a
     * store transaction, out of attempts, or the lease could end before the next one), else logs.
     */
    private void giveUpOrLog(Lease lease, int failures, long backoffNanos, RuntimeException e) {
        if (lease.inTransaction() || failures >= config.completeAttempts()
                || !lease.validFor(backoffNanos + COMPLETE_LEASE_MARGIN_NANOS)) {
            throw asStoreException("complete", e);
        }
        Idempotency.LOG.log(System.Logger.Level.WARNING, "Could not complete idempotency key ''{0}'' (attempt"
                + " {1}); trying again while its lease is valid: {2}", lease.key(), failures, e.getMessage());
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

    /** The asynchronous path of {@link #release}. */
    CompletableFuture<Boolean> releaseAsync(Lease lease) {
        long start = startStoreCall(StoreOperation.RELEASE);
        return timed(blocking -> store.releaseAsync(lease.recordId(), lease.fencingToken(), blocking))
                .handle((ok, error) -> {
                    RuntimeException e = error == null ? null : unwrap(error);
                    reportStoreCall(StoreOperation.RELEASE, start, e);
                    if (e != null) {
                        throw asStoreException("release", e);
                    }
                    return ok;
                });
    }

    /** The asynchronous path of {@link #claim}: a store failure is reported, and fails the stage as it came. */
    CompletableFuture<ClaimResult> claimAsync(ClaimRequest request) {
        long start = startStoreCall(StoreOperation.CLAIM);
        return timed(blocking -> store.claimAsync(request, blocking)).whenComplete((result, error) ->
                reportStoreCall(StoreOperation.CLAIM, start, error == null ? null : unwrap(error)));
    }

    /** The asynchronous path of {@link #awaitChange}; never fails (the next claim sees a store failure). */
    CompletableFuture<Void> awaitChangeAsync(String recordId, Duration pause) {
        long start = startStoreCall(StoreOperation.AWAIT);
        return call(() -> store.awaitChangeAsync(recordId, pause)).handle((v, error) -> {
            reportStoreCall(StoreOperation.AWAIT, start, error == null ? null : unwrap(error));
            return null;
        });
    }

    /**
     * Starts a store's asynchronous claim, completion or release with its deadline: a blocking
     * call that has not started on the store executor by then is dropped, never run late, and
     * its stage fails with a store failure at once. No timer is set: a timer's queue takes a
     * lock, and the caller may be an event loop. A call that started is bounded by the store's
     * own timeouts; a native asynchronous call (Redis) by its client's.
     */
    private <T> CompletableFuture<T> timed(Function<Executor, CompletionStage<T>> start) {
        long deadline = ticker.read() + config.asyncStoreDeadline().toNanos();
        CompletableFuture<T> result = new CompletableFuture<>();
        Executor untilDeadline = task -> executor.execute(() -> {
            if (ticker.read() - deadline < 0) {
                task.run();
            } else {
                result.completeExceptionally(new QueuedPastDeadline());
            }
        });
        CompletableFuture<T> stage = call(() -> start.apply(untilDeadline));
        if (stage.isDone()) {
            return stage; // answered at once (in memory), or failed to start: nothing was queued
        }
        stage.whenComplete((value, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        });
        return result;
    }

    /** A blocking store call dropped because it had not started by its deadline. */
    private static final class QueuedPastDeadline extends TimeoutException {
        private static final long serialVersionUID = 1L;

        QueuedPastDeadline() {
            super("queued past its deadline");
        }
    }

    /** Starts a store's asynchronous call; one that throws instead of failing its stage fails the stage. */
    private static <T> CompletableFuture<T> call(Supplier<CompletionStage<T>> start) {
        try {
            return start.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** What an asynchronous store call failed with, without the {@link CompletionException} around it. */
    static RuntimeException unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof QueuedPastDeadline) {
            return new IdempotencyStoreException("The idempotency store call waited in the store executor's queue"
                    + " past its deadline (asyncStoreDeadline) and was dropped without running", e);
        }
        return e instanceof RuntimeException runtime ? runtime
                : new IdempotencyStoreException("The idempotency store failed: " + e, e);
    }

    void shutdown() {
        executor.shutdown();
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
