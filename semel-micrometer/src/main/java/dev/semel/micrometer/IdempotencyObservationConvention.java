package dev.semel.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the Observation around each protected request and {@code @Idempotent}
 * call. Implement it (or extend {@link DefaultIdempotencyObservationConvention}) and pass
 * it to {@link IdempotencyObservations#create(io.micrometer.observation.ObservationRegistry,
 * IdempotencyObservationConvention)} to change them.
 */
public interface IdempotencyObservationConvention extends ObservationConvention<IdempotencyObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof IdempotencyObservationContext;
    }
}
