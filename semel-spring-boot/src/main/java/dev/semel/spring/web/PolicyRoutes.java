package dev.semel.spring.web;

import dev.semel.servlet.IdempotentRoute;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelPolicy;
import dev.semel.spring.SemelProperties;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
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
        Map<String, IdempotentRoute> unordered = new HashMap<>();
        Map<IdempotentRoute, SemelPolicy> policyOf = new IdentityHashMap<>();
        for (SemelPolicy policy : policies.all()) {
            if (policy.pathPatterns().isEmpty()) {
                continue;
            }
            IdempotentRoute route = IdempotentRoute.builder()
                    .methods(web.getMethods().toArray(String[]::new))
                    .keyRequired(web.isKeyRequired())
                    .options(policy.callOptions())
                    .build();
            policyOf.put(route, policy);
            for (String pattern : policy.pathPatterns()) {
                unordered.putIfAbsent(pattern, route);
            }
        }
        // the filter takes the first pattern that matches: the most specific goes first, so that
        // /reports/daily/* of one policy wins over /reports/** of another whatever the order of the properties
        Map<String, IdempotentRoute> byPattern = new LinkedHashMap<>();
        unordered.keySet().stream().sorted(MOST_SPECIFIC_FIRST).forEach(p -> byPattern.put(p, unordered.get(p)));
        return new PolicyRoutes(byPattern, policyOf);
    }

    /** Patterns without {@code **} first, then more segments, then fewer wildcard segments, then by name. */
    static final Comparator<String> MOST_SPECIFIC_FIRST = Comparator
            .comparing((String pattern) -> pattern.contains("**"))
            .thenComparing(pattern -> -segments(pattern).length)
            .thenComparing(pattern -> wildcards(pattern))
            .thenComparing(Comparator.naturalOrder());

    private static String[] segments(String pattern) {
        return Arrays.stream(pattern.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    private static long wildcards(String pattern) {
        return Arrays.stream(segments(pattern))
                .filter(s -> s.contains("*") || (s.startsWith("{") && s.endsWith("}"))).count();
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
