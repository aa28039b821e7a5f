package dev.semel;

import java.time.Duration;

/**
 * Receives what the engine does, for metrics, logs and traces. Both methods default to
 * doing nothing; {@link #NONE} is the default listener.
 *
 * <p>Called on the request's thread (or the lease-renewal thread for renew failures):
 * keep implementations fast and non-blocking. An exception thrown here is logged and
 * otherwise ignored; it never changes a request's outcome.
 */
public interface IdempotencyListener {
    /** A listener that ignores everything. */
    IdempotencyListener NONE = new IdempotencyListener() {
    };

    /**
     * Called for every engine event.
     *
     * @param event what happened
     */
    default void onEvent(IdempotencyEvent event) {
    }

    /**
     * Called after every store call the engine makes.
     *
     * @param operation which call
     * @param duration how long it took
     * @param failure the exception it threw, or {@code null} on success
     */
    default void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
    }
}
