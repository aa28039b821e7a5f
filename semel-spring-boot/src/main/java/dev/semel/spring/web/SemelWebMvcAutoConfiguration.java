package dev.semel.spring.web;

import dev.semel.Idempotency;
import dev.semel.http.JsonBodyNormalizer;
import dev.semel.servlet.CallerResolver;
import dev.semel.servlet.FormBodyCachingFilter;
import dev.semel.servlet.IdempotencyFilter;
import dev.semel.servlet.IdempotentRoute;
import dev.semel.servlet.RouteResolver;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelProperties;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Registers the {@link IdempotencyFilter} in a Spring MVC application: handlers annotated
 * {@code @Idempotent}, paths matching a named policy's {@code semel.policies.<name>.path-patterns}
 * (with that policy's settings) and paths matching {@code semel.web.path-patterns} are protected (and
 * nothing else, even with no pattern configured), the
 * route template from Spring MVC is part of the scope ({@link SpringMvcRouteResolver}), and
 * the caller is Spring Security's principal when Spring Security is present
 * ({@link SpringSecurityCallerResolver}). Errors are RFC 9457 problem details
 * ({@code application/problem+json}), the format of Spring's {@code ProblemDetail}.
 *
 * <p>Every piece backs off when the application declares its own: a {@link RouteResolver}, a
 * {@link CallerResolver}, a {@code BodyNormalizer} bean, or a filter registration named
 * {@code semelIdempotencyFilter}; {@link IdempotencyFilterCustomizer} beans adjust the filter.
 */
@AutoConfiguration(after = SemelAutoConfiguration.class, afterName = {
        "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration",
        "org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({IdempotencyFilter.class, DispatcherServlet.class})
@ConditionalOnBean(Idempotency.class)
@ConditionalOnProperty(prefix = "semel.web", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SemelWebMvcAutoConfiguration {

    /** Created by Spring. */
    public SemelWebMvcAutoConfiguration() {
    }

    /**
     * Route templates and {@code @Idempotent} rules from Spring MVC's handler mappings.
     *
     * @param handlerMappings the handler mapping beans, which the DispatcherServlet uses in this order
     * @param properties the properties
     * @param policies the named policies
     * @return the resolver
     */
    @Bean
    @ConditionalOnMissingBean(RouteResolver.class)
    SpringMvcRouteResolver semelRouteResolver(ObjectProvider<HandlerMapping> handlerMappings,
            SemelProperties properties, ObjectProvider<SemelPolicies> policies) {
        SemelPolicies resolved = policies(properties, policies);
        return new SpringMvcRouteResolver(SingletonSupplier.of(() -> handlerMappings.orderedStream().toList()),
                resolved, policyRoutes(resolved, properties));
    }

    /**
     * The routes of the named policies' path patterns, one set per application context, so that the
     * resolver knows which policy the filter matched.
     */
    private final java.util.Map<SemelPolicies, PolicyRoutes> policyRoutes = new java.util.IdentityHashMap<>();

    private synchronized PolicyRoutes policyRoutes(SemelPolicies policies, SemelProperties properties) {
        return policyRoutes.computeIfAbsent(policies, p -> PolicyRoutes.of(p, properties.getWeb()));
    }

    private static SemelPolicies policies(SemelProperties properties, ObjectProvider<SemelPolicies> policies) {
        return policies.getIfAvailable(() -> SemelPolicies.from(properties));
    }

    /**
     * Stripe's rule: answers Spring MVC gives before the handler method runs release the key.
     *
     * @return the exception resolver that marks those requests
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "semel.web", name = "release-before-handler", havingValue = "true",
            matchIfMissing = true)
    HandlerNotRunMarker semelHandlerNotRunMarker() {
        return new HandlerNotRunMarker();
    }

    /** The caller from Spring Security, when it is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(SecurityContextHolder.class)
    static class SecurityCallerConfiguration {
        @Bean
        @ConditionalOnMissingBean(CallerResolver.class)
        SpringSecurityCallerResolver semelCallerResolver() {
            return new SpringSecurityCallerResolver();
        }
    }

    /**
     * The filter, mapped to every path, ordered after Spring Security's filter chain.
     *
     * @param idempotency the engine
     * @param properties the properties
     * @param routeResolver the route resolver
     * @param callerResolver the caller resolver, if any (else the servlet principal)
     * @param bodyNormalizer the body normalizer, if any (else semantic JSON)
     * @param customizers filter customizers
     * @param policies the named policies, whose path patterns are protected with their settings
     * @return the registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "semelIdempotencyFilter")
    FilterRegistrationBean<IdempotencyFilter> semelIdempotencyFilter(Idempotency idempotency,
            SemelProperties properties, RouteResolver routeResolver, ObjectProvider<CallerResolver> callerResolver,
            ObjectProvider<dev.semel.BodyNormalizer> bodyNormalizer,
            ObjectProvider<IdempotencyFilterCustomizer> customizers, ObjectProvider<SemelPolicies> policies) {
        IdempotencyFilter.Builder builder = IdempotencyFilter.builder(idempotency)
                .headerName(properties.getHeaderName())
                .routeResolver(routeResolver)
                .callerResolver(callerResolver.getIfAvailable(() -> CallerResolver.PRINCIPAL))
                .bodyNormalizer(bodyNormalizer.getIfAvailable(() -> normalizer(properties)))
                .maxRequestBodyBytes(bytes(properties.getCapture().getMaxRequestBodySize().toBytes(),
                        "semel.capture.max-request-body-size"))
                .maxCapturedBodyBytes(bytes(properties.getCapture().getMaxBodySize().toBytes(),
                        "semel.capture.max-body-size"))
                .fingerprintHeaders(properties.getFingerprint().getHeaders().toArray(String[]::new))
                .inProgressRetryAfter(properties.getWeb().getInProgressRetryAfter())
                .onlyMarked() // only @Idempotent handlers and semel.web.path-patterns, never every path
                .allowAnonymous(properties.getWeb().isAllowAnonymous())
                .credentialHeaders(properties.getWeb().getCredentialHeaders().toArray(String[]::new));
        String secret = properties.getWeb().getCallerSecret();
        if (secret != null && !secret.isEmpty()) {
            builder.callerSecret(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (!properties.getCapture().getExcludedHeaders().isEmpty()) {
            builder.excludeResponseHeaders(properties.getCapture().getExcludedHeaders().toArray(String[]::new));
        }
        SemelProperties.Web web = properties.getWeb();
        // the named policies' path patterns first, then semel.web.path-patterns (the default policy)
        policyRoutes(policies(properties, policies), properties).routes().forEach(builder::route);
        if (!web.getPathPatterns().isEmpty()) {
            IdempotentRoute route = IdempotentRoute.builder()
                    .methods(web.getMethods().toArray(String[]::new))
                    .keyRequired(web.isKeyRequired())
                    .build();
            for (String pattern : web.getPathPatterns()) {
                builder.route(pattern, route);
            }
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(builder.build());
        registration.setName("semelIdempotencyFilter");
        registration.addUrlPatterns("/*");
        registration.setOrder(web.getFilterOrder());
        return registration;
    }

    /**
     * Keeps keyed form and multipart bodies readable for the idempotency filter: ordered before
     * Spring's {@code FormContentFilter} (-9900) and {@code HiddenHttpMethodFilter} (-10000),
     * which would consume them before the idempotency filter (after Spring Security) runs.
     *
     * @param properties the properties
     * @return the registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "semelFormBodyCachingFilter")
    FilterRegistrationBean<FormBodyCachingFilter> semelFormBodyCachingFilter(SemelProperties properties) {
        FilterRegistrationBean<FormBodyCachingFilter> registration = new FilterRegistrationBean<>(
                new FormBodyCachingFilter(properties.getHeaderName(), bytes(
                        properties.getCapture().getMaxRequestBodySize().toBytes(),
                        "semel.capture.max-request-body-size")));
        registration.setName("semelFormBodyCachingFilter");
        registration.addUrlPatterns("/*");
        registration.setOrder(FORM_BODY_CACHING_FILTER_ORDER);
        return registration;
    }

    /** Before every filter that reads form parameters, after the character encoding filter. */
    static final int FORM_BODY_CACHING_FILTER_ORDER = -10_100;

    private static JsonBodyNormalizer normalizer(SemelProperties properties) {
        SemelProperties.FingerprintSettings fingerprint = properties.getFingerprint();
        List<String> pointers = fingerprint.getIgnoredJsonPointers();
        JsonBodyNormalizer normalizer = pointers.isEmpty() ? JsonBodyNormalizer.create()
                : JsonBodyNormalizer.ignoring(pointers.toArray(String[]::new));
        if (fingerprint.getJsonMaxNestingDepth() != normalizer.maxNestingDepth()) {
            normalizer = normalizer.withMaxNestingDepth(fingerprint.getJsonMaxNestingDepth());
        }
        if (fingerprint.getJsonMaxNumberLength() != normalizer.maxNumberLength()) {
            normalizer = normalizer.withMaxNumberLength(fingerprint.getJsonMaxNumberLength());
        }
        return normalizer;
    }

    private static int bytes(long bytes, String property) {
        if (bytes < 1 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(property + " must be between 1 byte and 2 GB, was " + bytes + " bytes");
        }
        return (int) bytes;
    }
}
