package dev.semel.micrometer;

import dev.semel.StoreOperation;
import io.micrometer.observation.Observation;
import java.util.Objects;

/**
 * What an {@link IdempotencyStoreObservationConvention} sees about one store call the
 * engine made: the operation, the store's name and, for a {@code claim}, the decision it
 * led to. Never the idempotency key: keys are caller data.
 */
public final class IdempotencyStoreObservationContext extends Observation.Context {
    private final StoreOperation operation;
    private final String storeName;
    private volatile String outcome;
    private volatile String scopeOperation;
    private volatile boolean leaseTakenOver;

    /**
     * A context for one store call.
     *
     * @param operation the store call
     * @param storeName the store's name, as tagged on every Semel meter
     */
    public IdempotencyStoreObservationContext(StoreOperation operation, String storeName) {
        this.operation = Objects.requireNonNull(operation, "operation");
        this.storeName = Objects.requireNonNull(storeName, "storeName");
    }

    /** @return the store call */
    public StoreOperation operation() {
        return operation;
    }

    /** @return the store's name */
    public String storeName() {
        return storeName;
    }

    /**
     * The decision a {@code claim} led to, as on {@code semel.requests}'s {@code outcome}
     * tag ({@code executed}, {@code replayed}, {@code conflict}, {@code mismatch},
     * {@code store_error}, {@code fail_open}), or {@code in_progress} for a claim that met
     * a live lease and was followed by a wait.
     *
     * @return the outcome, or {@code null} for other operations and failed calls
     */
    public String outcome() {
        return outcome;
    }

    /**
     * The protected operation of the request's scope (for HTTP the method and route
     * template), known once a claim's decision is known.
     *
     * @return the scope's operation, or {@code null}
     */
    public String scopeOperation() {
        return scopeOperation;
    }

    /** @return whether this claim took over an abandoned lease */
    public boolean leaseTakenOver() {
        return leaseTakenOver;
    }

    void outcome(String outcome) {
        this.outcome = outcome;
    }

    void scopeOperation(String scopeOperation) {
        this.scopeOperation = scopeOperation;
    }

    void leaseTakenOver(boolean takenOver) {
        this.leaseTakenOver = takenOver;
    }
}
