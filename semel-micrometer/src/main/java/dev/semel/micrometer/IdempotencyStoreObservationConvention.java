package dev.semel.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the Observation around each store call. Implement it (or extend
 * {@link DefaultIdempotencyStoreObservationConvention}) and pass it to
 * {@link MicrometerIdempotencyListener.Builder#observationConvention} to change them.
 *
 * <pre>
 * class TenantAwareConvention extends DefaultIdempotencyStoreObservationConvention {
 *     &#64;Override
 *     public KeyValues getLowCardinalityKeyValues(IdempotencyStoreObservationContext context) {
 *         return super.getLowCardinalityKeyValues(context).and("region", "eu-west-1");
 *     }
 * }
 * </pre>
 */
public interface IdempotencyStoreObservationConvention
        extends ObservationConvention<IdempotencyStoreObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof IdempotencyStoreObservationContext;
    }
}
