package dev.semel.spring.client;

import dev.semel.client.RetryPolicy;

/**
 * The {@link RetryPolicy} of each named client, from {@code semel.client.*}: inject it and
 * build a client from the policy of its name.
 *
 * <pre>{@code
 * @Bean
 * RetryingHttpClient paymentsClient(RetryPolicies policies) {
 *     return RetryingHttpClient.builder(HttpClient.newHttpClient())
 *             .retryPolicy(policies.get("payments"))       // semel.client.instances.payments.*
 *             .build();
 * }
 * }</pre>
 *
 * <p>Each name has one policy, made once, whose Resilience4j Retry is named
 * {@code semel-client-<name>} in the application's {@code RetryRegistry}, so every client has
 * its own metrics and events.
 */
@FunctionalInterface
public interface RetryPolicies {
    /** Prefix of the Resilience4j Retry name of each client: {@value}. */
    String RETRY_NAME_PREFIX = "semel-client-";

    /**
     * The policy of a client: {@code semel.client.instances.<name>.*} over the defaults
     * {@code semel.client.*}. A name with no settings of its own gets the defaults (under its
     * own Retry name): no client needs listing, and a misspelt name is not an error, so spell
     * names as in the properties (lower case, dashes).
     *
     * @param name the client name, not blank
     * @return the policy, the same instance for the same name
     */
    RetryPolicy get(String name);
}
