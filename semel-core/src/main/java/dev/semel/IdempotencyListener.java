package dev.semel;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

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
     * Called immediately before every store call the engine makes, on the thread that
     * makes it. Exactly one {@link #onStoreCall} for the same operation follows on the
     * same thread, with no other store call in between, so a listener can open a span
     * (for example a Micrometer {@code Observation}) here, let the store's own
     * instrumentation nest under it, and close it in {@link #onStoreCall}.
     *
     * @param operation which call is about to start
     */
    default void onStoreCallStart(StoreOperation operation) {
    }

    /**
     * Called after every store call the engine makes.
     *
     * @param operation which call
     * @param duration how long it took
     * @param failure the exception it threw, or {@code null} on success
     */
    default void onStoreCall(StoreOperation operation, Duration duration, @Nullable Throwable failure) {
    }
}
