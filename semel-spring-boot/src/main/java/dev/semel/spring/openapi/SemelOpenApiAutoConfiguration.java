package dev.semel.spring.openapi;

import dev.semel.servlet.IdempotencyFilter;
import dev.semel.servlet.RouteResolver;
import dev.semel.spring.SemelProperties;
import dev.semel.spring.web.SemelWebMvcAutoConfiguration;
import org.springdoc.core.customizers.GlobalOperationComponentsCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

/**
 * Documents Semel's protected operations in springdoc-openapi's document ({@code /v3/api-docs}
 * and Swagger UI): the {@code Idempotency-Key} header, {@code Idempotent-Replayed} and the
 * problems Semel answers with ({@link IdempotencyOperationCustomizer}). On when springdoc is
 * present and Semel's filter is registered; {@code semel.openapi.enabled=false} turns it off.
 */
@AutoConfiguration(after = SemelWebMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({GlobalOperationComponentsCustomizer.class, IdempotencyFilter.class, RequestMappingInfoHandlerMapping.class})
@ConditionalOnBean(name = "semelIdempotencyFilter")
@ConditionalOnProperty(prefix = "semel.openapi", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SemelOpenApiAutoConfiguration {

    /** Created by Spring. */
    public SemelOpenApiAutoConfiguration() {
    }

    /**
     * The operation customizer springdoc applies to every operation of every group.
     *
     * @param filter the idempotency filter's registration
     * @param routeResolver the route resolver
     * @param handlerMappings the handler mappings
     * @param properties the properties
     * @return the customizer
     */
    @Bean
    @ConditionalOnMissingBean
    IdempotencyOperationCustomizer semelIdempotencyOperationCustomizer(
            @Qualifier("semelIdempotencyFilter") ObjectProvider<FilterRegistrationBean<?>> filter,
            ObjectProvider<RouteResolver> routeResolver,
            ObjectProvider<RequestMappingInfoHandlerMapping> handlerMappings, SemelProperties properties,
            Environment environment) {
        return new IdempotencyOperationCustomizer(
                () -> filter.getIfAvailable() != null
                        && filter.getIfAvailable().getFilter() instanceof IdempotencyFilter idempotencyFilter
                        ? idempotencyFilter : null,
                routeResolver::getIfUnique,
                () -> handlerMappings.orderedStream().toList(),
                properties.getHeaderName(),
                environment.getProperty("spring.mvc.servlet.path", ""));
    }
}
