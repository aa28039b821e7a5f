package dev.semel.spring.actuate;

import dev.semel.Idempotency;
import dev.semel.spi.IdempotencyStore;
import java.time.Clock;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the idempotency store answers: one lock-free read of a record that does
 * not exist. For the JDBC store the read goes to the records table, so a missing table
 * reports DOWN too. Shown under {@code /actuator/health/semel}.
 */
public class IdempotencyStoreHealthIndicator extends AbstractHealthIndicator {
    /** The id looked up; no real record id has this form (those are 64 hex characters). */
    static final String PROBE_RECORD_ID = "semel-health-probe";

    private final IdempotencyStore store;
    private final Clock clock;

    /**
     * Checks the engine's store.
     *
     * @param idempotency the engine
     */
    public IdempotencyStoreHealthIndicator(Idempotency idempotency) {
        super("Idempotency store health check failed");
        this.store = idempotency.store();
        this.clock = idempotency.config().clock();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        store.find(PROBE_RECORD_ID, clock.instant());
        builder.up().withDetail("store", describe(store));
    }

    /**
     * Names a store for humans: its class's simple name.
     *
     * @param store a store
     * @return e.g. {@code JdbcIdempotencyStore}
     */
    static String describe(IdempotencyStore store) {
        return store.getClass().getSimpleName();
    }
}
