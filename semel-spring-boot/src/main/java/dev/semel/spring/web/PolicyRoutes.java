package dev.semel.spring.web;

import dev.semel.servlet.IdempotentRoute;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelPolicy;
import dev.semel.spring.SemelProperties;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The filter's routes for the path patterns of the named policies ({@code semel.policies.<name>.path-patterns}),
 * and which policy each route came from: an {@code @Idempotent} handler on such a path that names no
 * policy itself takes the matched policy's settings ({@link SpringMvcRouteResolver}).
 */
final class PolicyRoutes {
    static final PolicyRoutes NONE = new PolicyRoutes(new LinkedHashMap<>(), new IdentityHashMap<>());

    private final Map<String, IdempotentRoute> byPattern;
    private final Map<IdempotentRoute, SemelPolicy> policyOf;

    private PolicyRoutes(Map<String, IdempotentRoute> byPattern, Map<IdempotentRoute, SemelPolicy> policyOf) {
        this.byPattern = byPattern;
        this.policyOf = policyOf;
    }

    /**
     * One route per policy with path patterns, for {@code semel.web.methods} and
     * {@code semel.web.key-required} like {@code semel.web.path-patterns}.
     */
    static PolicyRoutes of(SemelPolicies policies, SemelProperties.Web web) {
        Map<String, IdempotentRoute> byPattern = new LinkedHashMap<>();
        Map<IdempotentRoute, SemelPolicy> policyOf = new IdentityHashMap<>();
        Map<SemelPolicy, IdempotentRoute> routeOf = new IdentityHashMap<>();
        // most specific first: the filter takes the first pattern that matches
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
        return new PolicyRoutes(byPattern, policyOf);
    }

    /** @return the routes by path pattern, most specific first, for the filter's builder */
    Map<String, IdempotentRoute> routes() {
        return byPattern;
    }

    /** @return the policy a route of {@link #routes()} came from, or {@code null} for any other route */
    SemelPolicy policyOf(IdempotentRoute route) {
        return route == null ? null : policyOf.get(route);
    }
}
