package dev.semel.micrometer;

import dev.semel.IdempotencyEvent;
import dev.semel.InvalidIdempotencyKeyException;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What an {@link IdempotencyObservationConvention} sees about one protected request or
 * {@code @Idempotent} call: its kind and, once the engine has decided, how it answered
 * and the scope's operation. Never the idempotency key nor the caller: they are caller data.
 */
public final class IdempotencyObservationContext extends Observation.Context {
    /** The outcome of a call the engine made no decision for: it carried no key (key optional). */
    public static final String OUTCOME_NONE = "none";

    private final IdempotencyObservations.Kind kind;
    private String outcome;
    private String scopeOperation;
    private boolean leaseTakenOver;

    /**
     * A context for one protected request or call.
     *
     * @param kind what is observed
     */
    public IdempotencyObservationContext(IdempotencyObservations.Kind kind) {
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** @return what is observed: an HTTP request or a method call */
    public IdempotencyObservations.Kind kind() {
        return kind;
    }

    /**
     * How the engine answered, as on {@code semel.requests}'s {@code outcome} tag
     * ({@code executed}, {@code replayed}, {@code conflict}, {@code mismatch},
     * {@code rejected}, {@code store_error}, {@code fail_open}); {@code rejected} too for a
     * call refused for a missing or malformed key before reaching the engine;
     * {@value #OUTCOME_NONE} for a call that carried no key and ran unprotected.
     *
     * @return the outcome, never {@code null}
     */
    public String outcome() {
        if (outcome != null) {
            return outcome;
        }
        return getError() instanceof InvalidIdempotencyKeyException
                ? MicrometerIdempotencyListener.outcome(IdempotencyEvent.Type.REJECTED) : OUTCOME_NONE;
    }

    /**
     * The protected operation of the scope (for HTTP the method and route template, for a
     * method the bean class and method), known once the engine has decided.
     *
     * @return the scope's operation, or {@code null}
     */
    public String scopeOperation() {
        return scopeOperation;
    }

    /** @return whether this call took over an abandoned lease */
    public boolean leaseTakenOver() {
        return leaseTakenOver;
    }

    /** The first decision the engine reports for this call is its outcome. */
    void onEvent(IdempotencyEvent event) {
        switch (event.type()) {
            case LEASE_TAKEN_OVER -> leaseTakenOver = true;
            case EXECUTED, REPLAYED, CONFLICT, MISMATCH, REJECTED, STORE_ERROR, FAIL_OPEN -> {
                if (outcome == null) {
                    outcome = MicrometerIdempotencyListener.outcome(event.type());
                    if (event.scope() != null) {
                        scopeOperation = event.scope().operation();
                    }
                }
            }
            default -> {
                // completion, release, waits: not a decision
            }
        }
    }
}
