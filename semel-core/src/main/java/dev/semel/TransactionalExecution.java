package dev.semel;

import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@link Idempotency#execute} on a {@link TransactionalIdempotencyStore}: claim, operation and
 * completion in one store transaction, so a crash or an exception rolls them back together, an
 * outcome that is not stored rolls the operation's writes back too, and a lease lost before the
 * commit rolls back and answers in progress.
 */
final class TransactionalExecution {
    private final TransactionalIdempotencyStore store;
    private final Claims claims;
    private final StoreCalls calls;
    private final IdempotencyConfig config;

    TransactionalExecution(TransactionalIdempotencyStore store, Claims claims, StoreCalls calls) {
        this.store = store;
        this.claims = claims;
        this.calls = calls;
        this.config = calls.config();
    }

    <E extends Exception> Outcome execute(Scope scope, IdempotencyKey key, Fingerprint fingerprint,
            CallOptions options, Idempotency.Operation<E> operation) throws E {
        String recordId = scope.recordId(key);
        OutcomePolicy outcomePolicy = options.outcomePolicy(config);
        boolean[] operationStarted = new boolean[1];
        Object result; // a Decision other than "ran and stored" (one the wait may repeat), or Stored
        try {
            result = claims.waitWhileInProgress(scope, key, recordId, options, () -> {
                // a completed key is answered from a plain read: no transaction, no connection held
                Decision answered = claims.decideBeforeTransaction(store, scope, key, recordId, fingerprint,
                        options);
                if (answered != null) {
                    return answered;
                }
                return store.<Object, E>inTransaction(() -> {
                    Decision d = claims.claimOnce(scope, key, recordId, fingerprint, options, true);
                    if (!(d instanceof Decision.Execute execute)) {
                        return d;
                    }
                    Lease lease = execute.lease();
                    operationStarted[0] = true;
                    StoredResponse response = Objects.requireNonNull(operation.run(lease),
                            "operation returned null");
                    if (!outcomePolicy.shouldStore(response.status())) {
                        throw new NotStored(response);
                    }
                    try {
                        lease.complete(response);
                    } catch (LeaseLostException lost) {
                        throw new NotStored(null);
                    }
                    return new Stored(response);
                });
            });
        } catch (StoreUnavailableException e) {
            throw e;
        } catch (Claims.ClaimFailedException e) {
            // the claim itself could not be made (rolled back): fail open or closed as configured
            result = claims.storeFailed(scope, key, recordId, options, e.failure);
        } catch (IdempotencyStoreException e) {
            if (operationStarted[0]) {
                // completing or committing failed after the operation ran: its writes rolled back,
                // but whatever it did outside the transaction did not. Never run it again here,
                // whatever the failure policy: the caller gets the store error and may retry.
                calls.emit(new IdempotencyEvent(IdempotencyEvent.Type.STORE_ERROR, scope, key, Duration.ZERO, 0, 0,
                        e));
                throw new StoreUnavailableException("The idempotency store failed after the operation ran; its"
                        + " transaction was rolled back: " + e.getMessage(), e, config.storeFailureRetryAfter());
            }
            // beginning the transaction failed: no claim was made, nothing ran
            result = claims.storeFailed(scope, key, recordId, options, e);
        } catch (NotStored notStored) {
            if (notStored.response == null) {
                return new Decision.InProgress(config.storeFailureRetryAfter());
            }
            calls.emit(IdempotencyEvent.of(IdempotencyEvent.Type.RELEASED, scope, key, Duration.ZERO));
            return new Outcome.Executed(notStored.response, false);
        }
        if (result instanceof Stored stored) {
            return new Outcome.Executed(stored.response, true);
        }
        if (result instanceof Decision.Execute execute) {
            // Fail-open while the store was down: run unprotected, outside any transaction.
            StoredResponse response = operation.run(execute.lease());
            execute.lease().finish(response);
            return new Outcome.Executed(response, false);
        }
        return (Duplicate) result;
    }

    /** The transaction ran the operation and stored its response (never escapes the engine). */
    private record Stored(StoredResponse response) {
    }

    /** Carries a response that must not be stored out of the transaction, rolling it back. */
    private static final class NotStored extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** {@code null} when the lease was lost before the commit. */
        private final transient @Nullable StoredResponse response;

        NotStored(@Nullable StoredResponse response) {
            super(null, null, false, false);
            this.response = response;
        }
    }
}
