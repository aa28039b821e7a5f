package dev.semel.spring.actuate;

import dev.semel.Idempotency;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.SemelNearCache;
import dev.semel.spring.SemelProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures the store health indicator ({@code /actuator/health/semel}, when Spring
 * Boot's health support is present; with the near cache's figures when it is on) and the
 * {@link IdempotencyEndpoint} (when Actuator is present and the endpoint is exposed).
 */
@AutoConfiguration(after = SemelAutoConfiguration.class)
@ConditionalOnBean(Idempotency.class)
public class SemelActuatorAutoConfiguration {

    /** Created by Spring. */
    public SemelActuatorAutoConfiguration() {
    }

    /** The health indicator, named {@code semel}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("semel")
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "semelHealthIndicator")
        IdempotencyStoreHealthIndicator semelHealthIndicator(Idempotency idempotency,
                ObjectProvider<SemelNearCache> nearCache) {
            return new IdempotencyStoreHealthIndicator(idempotency, nearCache.getIfUnique());
        }
    }

    /** The {@code idempotency} endpoint. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
    static class EndpointConfiguration {
        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnAvailableEndpoint
        IdempotencyEndpoint idempotencyEndpoint(Idempotency idempotency, SemelProperties properties) {
            return new IdempotencyEndpoint(idempotency, properties.getActuator().isIncludeResponses());
        }
    }
}
