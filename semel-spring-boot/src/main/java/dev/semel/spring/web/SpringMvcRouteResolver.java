package dev.semel.spring.web;

import dev.semel.CallOptions;
import dev.semel.servlet.IdempotentRoute;
import dev.semel.servlet.RouteResolver;
import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelPolicies;
import dev.semel.spring.SemelProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Finds the Spring MVC handler a request goes to, before the {@code DispatcherServlet} runs,
 * and tells the idempotency filter what it needs from it:
 *
 * <ul>
 *   <li>the route template ({@code /payments/{id}/refunds}) Spring MVC matched, which goes into
 *       the idempotency scope (the concrete path goes into the fingerprint);
 *   <li>the handler's {@link Idempotent @Idempotent} rule (on the method, else on the controller
 *       class): key required or optional, TTL, in-progress policy, over the settings of its named
 *       policy ({@code @Idempotent(policy = "refunds")}), else of the policy whose path pattern
 *       matched, else of the default policy. Handlers without the annotation get the rule of the
 *       path pattern that matched ({@code semel.policies.<name>.path-patterns}, then
 *       {@code semel.web.path-patterns}), if any.
 * </ul>
 *
 * <p>The lookup runs the application's handler mappings on a copy of the request's attributes,
 * so the {@code DispatcherServlet} later finds the request untouched; the result is kept for
 * the rest of the request.
 */
public final class SpringMvcRouteResolver implements RouteResolver {
    private static final String RESOLUTION = SpringMvcRouteResolver.class.getName() + ".RESOLUTION";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    private final Supplier<List<HandlerMapping>> handlerMappings;
    private final SemelPolicies policies;
    private final PolicyRoutes policyRoutes;

    /**
     * A resolver over the application's handler mappings, without named policies.
     *
     * @param handlerMappings the handler mappings, in the DispatcherServlet's order (looked up per request,
     *     so the supplier may read them once the context is refreshed)
     * @param defaultMaxWait the wait bound for {@code @Idempotent(inProgress = WAIT)}
     */
    public SpringMvcRouteResolver(Supplier<List<HandlerMapping>> handlerMappings, Duration defaultMaxWait) {
        this(handlerMappings, withMaxWait(Objects.requireNonNull(defaultMaxWait, "defaultMaxWait")));
    }

    /**
     * A resolver over the application's handler mappings that knows the named policies
     * ({@code @Idempotent(policy = "refunds")}).
     *
     * @param handlerMappings the handler mappings, in the DispatcherServlet's order (looked up per request,
     *     so the supplier may read them once the context is refreshed)
     * @param policies the named policies; the default one's max-wait bounds {@code @Idempotent(inProgress = WAIT)}
     */
    public SpringMvcRouteResolver(Supplier<List<HandlerMapping>> handlerMappings, SemelPolicies policies) {
        this(handlerMappings, policies, PolicyRoutes.NONE);
    }

    SpringMvcRouteResolver(Supplier<List<HandlerMapping>> handlerMappings, SemelPolicies policies,
            PolicyRoutes policyRoutes) {
        this.handlerMappings = Objects.requireNonNull(handlerMappings, "handlerMappings");
        this.policies = Objects.requireNonNull(policies, "policies");
        this.policyRoutes = Objects.requireNonNull(policyRoutes, "policyRoutes");
    }

    private static SemelPolicies withMaxWait(Duration maxWait) {
        SemelProperties properties = new SemelProperties();
        properties.getInProgress().setMaxWait(maxWait);
        return SemelPolicies.from(properties);
    }

    @Override
    public String routeTemplate(HttpServletRequest request) {
        String pattern = resolve(request).pattern();
        return pattern != null ? pattern : RouteResolver.SERVLET_PATH.routeTemplate(request);
    }

    @Override
    public IdempotentRoute route(HttpServletRequest request, IdempotentRoute configured) {
        Resolution resolution = resolve(request);
        return route(resolution.annotation(), resolution.handler(), request.getMethod(), configured);
    }

    /**
     * The rule for a handler method called with an HTTP method, as {@link #route(HttpServletRequest,
     * IdempotentRoute)} decides it for a request that goes to that handler: what API documentation
     * reads to tell which operations are protected.
     *
     * @param handler the handler method
     * @param method the HTTP method, upper case
     * @param configured the rule of the configured path pattern that matches the handler's route, or
     *     {@code null}
     * @return the rule, or {@code null} when requests to the handler with that method are not protected
     */
    public IdempotentRoute route(HandlerMethod handler, String method, IdempotentRoute configured) {
        return route(policies.idempotentOf(handler.getMethod(), handler.getBeanType()), handler, method, configured);
    }

    private IdempotentRoute route(Idempotent annotation, HandlerMethod handler, String method,
            IdempotentRoute configured) {
        if (annotation == null) {
            return configured; // a policy's path pattern, semel.web.path-patterns, or nothing
        }
        if (SAFE_METHODS.contains(method)) {
            return null; // a safe method needs no key: an @Idempotent GET handler runs unprotected
        }
        CallOptions options = policies.callOptions(annotation, policyRoutes.policyOf(configured),
                handlerName(handler));
        return IdempotentRoute.builder()
                .methods(method)
                .keyRequired(annotation.required())
                .options(options)
                .build();
    }

    private Resolution resolve(HttpServletRequest request) {
        Object cached = request.getAttribute(RESOLUTION);
        if (cached instanceof Resolution resolution) {
            return resolution;
        }
        Resolution resolution = lookup(request);
        request.setAttribute(RESOLUTION, resolution);
        return resolution;
    }

    private Resolution lookup(HttpServletRequest request) {
        IsolatedAttributesRequest isolated = new IsolatedAttributesRequest(request);
        for (HandlerMapping mapping : handlerMappings.get()) {
            try {
                if (mapping.usesPathPatterns() && !ServletRequestPathUtils.hasParsedRequestPath(isolated)) {
                    ServletRequestPathUtils.parseAndCache(isolated);
                }
                HandlerExecutionChain chain = mapping.getHandler(isolated);
                if (chain == null) {
                    continue;
                }
                Object pattern = isolated.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
                HandlerMethod handler = chain.getHandler() instanceof HandlerMethod h ? h : null;
                Idempotent annotation = handler == null ? null
                        : policies.idempotentOf(handler.getMethod(), handler.getBeanType());
                return new Resolution(pattern == null ? null : pattern.toString(), annotation, handler);
            } catch (Exception e) {
                // no handler for this method/media type: the DispatcherServlet answers (405, 415...)
                return Resolution.NONE;
            }
        }
        return Resolution.NONE;
    }

    private static String handlerName(HandlerMethod handler) {
        return handler.getBeanType().getName() + "#" + handler.getMethod().getName();
    }


    private record Resolution(String pattern, Idempotent annotation, HandlerMethod handler) {
        static final Resolution NONE = new Resolution(null, null, null);
    }

    /** Keeps what the handler mappings write to the request's attributes away from the real request. */
    private static final class IsolatedAttributesRequest extends HttpServletRequestWrapper {
        private final Map<String, Object> written = new HashMap<>();
        private final Set<String> removed = new HashSet<>();

        IsolatedAttributesRequest(HttpServletRequest request) {
            super(request);
        }

        @Override
        public Object getAttribute(String name) {
            if (written.containsKey(name)) {
                return written.get(name);
            }
            return removed.contains(name) ? null : super.getAttribute(name);
        }

        @Override
        public Enumeration<String> getAttributeNames() {
            Set<String> names = new HashSet<>(Collections.list(super.getAttributeNames()));
            names.removeAll(removed);
            names.addAll(written.keySet());
            return Collections.enumeration(names);
        }

        @Override
        public void setAttribute(String name, Object value) {
            if (value == null) {
                removeAttribute(name);
                return;
            }
            written.put(name, value);
            removed.remove(name);
        }

        @Override
        public void removeAttribute(String name) {
            written.remove(name);
            removed.add(name);
        }
    }
}
