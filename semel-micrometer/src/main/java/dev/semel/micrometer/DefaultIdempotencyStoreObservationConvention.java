package dev.semel.micrometer;

import io.micrometer.common.KeyValues;
import java.util.Locale;

/**
 * The default names and tags of the store-call Observation (see docs/metrics.md):
 * name {@value #NAME}, contextual name {@code semel <operation>} (the span name),
 * low-cardinality {@code semel.operation} and {@code semel.store}; high-cardinality
 * (spans only) {@code semel.outcome}, {@code semel.scope.operation} and
 * {@code semel.lease.takeover} when a claim's decision is known.
 */
public class DefaultIdempotencyStoreObservationConvention implements IdempotencyStoreObservationConvention {
    /** The Observation's name; a meter handler derives a {@code semel.store} timer from it. */
    public static final String NAME = "semel.store";

    /** A shared instance. */
    public static final DefaultIdempotencyStoreObservationConvention INSTANCE =
            new DefaultIdempotencyStoreObservationConvention();

    /** Creates the convention; subclass it to add or change tags. */
    public DefaultIdempotencyStoreObservationConvention() {
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(IdempotencyStoreObservationContext context) {
        return "semel " + operationName(context);
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(IdempotencyStoreObservationContext context) {
        return KeyValues.of("semel.operation", operationName(context), "semel.store", context.storeName());
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(IdempotencyStoreObservationContext context) {
        KeyValues values = KeyValues.empty();
        if (context.outcome() != null) {
            values = values.and("semel.outcome", context.outcome());
        }
        if (context.scopeOperation() != null) {
            values = values.and("semel.scope.operation", context.scopeOperation());
        }
        if (context.leaseTakenOver()) {
            values = values.and("semel.lease.takeover", "true");
        }
        return values;
    }

    private static String operationName(IdempotencyStoreObservationContext context) {
        return context.operation().name().toLowerCase(Locale.ROOT);
    }
}
