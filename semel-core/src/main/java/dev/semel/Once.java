package dev.semel;

import dev.semel.spi.StoredResponse;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * {@link Idempotency#once} and {@link Idempotency#onceAsync}: a value-returning operation run
 * once per key. What is stored for a result or a named exception, and what a duplicate gets
 * back, is decided here for both, so a synchronous and an asynchronous caller of one key see
 * the same thing.
 */
final class Once {
    private Once() {
    }

    static <T extends @Nullable Object, E extends Exception> T call(Idempotency engine, Scope scope,
            IdempotencyKey key, byte[] payload, ResultCodec<T> codec, CallOptions options,
            Idempotency.Task<T, E> operation) throws E {
        ExceptionCodec exceptions = options.exceptionCodec();
        @Nullable Object[] fresh = new Object[1];
        @Nullable Exception[] storedFailure = new Exception[1];
        Outcome outcome = engine.execute(scope, key, Fingerprint.of(payload), options, lease -> {
            T value;
            try {
                value = operation.call();
            } catch (Exception e) {
                if (!exceptions.stores(e)) {
                    throw e;
                }
                storedFailure[0] = e;
                return failureToStore(key, e, exceptions);
            }
            fresh[0] = value;
            return resultToStore(key, value, codec);
        });
        if (outcome instanceof Outcome.Executed) {
            if (storedFailure[0] != null) {
                throw Once.<RuntimeException>sneakyThrow(storedFailure[0]);
            }
            return returned(fresh[0]);
        }
        return answer(key, (Duplicate) outcome, codec, exceptions);
    }

    /** What {@link #call} kept of the operation's return: a {@code T}, null only if {@code T} allows it. */
    @SuppressWarnings({"unchecked", "NullAway"})
    private static <T extends @Nullable Object> T returned(@Nullable Object value) {
        return (T) value;
    }

    static <T extends @Nullable Object, E extends Exception> @Nullable CompletableFuture<T> callAsync(
            Idempotency engine, Scope scope,
            IdempotencyKey key, byte[] payload, ResultCodec<T> codec, CallOptions options,
            Idempotency.AsyncTask<T, E> operation) throws E {
        ExceptionCodec exceptions = options.exceptionCodec();
        Decision decision = engine.begin(scope, key, Fingerprint.of(payload), options);
        if (decision instanceof Duplicate duplicate) {
            try {
                return CompletableFuture.completedFuture(answer(key, duplicate, codec, exceptions));
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Lease lease = ((Decision.Execute) decision).lease();
        @Nullable CompletionStage<T> returned;
        try {
            returned = operation.call();
        } catch (Exception | Error e) {
            throw Once.<E>sneakyThrow(endExceptionally(lease, exceptions, e, e));
        }
        if (returned == null) {
            lease.release();
            return null;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        returned.whenComplete((value, failure) -> {
            if (failure != null) {
                result.completeExceptionally(endExceptionally(lease, exceptions, unwrap(failure), failure));
                return;
            }
            try {
                lease.finish(resultToStore(key, value, codec));
                result.complete(value);
            } catch (RuntimeException | Error e) {
                // the store failed (the lease is abandoned, not released): the caller sees it
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** What a duplicate gets: the stored result decoded, or the stored exception thrown. */
    private static <T extends @Nullable Object> T answer(IdempotencyKey key, Duplicate duplicate, ResultCodec<T> codec,
            ExceptionCodec exceptions) {
        if (duplicate instanceof Decision.Replay replay) {
            StoredResponse stored = replay.response();
            if (!stored.bodyRetained()) {
                throw new IdempotencyResultNotRetainedException(key, stored
                        .header(StoredResponse.NOT_RETAINED_HEADER)
                        .orElse("it was larger than the store accepts"));
            }
            Optional<Exception> exception = exceptions.storedException(stored);
            if (exception.isPresent()) {
                throw Once.<RuntimeException>sneakyThrow(exception.get());
            }
            return codec.decode(stored.body());
        }
        if (duplicate instanceof Decision.InProgress inProgress) {
            throw new IdempotencyInProgressException(key, inProgress.retryAfter());
        }
        throw new IdempotencyMismatchException(key);
    }

    private static <T extends @Nullable Object> StoredResponse resultToStore(
IdempotencyKey key, T value, ResultCodec<T> codec) {
        try {
            return StoredResponse.ofResult(codec.encode(value));
        } catch (RuntimeException cannotStore) {
            // the effect happened: complete the record without the result rather than
            // release the key, so that a duplicate never runs the operation again
            return notRetained(key, cannotStore);
        }
    }

    private static StoredResponse failureToStore(IdempotencyKey key, Exception e, ExceptionCodec exceptions) {
        try {
            return exceptions.toStoredResponse(e);
        } catch (RuntimeException cannotStore) {
            // the operation ended with an outcome meant to be final: never run it again
            return notRetained(key, cannotStore);
        }
    }

    /**
     * Ends the lease of an asynchronous call that failed, as {@link #call} does for a synchronous
     * one: a business exception the codec names ({@code cause}, unwrapped from the future's
     * {@code CompletionException}) is stored and rethrown on every replay, anything else releases
     * the key. Returns what the caller gets: {@code delivered} as the operation failed with it, or
     * the store failure that kept the outcome from being recorded (the key is not released then).
     */
    private static Throwable endExceptionally(Lease lease, ExceptionCodec exceptions, Throwable cause,
            Throwable delivered) {
        if (!(cause instanceof Exception exception) || !exceptions.stores(exception)) {
            lease.releaseAfterFailure(delivered);
            return delivered;
        }
        try {
            lease.finish(failureToStore(lease.key(), exception, exceptions));
            return delivered;
        } catch (RuntimeException | Error storeFailed) {
            storeFailed.addSuppressed(delivered);
            return storeFailed;
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static StoredResponse notRetained(IdempotencyKey key, RuntimeException cannotStore) {
        Idempotency.LOG.log(System.Logger.Level.WARNING, "The outcome of idempotency key ''{0}'' cannot be stored;"
                + " its record is completed as not retained, and duplicates get"
                + " IdempotencyResultNotRetainedException", key, cannotStore);
        return StoredResponse.ofResultNotRetained(cannotStore.getMessage());
    }

    /**
     * Rethrows a stored exception as it was declared by the operation (a checked one was
     * thrown by that same operation, so its callers handle it).
     */
    @SuppressWarnings("unchecked")
    static <X extends Throwable> X sneakyThrow(Throwable t) throws X {
        throw (X) t;
    }
}
