package dev.semel.gateway;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.http.server.RequestPath;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;

/**
 * The request as the {@code IdempotencyWebFilter} sees it behind a gateway route: its path within
 * the application starts with the route id, so the scope of a key (method and that path) names
 * the route and the same key on two routes never collides. Everything else is the request's own:
 * the full path (fingerprint, problem {@code instance}), the URI, the headers and the body.
 *
 * <p>The filter only offers the path within the application as the scope's route; a hook to name
 * the route directly would make this decorator unnecessary.
 */
final class RouteScopedRequest extends ServerHttpRequestDecorator {
    private final RequestPath path;

    RouteScopedRequest(ServerHttpRequest delegate, String routeId) {
        super(delegate);
        this.path = new ScopedPath(delegate.getPath(), routeId);
    }

    @Override
    public RequestPath getPath() {
        return path;
    }

    /**
     * The request the rest of the gateway chain gets: the one the filter passes on (its body read
     * from memory, for a leased request), with the original path again.
     */
    static ServerHttpRequest unscoped(ServerHttpRequest request, RequestPath original) {
        if (request instanceof RouteScopedRequest scoped) {
            return scoped.getDelegate(); // passed through untouched: the original request, body unread
        }
        return new ServerHttpRequestDecorator(request) {
            @Override
            public RequestPath getPath() {
                return original;
            }
        };
    }

    /** The original path, whose path within the application is prefixed with the encoded route id. */
    private static final class ScopedPath implements RequestPath {
        private final RequestPath original;
        private final PathContainer withinApplication;

        ScopedPath(RequestPath original, String routeId) {
            this.original = original;
            String segment = URLEncoder.encode(routeId, StandardCharsets.UTF_8).replace("+", "%20");
            this.withinApplication = PathContainer.parsePath("/" + segment + original.pathWithinApplication().value());
        }

        @Override
        public PathContainer contextPath() {
            return original.contextPath();
        }

        @Override
        public PathContainer pathWithinApplication() {
            return withinApplication;
        }

        @Override
        public RequestPath modifyContextPath(String contextPath) {
            return original.modifyContextPath(contextPath);
        }

        @Override
        public String value() {
            return original.value();
        }

        @Override
        public List<Element> elements() {
            return original.elements();
        }

        @Override
        public String toString() {
            return original.toString();
        }
    }
}
