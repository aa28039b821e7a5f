package dev.semel.webflux;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Lease;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Every call of the filter into the engine and its leases, and so every store call the filter
 * causes, as a {@link Mono}: the one place that decides on which thread a store is called.
 *
 * <p>The engine's calls block until the store answers (and, under a wait policy, until the
 * first request ends), so each runs on a bounded elastic worker, never on the server's event
 * loop; what follows a call (the handler, the replay) runs on the thread that completed it.
 *
 * <p>A call once started always runs to its end, whatever happens to the request: cancelling
 * its {@code Mono} (the client went away) does not interrupt a store call half way, and a key
 * claimed for a request that was cancelled meanwhile is released at once, so that no lease
 * outlives its request.
 */
final class EngineCalls {
    private final Idempotency engine;
    private final Scheduler scheduler;

    EngineCalls(Idempotency engine) {
        this.engine = engine;
        this.scheduler = Schedulers.boundedElastic();
    }

    /** Claims a key (waiting under the route's wait policy): the engine's decision. */
    Mono<Decision> begin(Scope scope, IdempotencyKey key, Fingerprint fingerprint, CallOptions options) {
        return Mono.defer(() -> {
            CompletableFuture<Decision> decision = run(() -> engine.begin(scope, key, fingerprint, options));
            return Mono.fromFuture(decision, true).doOnCancel(() -> decision.thenAccept(d -> {
                if (d instanceof Decision.Execute execute) {
                    execute.lease().releaseAfterFailure(null); // nobody is left to run it
                }
            }));
        });
    }

    /**
     * Ends a lease as the outcome policy says: stores the response, or releases the key.
     *
     * @return whether the response was stored
     */
    Mono<Boolean> finish(Lease lease, StoredResponse response) {
        return Mono.defer(() -> Mono.fromFuture(run(() -> lease.finish(response)), true));
    }

    /**
     * Releases the key after the request failed, if the lease is still active; a release that
     * fails too is added to the failure as suppressed (logged when there is none), never thrown.
     */
    Mono<Void> releaseAfterFailure(Lease lease, Throwable failure) {
        return Mono.defer(() -> Mono.fromFuture(run(() -> {
            lease.releaseAfterFailure(failure);
            return null;
        }), true)).then();
    }

    private <T> CompletableFuture<T> run(Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        scheduler.schedule(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}
