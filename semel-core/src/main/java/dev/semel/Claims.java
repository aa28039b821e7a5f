package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Claiming a key: one atomic claim turned into a {@link Decision}, the wait while another
 * caller holds the key, and what a store failure becomes (fail open or closed).
 */
final class Claims {
    private final StoreCalls calls;
    private final IdempotencyConfig config;
    private final LeaseRenewals renewals;
    private final ReplayShare replays = new ReplayShare();

    Claims(StoreCalls calls, LeaseRenewals renewals) {
        this.calls = calls;
        this.config = calls.config();
        this.renewals = renewals;
    }

    /** A claim outside any store transaction, waiting per policy; an executing lease is renewed. */
    Decision begin(Scope scope, IdempotencyKey key, Fingerprint fingerprint, CallOptions options) {
        String recordId = scope.recordId(key);
        return waitWhileInProgress(scope, key, recordId, options, () -> {
            Decision decision = claimOnce(scope, key, recordId, fingerprint, options, false);
            if (decision instanceof Decision.Execute execute) {
                scheduleRenewal(execute.lease(), options);
            }
            return decision;
        });
    }

    /**
     * One claim. Inside a store transaction, a store failure is rethrown (wrapped in
     * {@link ClaimFailedException} when it is the store's own) so that the transaction rolls back.
     */
    Decision claimOnce(Scope scope, IdempotencyKey key, String recordId, Fingerprint fingerprint,
            CallOptions options, boolean inTransaction) {
        ClaimRequest request = request(scope, key, recordId, fingerprint, options);
        long start = calls.listening() ? calls.nanos() : 0L;
        ClaimResult result;
        try {
            result = calls.claim(request);
        } catch (RuntimeException e) {
            if (inTransaction) {
                // roll the transaction back; the engine decides outside it (fail-open runs unprotected).
                // A raw driver exception is a store failure too, not a bug of the caller's.
                throw new ClaimFailedException(StoreCalls.asStoreException("claim", e));
            }
            return storeFailed(scope, key, recordId, options, e);
        }
        return decide(result, request, scope, key, fingerprint, options, start, inTransaction);
    }

    /**
     * Before a store transaction: the decision (replay or mismatch) for a completed record the
     * store finds with a plain read, or {@code null} when it finds none and the claim must run in
     * the transaction. A store failure is rethrown as a {@link ClaimFailedException}, as a claim's
     * inside the transaction would be.
     */
    @Nullable Decision decideBeforeTransaction(TransactionalIdempotencyStore store, Scope scope, IdempotencyKey key,
            String recordId, Fingerprint fingerprint, CallOptions options) {
        if (!store.findsCompleted() || !replays.readFirst()) {
            return null; // the claim in the transaction answers a replay too
        }
        ClaimRequest request = request(scope, key, recordId, fingerprint, options);
        long start = calls.listening() ? calls.nanos() : 0L;
        Optional<IdempotencyRecord> found;
        try {
            found = calls.findCompleted(store, request);
        } catch (RuntimeException e) {
            throw new ClaimFailedException(StoreCalls.asStoreException("claim", e));
        }
        if (found.isEmpty() || found.get().state() != RecordState.COMPLETED || found.get().response() == null) {
            return null; // only a completed record is final: anything else is for the claim to judge
        }
        replays.record(true);
        return decide(ClaimResult.found(found.get()), request, scope, key, fingerprint, options, start, false);
    }

    /**
     * The asynchronous path of {@link #begin}: the same claims, decisions, wait and failure
     * policy, with no thread blocked (the wait between claims holds no thread either).
     */
    CompletableFuture<Decision> beginAsync(Scope scope, IdempotencyKey key, Fingerprint fingerprint,
            CallOptions options) {
        String recordId = scope.recordId(key);
        WaitPolicy policy = options.waitPolicy(config);
        long startNanos = calls.nanos();
        return attemptAsync(scope, key, recordId, fingerprint, options, policy, startNanos,
                startNanos + policy.maxWait().toNanos(), false);
    }

    private CompletableFuture<Decision> attemptAsync(Scope scope, IdempotencyKey key, String recordId,
            Fingerprint fingerprint, CallOptions options, WaitPolicy policy, long startNanos, long deadlineNanos,
            boolean waited) {
        ClaimRequest request = request(scope, key, recordId, fingerprint, options);
        long start = calls.listening() ? calls.nanos() : 0L;
        return calls.claimAsync(request).handle((result, error) -> {
            Decision decision;
            if (error == null) {
                decision = decide(result, request, scope, key, fingerprint, options, start, false);
            } else {
                try {
                    decision = storeFailed(scope, key, recordId, options, StoreCalls.unwrap(error));
                } catch (RuntimeException failedClosed) {
                    return CompletableFuture.<Decision>failedFuture(failedClosed);
                }
            }
            long remaining = deadlineNanos - calls.nanos();
            if (!(decision instanceof Decision.InProgress) || !policy.waits() || remaining <= 0) {
                endWait(decision, waited, startNanos, scope, key);
                if (decision instanceof Decision.Execute execute) {
                    scheduleRenewal(execute.lease(), options);
                }
                return CompletableFuture.completedFuture(decision);
            }
            Duration pause = Duration.ofNanos(Math.min(remaining, config.waitPollInterval().toNanos()));
            return calls.awaitChangeAsync(recordId, pause).thenCompose(changed -> attemptAsync(scope, key, recordId,
                    fingerprint, options, policy, startNanos, deadlineNanos, true));
        }).thenCompose(Function.identity());
    }

    private ClaimRequest request(Scope scope, IdempotencyKey key, String recordId, Fingerprint fingerprint,
            CallOptions options) {
        Instant now = config.clock().instant();
        return new ClaimRequest(recordId, key.value(), scope.toString(), fingerprint.bytes(), config.ownerId(),
                freshToken(), now.plus(options.leaseDuration(config)), now.plus(options.ttl(config)), now);
    }

    /** What a claim's result means for this request: run it, replay, wait or refuse. */
    private Decision decide(ClaimResult result, ClaimRequest request, Scope scope, IdempotencyKey key,
            Fingerprint fingerprint, CallOptions options, long start, boolean inTransaction) {
        Duration claimTime = calls.listening() ? Duration.ofNanos(calls.nanos() - start) : Duration.ZERO;
        Duration lease = options.leaseDuration(config);
        if (result instanceof ClaimResult.Claimed claimed) {
            if (inTransaction) {
                replays.record(false);
            }
            if (claimed.takeover()) {
                calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.LEASE_TAKEN_OVER, scope, key, claimTime));
                Idempotency.LOG.log(System.Logger.Level.INFO,
                        "Took over the abandoned lease of idempotency key ''{0}'' (fencing token {1})", key,
                        claimed.fencingToken());
            }
            if (calls.listening()) {
                calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.EXECUTED, scope, key, claimTime));
            }
            return new Decision.Execute(new Lease(calls, renewals, scope, key, request.recordId(),
                    claimed.fencingToken(), options.ttl(config), lease, options.outcomePolicy(config), true,
                    inTransaction));
        }
        if (result instanceof ClaimResult.Found found) {
            IdempotencyRecord record = found.record();
            if (inTransaction && record.state() == RecordState.COMPLETED) {
                replays.record(true);
            }
            if (!fingerprint.matches(record.fingerprint())) {
                calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.MISMATCH, scope, key, claimTime));
                return new Decision.Mismatch(key);
            }
            StoredResponse response = record.response();
            if (record.state() == RecordState.COMPLETED && response != null) { // a completed record has one
                if (calls.listening()) {
                    calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.REPLAYED, scope, key, claimTime,
                            response.status(), response.bodyLength(), null));
                }
                return new Decision.Replay(response);
            }
            return new Decision.InProgress(retryAfter(record.leaseDeadline(), request.now(), lease));
        }
        // Locked: a concurrent transaction holds the key; its lease is not visible.
        return new Decision.InProgress(Duration.ofSeconds(1));
    }

    /** What a failed claim becomes: an unguarded lease (fail-open) or the engine's 503 (fail-closed). */
    Decision storeFailed(Scope scope, IdempotencyKey key, String recordId, CallOptions options, RuntimeException e) {
        if (config.failurePolicy() == FailurePolicy.FAIL_OPEN) {
            calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.FAIL_OPEN, scope, key, Duration.ZERO, 0, 0, e));
            Idempotency.LOG.log(System.Logger.Level.WARNING,
                    "Idempotency store failed; running idempotency key '" + key + "' UNPROTECTED (fail-open)", e);
            return new Decision.Execute(new Lease(calls, renewals, scope, key, recordId, 0, options.ttl(config),
                    options.leaseDuration(config), options.outcomePolicy(config), false, false));
        }
        calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.STORE_ERROR, scope, key, Duration.ZERO, 0, 0, e));
        throw new StoreUnavailableException("The idempotency store is unavailable: " + e.getMessage(), e,
                config.storeFailureRetryAfter());
    }

    private static Duration retryAfter(@Nullable Instant leaseDeadline, Instant now, Duration leaseDuration) {
        if (leaseDeadline == null) {
            return Duration.ofSeconds(1);
        }
        Duration left = Duration.between(now, leaseDeadline);
        if (left.compareTo(leaseDuration) > 0) {
            // a store on its own clock wrote the deadline; a skewed JVM clock must not stretch the wait
            left = leaseDuration;
        }
        long seconds = (left.toMillis() + 999) / 1000;
        return Duration.ofSeconds(Math.max(1, seconds));
    }

    private static long freshToken() {
        // Random rather than 1: a record purged and claimed again must never reissue a
        // token that a stalled former holder could still present.
        return ThreadLocalRandom.current().nextLong(1L, 1L << 62);
    }

    /** Repeats an attempt while it answers in-progress and the wait policy allows. */
    <R, E extends Exception> R waitWhileInProgress(Scope scope, IdempotencyKey key, String recordId,
            CallOptions options, Attempt<R, E> attempt) throws E {
        WaitPolicy policy = options.waitPolicy(config);
        long startNanos = calls.nanos();
        long deadlineNanos = startNanos + policy.maxWait().toNanos();
        boolean waited = false;
        while (true) {
            R decision = attempt.run();
            long remaining = deadlineNanos - calls.nanos();
            if (!(decision instanceof Decision.InProgress) || !policy.waits() || remaining <= 0) {
                endWait(decision, waited, startNanos, scope, key);
                return decision;
            }
            waited = true;
            Duration pause = Duration.ofNanos(Math.min(remaining, config.waitPollInterval().toNanos()));
            try {
                calls.awaitChange(recordId, pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.CONFLICT, scope, key, Duration.ZERO));
                return decision;
            }
        }
    }

    /** Reports how the wait ended: how long it took, and a conflict if the key is still in progress. */
    private void endWait(Object decision, boolean waited, long startNanos, Scope scope, IdempotencyKey key) {
        if (waited) {
            calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.WAITED, scope, key,
                    Duration.ofNanos(calls.nanos() - startNanos)));
        }
        if (decision instanceof Decision.InProgress) {
            calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.CONFLICT, scope, key, Duration.ZERO));
        }
    }

    private void scheduleRenewal(Lease lease, CallOptions options) {
        if (lease.isFailOpen()) {
            return;
        }
        Duration leaseDuration = options.leaseDuration(config);
        Duration interval = leaseDuration.equals(config.leaseDuration())
                ? config.leaseRenewInterval()
                : leaseDuration.dividedBy(3);
        renewals.add(lease, interval, leaseDuration);
    }

    /** One claim attempt (possibly a whole store transaction) that the wait may repeat. */
    @FunctionalInterface
    interface Attempt<R, E extends Exception> {
        R run() throws E;
    }

    /** A claim inside a store transaction failed: carried out of the transaction, rolling it back. */
    static final class ClaimFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient IdempotencyStoreException failure;

        ClaimFailedException(IdempotencyStoreException failure) {
            super(null, failure, false, false);
            this.failure = failure;
        }
    }
}
