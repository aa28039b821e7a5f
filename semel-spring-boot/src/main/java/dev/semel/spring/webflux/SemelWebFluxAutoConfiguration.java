package dev.semel.spring.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Idempotency;
import dev.semel.http.JsonBodyNormalizer;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelPolicy;
import dev.semel.spring.SemelProperties;
import dev.semel.webflux.IdempotencyWebFilter;
import dev.semel.webflux.IdempotentRoute;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Registers the {@link IdempotencyWebFilter} in a Spring WebFlux application, with the
 * {@code semel.*} properties of the Spring MVC integration: the paths of the named policies'
 * {@code semel.policies.<name>.path-patterns} (with that policy's settings) and of
 * {@code semel.web.path-patterns} are protected for {@code semel.web.methods}, and nothing else,
 * even with no pattern configured. The caller is the exchange's principal (Spring Security's
 * authentication when it is there), ordered after Spring Security's filter chain by
 * {@code semel.web.filter-order}; else a keyed hash of {@code semel.web.credential-headers}.
 *
 * <p>Backs off when the application declares a bean named {@code semelIdempotencyWebFilter};
 * a {@code BodyNormalizer} bean replaces the semantic JSON one.
 */
@AutoConfiguration(after = SemelAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({IdempotencyWebFilter.class, WebFilter.class})
@ConditionalOnBean(Idempotency.class)
@ConditionalOnProperty(prefix = "semel.web", name = "enabled", havingValue = "true", matchIfMissing = true)
public class SemelWebFluxAutoConfiguration {

    /** Created by Spring. */
    public SemelWebFluxAutoConfiguration() {
    }

    /**
     * The filter, ordered by {@code semel.web.filter-order} (after Spring Security's chain by default).
     *
     * @param idempotency the engine
     * @param properties the properties
     * @param bodyNormalizer the body normalizer, if any (else semantic JSON)
     * @param policies the named policies, whose path patterns are protected with their settings
     * @return the filter
     */
    @Bean
    @ConditionalOnMissingBean(name = "semelIdempotencyWebFilter")
    OrderedWebFilter semelIdempotencyWebFilter(Idempotency idempotency, SemelProperties properties,
            ObjectProvider<BodyNormalizer> bodyNormalizer, ObjectProvider<SemelPolicies> policies,
            ObjectProvider<HandlerMapping> handlerMappings) {
        SemelProperties.Web web = properties.getWeb();
        IdempotencyWebFilter.Builder builder = IdempotencyWebFilter.builder(idempotency)
                .headerName(properties.getHeaderName())
                .bodyNormalizer(bodyNormalizer.getIfAvailable(() -> normalizer(properties)))
                .maxRequestBodyBytes(bytes(properties.getCapture().getMaxRequestBodySize().toBytes(),
                        "semel.capture.max-request-body-size"))
                .maxCapturedBodyBytes(bytes(properties.getCapture().getMaxBodySize().toBytes(),
                        "semel.capture.max-body-size"))
                .fingerprintHeaders(properties.getFingerprint().getHeaders().toArray(String[]::new))
                .inProgressRetryAfter(web.getInProgressRetryAfter())
                .onlyMarked() // only the configured path patterns, never every path
                .allowAnonymous(web.isAllowAnonymous())
                .credentialHeaders(web.getCredentialHeaders().toArray(String[]::new));
        String secret = web.getCallerSecret();
        if (secret != null && !secret.isEmpty()) {
            builder.callerSecret(secret.getBytes(StandardCharsets.UTF_8));
        }
        if (!properties.getCapture().getExcludedHeaders().isEmpty()) {
            builder.excludeResponseHeaders(properties.getCapture().getExcludedHeaders().toArray(String[]::new));
        }
        // the named policies' path patterns first, most specific first, then semel.web.path-patterns
        SemelPolicies resolved = policies.getIfAvailable(() -> SemelPolicies.from(properties));
        Map<IdempotentRoute, SemelPolicy> policyOf = new IdentityHashMap<>();
        policyRoutes(resolved, web, policyOf).forEach(builder::route);
        // @Idempotent handlers and the route templates of the scope, from WebFlux's own handler mappings
        // looked up once, at the first request: a lookup per request cost more than the rest of the
        // filter (Boot's welcome page mapping, a NullBean, throws three exceptions on every lookup)
        builder.routeResolver(new SpringWebFluxRouteResolver(SingletonSupplier.of(() -> handlerMappings.orderedStream()
                .filter(mapping -> !(mapping instanceof SimpleUrlHandlerMapping))
                .toList()), resolved, policyOf));
        if (!web.getPathPatterns().isEmpty()) {
            IdempotentRoute route = IdempotentRoute.builder()
                    .methods(web.getMethods().toArray(String[]::new))
                    .keyRequired(web.isKeyRequired())
                    .build();
            for (String pattern : web.getPathPatterns()) {
                builder.route(pattern, route);
            }
        }
        return new OrderedWebFilter(builder.build(), web.getFilterOrder());
    }

    /** One route per policy with path patterns, as the Spring MVC integration makes them. */
    static Map<String, IdempotentRoute> policyRoutes(SemelPolicies policies, SemelProperties.Web web) {
        return policyRoutes(policies, web, new IdentityHashMap<>());
    }

    /** The same, noting which policy each route came from in {@code policyOf}. */
    static Map<String, IdempotentRoute> policyRoutes(SemelPolicies policies, SemelProperties.Web web,
            Map<IdempotentRoute, SemelPolicy> policyOf) {
        Map<String, IdempotentRoute> byPattern = new LinkedHashMap<>();
        Map<SemelPolicy, IdempotentRoute> routeOf = new IdentityHashMap<>();
        // most specific first, as the Spring MVC integration orders them
        policies.byPathPattern().forEach((pattern, policy) -> byPattern.put(pattern,
                routeOf.computeIfAbsent(policy, p -> {
                    IdempotentRoute route = IdempotentRoute.builder()
                            .methods(web.getMethods().toArray(String[]::new))
                            .keyRequired(web.isKeyRequired())
                            .options(p.callOptions())
                            .build();
                    policyOf.put(route, p);
                    return route;
                })));
        return byPattern;
    }

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

    /** The filter with the order the properties give it among the application's web filters. */
    static final class OrderedWebFilter implements WebFilter, Ordered {
        private final IdempotencyWebFilter filter;
        private final int order;

        OrderedWebFilter(IdempotencyWebFilter filter, int order) {
            this.filter = filter;
            this.order = order;
        }

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return filter.filter(exchange, chain);
        }

        @Override
        public int getOrder() {
            return order;
        }

        IdempotencyWebFilter filter() {
            return filter;
        }

        @Override
        public String toString() {
            return filter + "[order=" + order + "]";
        }
    }
}
