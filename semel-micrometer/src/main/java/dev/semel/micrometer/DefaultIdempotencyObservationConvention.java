package dev.semel.micrometer;

import io.micrometer.common.KeyValues;
import java.util.Locale;

/**
 * The default names and tags of the Observation around a protected request or call (see
 * docs/metrics.md): name {@value #NAME}, contextual name {@code semel http} or
 * {@code semel method} (the span name), low-cardinality {@code semel.kind} and
 * {@code semel.outcome}; high-cardinality (spans only) {@code semel.scope.operation} and
 * {@code semel.lease.takeover}.
 */
public class DefaultIdempotencyObservationConvention implements IdempotencyObservationConvention {
    /** The Observation's name; a meter handler derives a {@code semel.idempotency} timer from it. */
    public static final String NAME = "semel.idempotency";

    /** A shared instance. */
    public static final DefaultIdempotencyObservationConvention INSTANCE = new DefaultIdempotencyObservationConvention();

    /** Creates the convention; subclass it to add or change tags. */
    public DefaultIdempotencyObservationConvention() {
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(IdempotencyObservationContext context) {
        return "semel " + kindName(context);
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(IdempotencyObservationContext context) {
        return KeyValues.of("semel.kind", kindName(context), "semel.outcome", context.outcome());
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(IdempotencyObservationContext context) {
        KeyValues values = KeyValues.empty();
        if (context.scopeOperation() != null) {
            values = values.and("semel.scope.operation", context.scopeOperation());
        }
        if (context.leaseTakenOver()) {
            values = values.and("semel.lease.takeover", "true");
        }
        return values;
    }

    private static String kindName(IdempotencyObservationContext context) {
        return context.kind().name().toLowerCase(Locale.ROOT);
    }
}
