package dev.semel.spring.client;

import dev.semel.client.RetryPolicy;

/**
 * Tweaks the {@link RetryPolicy} of a client in code, after {@code semel.client.*} is
 * applied: a listener, a custom exception rule, a key generator. Every customizer bean is
 * called, in {@link org.springframework.core.annotation.Order @Order}, for every client name.
 *
 * <pre>{@code
 * @Bean
 * RetryPolicyCustomizer attemptsToMetrics(MeterRegistry meters) {
 *     return (name, policy) -> policy.listener(attempt -> meters.counter("payments.client.attempts",
 *             "client", name, "next", attempt.next().name()).increment());
 * }
 * }</pre>
 */
@FunctionalInterface
public interface RetryPolicyCustomizer {
    /**
     * @param name the client name ({@code payments} for {@code semel.client.instances.payments})
     * @param policy the builder, with the properties and the Resilience4j name and registry applied
     */
    void customize(String name, RetryPolicy.Builder policy);
}
