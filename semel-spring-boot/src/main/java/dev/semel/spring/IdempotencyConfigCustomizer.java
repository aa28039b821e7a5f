package dev.semel.spring;

import dev.semel.IdempotencyConfig;

/**
 * Adjusts the engine configuration that Semel builds from {@code semel.*} before the
 * {@link dev.semel.Idempotency} bean is created; every customizer bean is applied in order.
 *
 * <pre>{@code
 * IdempotencyConfigCustomizer fixedClock = builder -> builder.clock(clock);   // declared as a bean
 * }</pre>
 *
 * <p>To replace the configuration entirely, declare an {@link IdempotencyConfig} bean instead.
 */
@FunctionalInterface
public interface IdempotencyConfigCustomizer {
    /**
     * Customizes the builder.
     *
     * @param builder the builder, already holding the properties' values
     */
    void customize(IdempotencyConfig.Builder builder);
}
