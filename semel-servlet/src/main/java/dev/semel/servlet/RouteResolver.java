package dev.semel.servlet;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Tells the {@link IdempotencyFilter} which route a request belongs to: the route
 * <em>template</em> that goes into the idempotency scope (so one key on two routes never
 * collides) and, optionally, the {@link IdempotentRoute} rule that applies.
 *
 * <p>The scope holds the template ({@code /payments/{id}/refunds}); the fingerprint
 * holds the concrete path, so a key reused on another payment is a mismatch (422), never
 * a replay. The default, {@link #SERVLET_PATH}, uses the servlet path (the path within
 * the application when the servlet is mapped to {@code /} or {@code /*}). Frameworks that
 * know their handler mappings supply their own:
 *
 * <pre>{@code
 * RouteResolver byHandler = new RouteResolver() {
 *     @Override
 *     public String routeTemplate(HttpServletRequest request) {
 *         return mappings.bestMatchingPattern(request);   // e.g. "/payments/{id}/refunds"
 *     }
 *
 *     @Override
 *     public IdempotentRoute route(HttpServletRequest request, IdempotentRoute configured) {
 *         Idempotent annotation = mappings.annotationOf(request); // the handler's own rule wins
 *         return annotation == null ? configured : IdempotentRoute.builder()
 *                 .methods(request.getMethod())
 *                 .keyRequired(annotation.required())
 *                 .options(CallOptions.custom().ttl(Duration.parse(annotation.ttl())).build())
 *                 .build();
 *     }
 * };
 * }</pre>
 */
@FunctionalInterface
public interface RouteResolver {
    /** The servlet path, or the path within the application when that is empty. */
    RouteResolver SERVLET_PATH = request -> {
        String servletPath = request.getServletPath();
        if (servletPath != null && !servletPath.isEmpty()) {
            return servletPath;
        }
        return PathPattern.pathWithinApplication(request);
    };

    /**
     * Returns the route template of a request, used in the scope.
     *
     * @param request the request
     * @return the template, never {@code null}
     */
    String routeTemplate(HttpServletRequest request);

    /**
     * Returns the rule that applies to a request, or {@code null} when the request is not
     * protected (it passes through untouched). The default returns what the filter's
     * configured path patterns matched; override it to decide per endpoint.
     *
     * <p>The filter still checks the request method against the returned
     * {@link IdempotentRoute#methods() methods}.
     *
     * @param request the request
     * @param configured the rule of the first configured pattern that matched, or {@code null}
     * @return the rule to apply, or {@code null} to pass the request through
     */
    default IdempotentRoute route(HttpServletRequest request, IdempotentRoute configured) {
        return configured;
    }
}
