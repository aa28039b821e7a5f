package dev.semel.webflux;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.Lease;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Every call of the filter into the engine and its leases, and so every store call the filter
 * causes, as a {@link Mono}: the one place that decides on which thread a store is called.
 *
 * <p>It uses the engine's asynchronous path ({@link Idempotency#beginAsync},
 * {@link Lease#finishAsync}, {@link Lease#releaseAsync}), which never blocks the calling thread:
 * a store with an asynchronous client (Redis) answers on its own I/O threads, with no thread
 * hop; one with only blocking calls (JDBC) runs them on the engine's bounded store executor;
 * the in-memory store answers at once. A wait for a key in progress holds no thread.
 *
 * <p>What follows a call (the application's handler, the response) must not run on a store
 * client's I/O thread, where a blocking handler would stall every store call: a call that did
 * not complete at once continues on Reactor's parallel scheduler; one that did continues on
 * the calling thread (the server's event loop).
 *
 * <p>A call once started always runs to its end, whatever happens to the request: cancelling
 * its {@code Mono} (the client went away) does not abandon a store call half way, and a key
 * claimed for a request that was cancelled meanwhile is released at once, so that no lease
 * outlives its request.
 */
final class EngineCalls {
    private static final System.Logger LOG = System.getLogger(IdempotencyWebFilter.class.getName());

    private final Idempotency engine;
    private final Scheduler continuation = Schedulers.parallel();

    EngineCalls(Idempotency engine) {
        this.engine = engine;
    }

    /** Claims a key (waiting under the route's wait policy): the engine's decision. */
    Mono<Decision> begin(Scope scope, IdempotencyKey key, Fingerprint fingerprint, CallOptions options) {
        return Mono.defer(() -> {
            CompletableFuture<Decision> decision = started(() -> engine.beginAsync(scope, key, fingerprint, options));
            return continued(decision).doOnCancel(() -> decision.thenAccept(d -> {
                if (d instanceof Decision.Execute execute) {
                    release(execute.lease(), null); // nobody is left to run it
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
        return Mono.defer(() -> continued(started(() -> lease.finishAsync(response))));
    }

    /**
     * Releases the key after the request failed, if the lease is still active; a release that
     * fails too is added to the failure as suppressed (logged when there is none), never signalled.
     */
    Mono<Void> releaseAfterFailure(Lease lease, Throwable failure) {
        return Mono.defer(() -> continued(release(lease, failure)));
    }

    private static CompletableFuture<Void> release(Lease lease, Throwable failure) {
        if (!lease.isActive()) {
            return CompletableFuture.completedFuture(null);
        }
        return started(lease::releaseAsync).handle((v, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (failure != null) {
                    failure.addSuppressed(cause);
                } else {
                    LOG.log(System.Logger.Level.WARNING, "Could not release idempotency key '" + lease.key() + "'",
                            cause);
                }
            }
            return null;
        });
    }

    /** The stage of a call, a call that throws instead of failing its stage included. */
    private static <T> CompletableFuture<T> started(java.util.function.Supplier<CompletionStage<T>> call) {
        try {
            return call.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The call's result as a {@code Mono} whose cancellation leaves the call running; continued
     * on the calling thread when it is already there, else on the parallel scheduler.
     */
    private <T> Mono<T> continued(CompletableFuture<T> call) {
        Mono<T> result = Mono.fromFuture(call, true);
        return call.isDone() ? result : result.publishOn(continuation);
    }
}
