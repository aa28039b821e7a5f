package dev.semel.spring.client;

import dev.semel.client.RetryPolicy;
import dev.semel.client.RetryingRestClientInterceptor;
import io.github.resilience4j.retry.RetryRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * Auto-configures Semel's retrying clients when {@code semel-client} is on the class path:
 * a {@link RetryPolicies} bean from {@code semel.client.*}, each client's Resilience4j Retry
 * named {@code semel-client-<name>} in the application's {@link RetryRegistry} (or in one of
 * Semel's own when the application has none), {@link RetryPolicyCustomizer} beans applied to
 * every policy; and, with Spring Boot's RestClient support and
 * {@code semel.client.rest-client.enabled=true}, a {@link RestClientCustomizer} that makes every
 * {@code RestClient} built from Boot's {@code RestClient.Builder} retry. That one is off unless
 * asked for: it keys and retries POSTs to every host, and a server that ignores the key runs a
 * retried POST again.
 */
@AutoConfiguration
@ConditionalOnClass(RetryPolicy.class)
@EnableConfigurationProperties(SemelClientProperties.class)
public class SemelClientAutoConfiguration {

    /** Created by Spring. */
    public SemelClientAutoConfiguration() {
    }

    /**
     * The policies.
     *
     * @param properties {@code semel.client.*}
     * @param registry the application's Retry registry, if it has exactly one
     * @param customizers the customizers, in order
     * @return the policies
     */
    @Bean
    @ConditionalOnMissingBean
    RetryPolicies semelRetryPolicies(SemelClientProperties properties, ObjectProvider<RetryRegistry> registry,
            ObjectProvider<RetryPolicyCustomizer> customizers) {
        return new PropertiesRetryPolicies(properties, registry.getIfUnique(RetryRegistry::ofDefaults),
                customizers.orderedStream().toList());
    }

    /** Retries on Spring Boot's {@code RestClient.Builder}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({RestClientCustomizer.class, RestClient.class, RetryingRestClientInterceptor.class})
    @ConditionalOnProperty(prefix = "semel.client.rest-client", name = "enabled", havingValue = "true")
    static class RestClientRetryConfiguration {

        /**
         * Adds the retrying interceptor, with the policy of {@code semel.client.rest-client.name},
         * to every builder Boot hands out.
         *
         * @param policies the policies
         * @param properties {@code semel.client.*}
         * @return the customizer
         */
        @Bean
        @ConditionalOnMissingBean(name = "semelRetryingRestClientCustomizer")
        RestClientCustomizer semelRetryingRestClientCustomizer(RetryPolicies policies, SemelClientProperties properties) {
            RetryingRestClientInterceptor interceptor =
                    new RetryingRestClientInterceptor(policies.get(properties.getRestClient().getName()));
            return builder -> builder.requestInterceptor(interceptor);
        }
    }
}
