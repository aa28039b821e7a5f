package dev.semel.spring.web;

import dev.semel.servlet.IdempotencyFilter;

/**
 * Adjusts the {@link IdempotencyFilter} the auto-configuration builds from {@code semel.*},
 * e.g. to add routes with their own rules (declare it as a bean):
 *
 * <pre>{@code
 * IdempotencyFilterCustomizer orders =
 *         builder -> builder.route("/orders/**", IdempotentRoute.builder().keyRequired(true).build());
 * }</pre>
 */
@FunctionalInterface
public interface IdempotencyFilterCustomizer {
    /**
     * Customizes the builder.
     *
     * @param builder the builder, already holding the properties' values
     */
    void customize(IdempotencyFilter.Builder builder);
}
