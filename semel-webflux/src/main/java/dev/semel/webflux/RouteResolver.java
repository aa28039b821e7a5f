package dev.semel.webflux;

import java.util.Objects;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Decides, per request, whether and how the {@link IdempotencyWebFilter} protects it, and with
 * which route template in the scope: what a framework integration knows from its handler
 * mapping (Semel's Spring Boot integration reads {@code @Idempotent} and the matched pattern,
 * {@code /payments/{id}/refunds}, from WebFlux's handler mappings). Without one, the filter uses
 * its configured path patterns and the path within the application.
 *
 * <p>It must not block: a lookup that waits runs off the event loop.
 */
@FunctionalInterface
public interface RouteResolver {
    /**
     * The rule and the route template for a request.
     *
     * @param exchange the exchange
     * @param configured the rule of the first configured path pattern that matched, or {@code null}
     * @return the rule and template, or an empty {@code Mono} to pass the request through
     *     untouched; the filter still checks the method against the rule's methods
     */
    Mono<Resolved> resolve(ServerWebExchange exchange, IdempotentRoute configured);

    /**
     * A request's rule and the route template that goes into its scope.
     *
     * @param route the rule
     * @param template the route template, e.g. {@code /payments/{id}/refunds}
     */
    record Resolved(IdempotentRoute route, String template) {
        /**
         * Validates the parts.
         *
         * @param route the rule
         * @param template the route template
         */
        public Resolved {
            Objects.requireNonNull(route, "route");
            Objects.requireNonNull(template, "template");
        }
    }
}
