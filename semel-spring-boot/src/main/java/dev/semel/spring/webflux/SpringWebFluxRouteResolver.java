package dev.semel.spring.webflux;

import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelPolicy;
import dev.semel.webflux.IdempotentRoute;
import dev.semel.webflux.RouteResolver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Finds the WebFlux handler a request goes to, before the {@code DispatcherHandler} runs, and
 * tells the filter what the Spring MVC integration tells the Servlet filter: the route template
 * WebFlux matched ({@code /payments/{id}/refunds}, for annotated controllers and router
 * functions alike), which goes into the scope, and the handler's {@link Idempotent @Idempotent}
 * rule, over its named policy, else the policy whose path pattern matched, else the default one.
 * Handlers without the annotation get the rule of the path pattern that matched, if any.
 */
final class SpringWebFluxRouteResolver implements RouteResolver {
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    private final Supplier<List<HandlerMapping>> handlerMappings;
    private final SemelPolicies policies;
    private final Map<IdempotentRoute, SemelPolicy> policyOf;

    SpringWebFluxRouteResolver(Supplier<List<HandlerMapping>> handlerMappings, SemelPolicies policies,
            Map<IdempotentRoute, SemelPolicy> policyOf) {
        this.handlerMappings = handlerMappings;
        this.policies = policies;
        this.policyOf = policyOf;
    }

    @Override
    public Mono<Resolved> resolve(ServerWebExchange exchange, IdempotentRoute configured) {
        String method = exchange.getRequest().getMethod().name();
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        return Flux.fromIterable(handlerMappings.get())
                .concatMap(mapping -> mapping.getHandler(exchange).onErrorResume(e -> Mono.empty()))
                .next()
                .map(handler -> Optional.ofNullable(route(handler, method, configured))
                        .map(route -> new Resolved(route, template(exchange, path))))
                // no handler (the DispatcherHandler answers 404 or 405): the configured rule, on the path
                .defaultIfEmpty(Optional.ofNullable(configured).map(c -> new Resolved(c, path.isEmpty() ? "/" : path)))
                .flatMap(Mono::justOrEmpty);
    }

    private IdempotentRoute route(Object handler, String method, IdempotentRoute configured) {
        Idempotent annotation = handler instanceof HandlerMethod h
                ? policies.idempotentOf(h.getMethod(), h.getBeanType()) : null;
        if (annotation == null) {
            return configured; // a policy's path pattern, semel.web.path-patterns, or nothing
        }
        if (SAFE_METHODS.contains(method)) {
            return null; // a safe method needs no key: an @Idempotent GET handler runs unprotected
        }
        HandlerMethod h = (HandlerMethod) handler;
        return IdempotentRoute.builder()
                .methods(method)
                .keyRequired(annotation.required())
                .options(policies.callOptions(annotation, configured == null ? null : policyOf.get(configured),
                        h.getBeanType().getName() + "#" + h.getMethod().getName()))
                .build();
    }

    /** The pattern WebFlux matched (annotated controller or router function), else the path. */
    private static String template(ServerWebExchange exchange, String path) {
        Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        if (pattern == null) {
            pattern = exchange.getAttribute(RouterFunctions.MATCHING_PATTERN_ATTRIBUTE);
        }
        if (pattern instanceof PathPattern p) {
            return p.getPatternString();
        }
        return pattern != null ? pattern.toString() : path.isEmpty() ? "/" : path;
    }

}
