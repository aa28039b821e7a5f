package dev.semel.spring.actuate;

import dev.semel.Idempotency;
import dev.semel.IdempotencyAdmin;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the idempotency store answers: one lock-free read of a record that does
 * not exist. For the JDBC store the read goes to the records table, so a missing table
 * reports DOWN too. Shown under {@code /actuator/health/semel}.
 */
public class IdempotencyStoreHealthIndicator extends AbstractHealthIndicator {
    private final IdempotencyAdmin admin;

    /**
     * Checks the engine's store.
     *
     * @param idempotency the engine
     */
    public IdempotencyStoreHealthIndicator(Idempotency idempotency) {
        super("Idempotency store health check failed");
        this.admin = idempotency.admin();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        admin.check();
        builder.up().withDetail("store", admin.storeType().getSimpleName());
    }
}
