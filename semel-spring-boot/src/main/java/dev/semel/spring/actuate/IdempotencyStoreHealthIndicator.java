package dev.semel.spring.actuate;

import dev.semel.Idempotency;
import dev.semel.IdempotencyAdmin;
import dev.semel.spring.SemelNearCache;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the idempotency store answers: one lock-free read of a record that does
 * not exist. For the JDBC store the read goes to the records table, so a missing table
 * reports DOWN too. Shown under {@code /actuator/health/semel}; with a near cache in front of
 * the store, its bounds and figures are details too ({@code nearCache}).
 */
public class IdempotencyStoreHealthIndicator extends AbstractHealthIndicator {
    private final IdempotencyAdmin admin;
    private final @Nullable SemelNearCache nearCache;

    /**
     * Checks the engine's store.
     *
     * @param idempotency the engine
     */
    public IdempotencyStoreHealthIndicator(Idempotency idempotency) {
        this(idempotency, null);
    }

    /**
     * Checks the engine's store, and shows the near cache in front of it.
     *
     * @param idempotency the engine
     * @param nearCache the near cache of {@code semel.near-cache.*}, or {@code null} if it is off
     */
    public IdempotencyStoreHealthIndicator(Idempotency idempotency, @Nullable SemelNearCache nearCache) {
        super("Idempotency store health check failed");
        this.admin = idempotency.admin();
        this.nearCache = nearCache;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        admin.check();
        builder.up().withDetail("store", admin.storeType().getSimpleName());
        if (nearCache != null) {
            builder.withDetail("nearCache", describe(nearCache));
        }
    }

    /** The figures an operator asks first: is it on, how full, how much it answers. */
    private static Map<String, Object> describe(SemelNearCache nearCache) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("enabled", true);
        details.put("entries", nearCache.entries());
        details.put("maxEntries", nearCache.maxEntries());
        details.put("maxStaleness", nearCache.maxStaleness().toString());
        details.put("hits", nearCache.hits());
        details.put("misses", nearCache.misses());
        return details;
    }
}
