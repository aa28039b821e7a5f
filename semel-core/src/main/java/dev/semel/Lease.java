package dev.semel;

import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The right to run an operation for one key, guarded by a fencing token.
 *
 * <p>While the lease is active the engine renews it in the background. End it exactly
 * once: {@link #finish} (store or release per the outcome policy), {@link #complete}, or
 * {@link #release}. {@link #close()} releases a lease that was not ended, so a
 * try-with-resources block never leaves a key stuck. If the lease was taken over (this
 * process stalled past its deadline and another caller claimed the key), every method
 * that writes throws {@link LeaseLostException}: a zombie cannot overwrite anything.
 */
public final class Lease implements AutoCloseable {

    /** A lease's life: {@code ACTIVE} moves once to one of the other three. */
    public enum Status {
        /** Held; renewed in the background. */
        ACTIVE,
        /** Ended by storing a response. */
        COMPLETED,
        /** Ended by releasing the key. */
        RELEASED,
        /** Taken over by another caller or deleted; nothing can be written any more. */
        LOST,
        /**
         * Could not be ended: the store kept failing to record the outcome while the lease was
         * valid. The key is deliberately not released (the effect may have happened); the
         * record stays in progress until its lease runs out.
         */
        ABANDONED
    }

    private final StoreCalls calls;
    private final LeaseRenewals renewals;
    private final Scope scope;
    private final IdempotencyKey key;
    private final String recordId;
    private final long fencingToken;
    private final Duration ttl;
    private final Duration leaseDuration;
    private final OutcomePolicy outcomePolicy;
    private final boolean guarded;
    private final boolean inTransaction;
    private final long claimedAtNanos;
    /** When the store last confirmed the lease (claim or renewal started), on the engine's ticker. */
    private volatile long confirmedAtNanos;
    /** Whether a background renewal of this lease is running (at most one at a time). */
    final AtomicBoolean renewing = new AtomicBoolean();
    private final AtomicReference<Status> status = new AtomicReference<>(Status.ACTIVE);
    private long renewIntervalNanos;
    private volatile long nextRenewalNanos;

    Lease(StoreCalls calls, LeaseRenewals renewals, Scope scope, IdempotencyKey key, String recordId,
            long fencingToken, Duration ttl, Duration leaseDuration, OutcomePolicy outcomePolicy, boolean guarded,
            boolean inTransaction) {
        this.calls = calls;
        this.renewals = renewals;
        this.claimedAtNanos = calls.nanos();
        this.confirmedAtNanos = claimedAtNanos;
        this.scope = scope;
        this.key = key;
        this.recordId = recordId;
        this.fencingToken = fencingToken;
        this.ttl = ttl;
        this.leaseDuration = leaseDuration;
        this.outcomePolicy = outcomePolicy;
        this.guarded = guarded;
        this.inTransaction = inTransaction;
    }

    /** @return the scope this lease belongs to */
    public Scope scope() {
        return scope;
    }

    /** @return the key this lease holds */
    public IdempotencyKey key() {
        return key;
    }

    /** @return the record id in the store */
    String recordId() {
        return recordId;
    }

    /** @return the fencing token that guards every write, 0 for an unguarded lease */
    public long fencingToken() {
        return fencingToken;
    }

    /**
     * Whether this lease runs unprotected: the store failed and the engine
     * {@link FailurePolicy#FAIL_OPEN failed open}, so nothing guards the key and finishing
     * stores nothing.
     *
     * @return {@code false} for a normal lease
     */
    public boolean isFailOpen() {
        return !guarded;
    }

    /** @return where the lease is in its life */
    @SuppressWarnings("NullAway") // starts ACTIVE and is only ever compareAndSet to another status, never null
    public Status status() {
        return status.get();
    }

    /** @return {@code true} while the lease can still be ended */
    public boolean isActive() {
        return status.get() == Status.ACTIVE;
    }

    /**
     * Ends the lease as the outcome policy says: a final outcome is stored for replay,
     * any other (5xx, 408, 409, 425, 429 by default) releases the key.
     *
     * @param response what the operation produced
     * @return {@code true} if the response was stored
     * @throws LeaseLostException if the lease was taken over
     * @throws IdempotencyStoreException if the store failed
     */
    public boolean finish(StoredResponse response) {
        if (outcomePolicy.shouldStore(response.status())) {
            complete(response);
            return true;
        }
        release();
        return false;
    }

    /**
     * Stores the response; every retry of this key replays it until the TTL ends.
     *
     * <p>A store failure is retried, with backoff, while the lease is still valid; a response
     * the store refuses as too large is stored without its body ("not retained"). If the store
     * still fails, the lease ends {@link Status#ABANDONED}: the key is not released, since the
     * effect may have happened, and the caller gets the store failure.
     *
     * @param response what the operation produced
     * @throws LeaseLostException if the lease was taken over
     * @throws IllegalStateException if the lease was already ended
     * @throws IdempotencyStoreException if the store failed
     */
    public void complete(StoredResponse response) {
        if (!startEnding(Status.COMPLETED)) {
            return;
        }
        boolean stored;
        try {
            stored = calls.complete(this, response, ttl);
        } catch (RuntimeException e) {
            status.compareAndSet(Status.ACTIVE, Status.ABANDONED);
            throw e;
        }
        completed(stored, response);
    }

    /**
     * {@link #complete} without blocking the calling thread, for non-blocking adapters (an
     * event loop must never wait for the store): the same retries, outcomes and failures,
     * delivered through the stage.
     *
     * @param response what the operation produced
     * @return a stage that completes when the response is stored, or fails with
     *     {@link LeaseLostException}, {@link IllegalStateException} or
     *     {@link IdempotencyStoreException} (possibly wrapped in a
     *     {@link java.util.concurrent.CompletionException})
     */
    public CompletionStage<Void> completeAsync(StoredResponse response) {
        try {
            if (!startEnding(Status.COMPLETED)) {
                return CompletableFuture.completedFuture(null);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return calls.completeAsync(this, response, ttl).handle((stored, error) -> {
            if (error != null) {
                status.compareAndSet(Status.ACTIVE, Status.ABANDONED);
                throw StoreCalls.unwrap(error);
            }
            completed(stored, response);
            return null;
        });
    }

    /**
     * {@link #finish} without blocking the calling thread: stores the response or releases the
     * key, as the outcome policy says.
     *
     * @param response what the operation produced
     * @return a stage with {@code true} if the response was stored; failures as {@link #completeAsync}
     */
    public CompletionStage<Boolean> finishAsync(StoredResponse response) {
        if (outcomePolicy.shouldStore(response.status())) {
            return completeAsync(response).thenApply(v -> Boolean.TRUE);
        }
        return releaseAsync().thenApply(v -> Boolean.FALSE);
    }

    /**
     * {@link #release} without blocking the calling thread.
     *
     * @return a stage that completes when the key is free again; failures as {@link #completeAsync}
     */
    public CompletionStage<Void> releaseAsync() {
        try {
            if (!startEnding(Status.RELEASED)) {
                return CompletableFuture.completedFuture(null);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return calls.releaseAsync(this).thenApply(released -> {
            released(released);
            return null;
        });
    }

    /**
     * Starts ending the lease: checks it is active and stops its renewal. An unguarded
     * (fail-open) lease has nothing to write and ends here.
     *
     * @return whether the store must be written
     */
    private boolean startEnding(Status unguardedEnd) {
        checkActive();
        stopRenewal();
        if (!guarded) {
            status.set(unguardedEnd);
            return false;
        }
        return true;
    }

    private void completed(boolean stored, StoredResponse response) {
        if (!stored) {
            lost("complete");
        }
        status.set(Status.COMPLETED);
        if (calls.listening()) {
            calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.COMPLETED, scope, key, elapsed(),
                    response.status(), response.bodyLength(), null));
        }
    }

    /**
     * Releases the key so the next request with it runs the operation again.
     *
     * @throws LeaseLostException if the lease was taken over
     * @throws IllegalStateException if the lease was already ended
     * @throws IdempotencyStoreException if the store failed
     */
    public void release() {
        if (startEnding(Status.RELEASED)) {
            released(calls.release(this));
        }
    }

    private void released(boolean released) {
        if (!released) {
            lost("release");
        }
        status.set(Status.RELEASED);
        if (calls.listening()) {
            calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.RELEASED, scope, key, elapsed()));
        }
    }

    /**
     * Extends the lease now (the engine also does this in the background).
     *
     * @throws LeaseLostException if the lease was taken over
     * @throws IllegalStateException if the lease was already ended
     * @throws IdempotencyStoreException if the store failed
     */
    public void renew() {
        checkActive();
        long started = calls.nanos();
        if (guarded && !calls.renew(this, leaseDuration)) {
            lost("renew");
        }
        confirmedAtNanos = started;
    }

    /**
     * Releases the key after the operation failed, if the lease is still active, without
     * hiding the operation's failure: a release that fails too is added to it as suppressed.
     * With a {@code null} failure a release that fails is logged instead.
     *
     * @param failure what the operation threw, or {@code null}
     */
    public void releaseAfterFailure(@Nullable Throwable failure) {
        try {
            if (isActive()) {
                release();
            }
        } catch (RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                Idempotency.LOG.log(System.Logger.Level.WARNING, "Could not release idempotency key '" + key + "'", e);
            }
        }
    }

    /** Releases the lease if it is still active; does nothing otherwise. */
    @Override
    public void close() {
        if (isActive()) {
            release();
        }
    }

    void renewInBackground() {
        if (!isActive()) {
            stopRenewal();
            return;
        }
        try {
            long started = calls.nanos();
            boolean renewed = calls.renew(this, leaseDuration);
            if (renewed) {
                confirmedAtNanos = started;
            }
            if (!renewed && status.compareAndSet(Status.ACTIVE, Status.LOST)) {
                stopRenewal();
                calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.LEASE_LOST, scope, key, elapsed(), 0, 0,
                        new LeaseLostException(describeLoss("renew"))));
            }
        } catch (RuntimeException e) {
            Idempotency.LOG.log(System.Logger.Level.WARNING,
                    "Could not renew the lease of idempotency key '" + key + "'; will try again", e);
        }
    }

    /** Whether the lease is still ours for at least {@code marginNanos}, judged from its last confirmation. */
    boolean validFor(long marginNanos) {
        return calls.nanos() + marginNanos - confirmedAtNanos < leaseDuration.toNanos();
    }

    /** Whether the lease lives inside a store transaction (a failed statement there is not retried). */
    boolean inTransaction() {
        return inTransaction;
    }


    void renewEvery(long intervalNanos, long firstRenewalNanos) {
        this.renewIntervalNanos = intervalNanos;
        this.nextRenewalNanos = firstRenewalNanos;
    }

    private volatile @Nullable Future<?> renewal;
    private volatile long renewalStartedNanos;

    void renewalStarted(Future<?> running, long nowNanos) {
        renewalStartedNanos = nowNanos;
        renewal = running;
        if (!renewing.get()) {
            renewal = null; // it already ended
        }
    }

    void renewalEnded() {
        renewal = null;
        renewing.set(false);
    }

    /** The next tick tries again (the renewal could not start). */
    void renewSoon() {
        nextRenewalNanos = calls.nanos();
    }

    /**
     * Interrupts a renewal that has run past its deadline (one renewal interval), so that it
     * frees its thread; the next tick tries again while the lease may still be valid.
     */
    void interruptRenewalOverdue(long nowNanos) {
        Future<?> running = renewal;
        if (running != null && nowNanos - renewalStartedNanos > renewIntervalNanos) {
            Idempotency.LOG.log(System.Logger.Level.WARNING, "Renewing the lease of idempotency key ''{0}'' took"
                    + " longer than {1} ms; interrupting it and trying again", key, renewIntervalNanos / 1_000_000);
            running.cancel(true);
            renewalEnded(); // a renewal cancelled before it started never runs its own ending
            nextRenewalNanos = nowNanos;
        }
    }

    /** Whether a background renewal is due; if so, the next one is scheduled from now. */
    boolean renewalDue(long nowNanos) {
        if (nowNanos - nextRenewalNanos < 0) {
            return false;
        }
        nextRenewalNanos = nowNanos + renewIntervalNanos;
        return true;
    }

    private void stopRenewal() {
        renewals.remove(this);
    }

    private void checkActive() {
        Status s = status.get();
        if (s == Status.LOST) {
            throw new LeaseLostException(describeLoss("use"));
        }
        if (s != Status.ACTIVE) {
            throw new IllegalStateException("The lease of idempotency key '" + key + "' was already " + s);
        }
    }

    private void lost(String what) {
        status.set(Status.LOST);
        stopRenewal();
        LeaseLostException e = new LeaseLostException(describeLoss(what));
        calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.LEASE_LOST, scope, key, elapsed(), 0, 0, e));
        throw e;
    }

    private String describeLoss(String what) {
        return "Cannot " + what + " idempotency key '" + key + "': fencing token " + fencingToken
                + " no longer holds the record (the lease ended and was taken over, or the record was deleted)";
    }

    Duration elapsed() {
        return Duration.ofNanos(calls.nanos() - claimedAtNanos);
    }

    @Override
    public String toString() {
        return "Lease[key=" + key + ", token=" + fencingToken + ", " + status.get() + "]";
    }
}
