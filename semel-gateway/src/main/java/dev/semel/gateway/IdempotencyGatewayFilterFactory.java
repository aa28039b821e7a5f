package dev.semel.gateway;

import dev.semel.CallOptions;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.OutcomePolicy;
import dev.semel.http.IdempotencyProblem;
import dev.semel.webflux.IdempotencyWebFilter;
import dev.semel.webflux.IdempotentRoute;
import dev.semel.webflux.RouteResolver;
import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.filter.OrderedGatewayFilter;
import org.springframework.cloud.gateway.filter.factory.AbstractGatewayFilterFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.HasRouteId;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The {@code Idempotency} filter of Spring Cloud Gateway (server WebFlux): a route that declares it
 * makes its {@code POST} and {@code PATCH} requests with an {@code Idempotency-Key} header safe to
 * retry, whatever the upstream is written in. The first request is proxied and the upstream's
 * response stored; a retry with the same key and the same request gets that response again, byte
 * for byte, with {@code Idempotent-Replayed: true}, without reaching the upstream. The behaviour
 * table is the {@link IdempotencyWebFilter}'s, which this filter runs for each route.
 *
 * <pre>{@code
 * spring:
 *   cloud:
 *     gateway:
 *       server:
 *         webflux:
 *           routes:
 *             - id: payments            # part of every key's scope: give each route a stable id
 *               uri: http://127.0.0.1:8000
 *               predicates:
 *                 - Path=/payments/**
 *               filters:
 *                 - Idempotency=true, 24h, 30s   # keyRequired, ttl, lease (each optional)
 * }</pre>
 *
 * <p>The scope of a key is the caller, the method, the route's id and the path, so the same key
 * on two routes never collides. The caller is the exchange's principal; else, when configured,
 * the value of a trusted header that an authenticating proxy in front sets; else a keyed hash of
 * the credential headers (the {@link IdempotencyWebFilter}'s default).
 *
 * <p>The filter runs just before the gateway writes the upstream's response (order
 * {@link #ORDER}), so it holds that response until its record is stored. Requests it does not
 * protect (other methods, and requests without a key on a route that does not require one) pass
 * through untouched, their bodies streamed.
 *
 * <p>An upstream that fails is answered with a problem naming the key: one never reached releases
 * the key (502 {@code upstream-unreachable}, with {@code Retry-After}); one that was sent the
 * request and gave no complete response back may have acted, so its answer (502
 * {@code upstream-failed}, or 504 {@code upstream-timeout} after the route's response timeout) is
 * an upstream 5xx outcome, released or stored as the outcome policy says.
 *
 * <p>A Spring Boot application with the Semel engine gets this factory from
 * {@link dev.semel.gateway.autoconfigure.SemelGatewayAutoConfiguration}; declare one to configure
 * it in code:
 *
 * <pre>{@code
 * @Bean
 * IdempotencyGatewayFilterFactory idempotencyGatewayFilterFactory(Idempotency engine) {
 *     return IdempotencyGatewayFilterFactory.builder(engine)
 *             .callerHeader("X-Authenticated-User")
 *             .webFilter(filter -> filter.callerSecret(secret))
 *             .build();
 * }
 * }</pre>
 */
public final class IdempotencyGatewayFilterFactory
        extends AbstractGatewayFilterFactory<IdempotencyGatewayFilterFactory.Config> {
    /**
     * The order of the filter among a route's filters: just before the gateway's
     * {@link NettyWriteResponseFilter}, whose response it must capture (as the gateway's own
     * response body rewriting does).
     */
    public static final int ORDER = NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;

    /** Spring Security's anonymous authentication, named so that this module does not need Spring Security. */
    private static final String ANONYMOUS_AUTHENTICATION =
            "org.springframework.security.authentication.AnonymousAuthenticationToken";
    private static final System.Logger LOG = System.getLogger(IdempotencyGatewayFilterFactory.class.getName());

    private final Idempotency engine;
    private final String callerHeader;
    private final Consumer<IdempotencyWebFilter.Builder> webFilter;

    private IdempotencyGatewayFilterFactory(Builder b) {
        super(Config.class);
        this.engine = b.engine;
        this.callerHeader = b.callerHeader;
        this.webFilter = b.webFilter;
    }

    /**
     * Starts configuring the factory.
     *
     * @param engine the engine (its store, TTL, lease and policies); the factory does not close it
     * @return a builder
     */
    public static Builder builder(Idempotency engine) {
        return new Builder(engine);
    }

    @Override
    public List<String> shortcutFieldOrder() {
        return List.of("keyRequired", "ttl", "lease");
    }

    @Override
    public GatewayFilter apply(Config config) {
        if (looksGenerated(config.getRouteId())) {
            LOG.log(System.Logger.Level.WARNING, "Route ''{0}'' has the Idempotency filter and an id that looks "
                    + "generated: the route id is part of every key''s scope, so a generated one, which differs "
                    + "between instances and restarts, lets a retry through another instance run again. Give the "
                    + "route an id of its own.", config.getRouteId());
        }
        IdempotentRoute route = config.route(engine.config().outcomePolicy());
        IdempotencyWebFilter.Builder builder = IdempotencyWebFilter.builder(engine);
        webFilter.accept(builder);
        // every request that reaches this filter belongs to the route, whose id goes into the scope
        IdempotencyWebFilter filter = builder
                .routeResolver((exchange, configured) -> Mono.just(new RouteResolver.Resolved(route, template(exchange))))
                .build();
        return new OrderedGatewayFilter(new RouteFilter(filter, route, callerHeader), ORDER);
    }

    /**
     * The route template of a request's scope: the gateway route's id and the path within the
     * application (a raw path has no spaces, so no two pairs read alike).
     */
    static String template(ServerWebExchange exchange) {
        Route gatewayRoute = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        return (gatewayRoute == null ? "" : gatewayRoute.getId()) + " " + (path.isEmpty() ? "/" : path);
    }

    /** Spring Cloud Gateway gives a route without an id a random UUID. */
    private static boolean looksGenerated(String routeId) {
        if (routeId == null || routeId.length() != 36) {
            return false;
        }
        try {
            UUID.fromString(routeId);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "IdempotencyGatewayFilterFactory[callerHeader=" + callerHeader + "]";
    }

    /** One route's filter: the WebFlux filter, with the route id in the scope and the gateway chain behind it. */
    private static final class RouteFilter implements GatewayFilter {
        private final IdempotencyWebFilter filter;
        private final IdempotentRoute route;
        private final String callerHeader;

        RouteFilter(IdempotencyWebFilter filter, IdempotentRoute route, String callerHeader) {
            this.filter = filter;
            this.route = route;
            this.callerHeader = callerHeader;
        }

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
            ServerHttpRequest request = exchange.getRequest();
            if (!route.protects(request.getMethod().name())) {
                return chain.filter(exchange); // streamed, untouched
            }
            HttpHeaders before = HttpHeaders.copyOf(exchange.getResponse().getHeaders());
            AtomicBoolean leased = new AtomicBoolean();
            ServerWebExchange scoped = exchange.mutate().principal(caller(exchange)).build();
            return filter.filter(scoped, proxied -> {
                        if (proxied.getResponse() == scoped.getResponse()) {
                            return chain.filter(proxied); // not run under a key (no key on this route)
                        }
                        leased.set(true);
                        return chain.filter(proxied).onErrorResume(
                                e -> UpstreamFailures.classify(e) == UpstreamFailures.Kind.SENT
                                        && !proxied.getResponse().isCommitted(),
                                e -> sentButNotAnswered(proxied, before, key(proxied), e));
                    })
                    .onErrorResume(e -> leased.get() && UpstreamFailures.classify(e) == UpstreamFailures.Kind.NOT_SENT
                            && !exchange.getResponse().isCommitted(), e -> notSent(exchange, before, key(exchange), e));
        }

        /** The key of a request the filter leased (so one it already read without error). */
        private String key(ServerWebExchange exchange) {
            try {
                return IdempotencyKey.parse(exchange.getRequest().getHeaders().getOrEmpty(filter.headerName())).value();
            } catch (InvalidIdempotencyKeyException e) {
                return null; // not leased under a key after all: the problem names none
            }
        }

        /**
         * The request was sent and no complete response came back: the upstream may have acted.
         * Written through the held response, so the lease ends as for an upstream 5xx, per the
         * outcome policy: released by default (a retry runs again), stored where 5xx are (every
         * retry replays this answer). A response timeout is a 504, a broken connection a 502.
         */
        private static Mono<Void> sentButNotAnswered(ServerWebExchange proxied, HttpHeaders before, String key,
                Throwable e) {
            boolean timedOut = UpstreamFailures.timedOut(e);
            IdempotencyProblem problem = timedOut ? IdempotencyProblem.UPSTREAM_TIMEOUT
                    : IdempotencyProblem.UPSTREAM_FAILED;
            // one line per failure: an upstream that keeps failing must not fill the log with stack traces
            LOG.log(System.Logger.Level.WARNING, "The upstream of " + proxied.getRequest().getPath().value()
                    + " sent no complete response: answered " + problem.status() + ", the key stored or released "
                    + "as the outcome policy says for a 5xx (" + e + ")");
            LOG.log(System.Logger.Level.DEBUG, "The upstream's error", e);
            return UpstreamFailures.write(proxied.getResponse(), proxied, before, problem, timedOut
                    ? "The request was sent to the upstream, and its response did not come in time; the upstream "
                            + "may have acted on it"
                    : "The request was sent to the upstream, but no complete response came back; the upstream may "
                            + "have acted on it", key, null);
        }

        /** The request never reached the upstream: the key is already released, a retry runs it. */
        private static Mono<Void> notSent(ServerWebExchange exchange, HttpHeaders before, String key, Throwable e) {
            LOG.log(System.Logger.Level.INFO, "The upstream of " + exchange.getRequest().getPath().value()
                    + " could not be reached: answered 502, the key released (" + e + ")");
            return UpstreamFailures.write(exchange.getResponse(), exchange, before,
                    IdempotencyProblem.UPSTREAM_UNREACHABLE,
                    "The request could not be sent to the upstream; nothing was done, retry later", key,
                    UpstreamFailures.UNREACHABLE_RETRY_AFTER);
        }

        /** The exchange's principal; else the trusted caller header's value, when one is configured and set. */
        private Mono<Principal> caller(ServerWebExchange exchange) {
            Mono<Principal> principal = exchange.getPrincipal();
            if (callerHeader == null) {
                return principal;
            }
            String value = exchange.getRequest().getHeaders().getFirst(callerHeader);
            if (value == null || value.isBlank()) {
                return principal;
            }
            // Spring Security's anonymous authentication is no caller (as the WebFlux filter decides)
            return principal.filter(p -> !p.getClass().getName().equals(ANONYMOUS_AUTHENTICATION))
                    .switchIfEmpty(Mono.just(new HeaderCaller(value)));
        }

        @Override
        public String toString() {
            return "Idempotency" + route;
        }
    }

    /** A caller named by the trusted header. */
    private record HeaderCaller(String getName) implements Principal {
    }

    /**
     * The arguments of one route's {@code Idempotency} filter, in the shortcut's order:
     * {@code keyRequired}, {@code ttl}, {@code lease}; {@code methods} and
     * {@code storeServerErrors} by name only.
     */
    public static final class Config implements HasRouteId {
        private String routeId;
        private boolean keyRequired;
        private Duration ttl;
        private Duration lease;
        private List<String> methods = List.copyOf(IdempotentRoute.DEFAULT_METHODS);
        private Boolean storeServerErrors;

        /** Created by the gateway when it binds a route's arguments. */
        public Config() {
        }

        /** @param routeId the id of the route the filter belongs to; set by the gateway */
        @Override
        public void setRouteId(String routeId) {
            this.routeId = routeId;
        }

        /** @return the id of the route the filter belongs to, when the gateway set it */
        @Override
        public String getRouteId() {
            return routeId;
        }

        /** @return whether a request without a key is refused with 400 (else proxied unprotected) */
        public boolean isKeyRequired() {
            return keyRequired;
        }

        /** @param keyRequired whether a request without a key is refused with 400; default {@code false} */
        public void setKeyRequired(boolean keyRequired) {
            this.keyRequired = keyRequired;
        }

        /** @return how long a stored response is replayed, or {@code null} for the engine's TTL */
        public Duration getTtl() {
            return ttl;
        }

        /** @param ttl how long a stored response is replayed; default the engine's TTL */
        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        /** @return the lease of a running request, or {@code null} for the engine's */
        public Duration getLease() {
            return lease;
        }

        /**
         * @param lease the lease of a running request (renewed while the upstream answers);
         *     default the engine's
         */
        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** @return the protected methods */
        public List<String> getMethods() {
            return methods;
        }

        /** @param methods the protected methods; default POST and PATCH */
        public void setMethods(List<String> methods) {
            this.methods = List.copyOf(methods);
        }

        /**
         * @return whether the route stores 5xx outcomes (an upstream's 5xx, and the 502 of an
         *     upstream that gave no complete response), or {@code null} for the engine's policy
         */
        public Boolean getStoreServerErrors() {
            return storeServerErrors;
        }

        /**
         * @param storeServerErrors {@code true} to store 5xx outcomes on this route, so that a
         *     retry replays them instead of reaching the upstream again (for an upstream that is
         *     not safe to run twice); {@code false} to release the key on them; default the
         *     engine's policy ({@code semel.stored-outcomes})
         */
        public void setStoreServerErrors(Boolean storeServerErrors) {
            this.storeServerErrors = storeServerErrors;
        }

        IdempotentRoute route(OutcomePolicy engine) {
            CallOptions.Builder options = CallOptions.custom();
            if (storeServerErrors != null) {
                boolean store = storeServerErrors;
                // the engine's policy below 500, this route's answer at 500 and above
                options.outcomePolicy(status -> status >= 500 ? store : engine.shouldStore(status));
            }
            if (ttl != null) {
                options.ttl(ttl);
            }
            if (lease != null) {
                options.leaseDuration(lease);
            }
            return IdempotentRoute.builder()
                    .methods(methods.toArray(String[]::new))
                    .keyRequired(keyRequired)
                    .options(options.build())
                    .build();
        }

        @Override
        public String toString() {
            return "Config[keyRequired=" + keyRequired + ", ttl=" + ttl + ", lease=" + lease + ", methods=" + methods
                    + ", storeServerErrors=" + storeServerErrors + "]";
        }
    }

    /** Builds an {@link IdempotencyGatewayFilterFactory}; every setting has a default. */
    public static final class Builder {
        private final Idempotency engine;
        private String callerHeader;
        private Consumer<IdempotencyWebFilter.Builder> webFilter = b -> { };

        private Builder(Idempotency engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /**
         * Names a request header that carries the caller, set by an authenticating proxy in front
         * of the gateway. Trusted as it is: the proxy must set it on every request and drop
         * a client's own. A request with a principal keeps its principal; one without the header
         * is scoped by its credential headers.
         *
         * @param name a header name; default none
         * @return this builder
         */
        public Builder callerHeader(String name) {
            Objects.requireNonNull(name, "callerHeader");
            this.callerHeader = name.isBlank() ? null : name;
            return this;
        }

        /**
         * Configures the {@link IdempotencyWebFilter} of every route: key header, credential
         * headers and caller secret, fingerprint headers, body limits, excluded response headers.
         * Set no route here: the gateway's routes decide what is protected.
         *
         * @param customizer applied to each route's filter builder
         * @return this builder
         */
        public Builder webFilter(Consumer<IdempotencyWebFilter.Builder> customizer) {
            this.webFilter = Objects.requireNonNull(customizer, "webFilter");
            return this;
        }

        /**
         * Builds the factory; declare it as a bean for the gateway to find it by the name
         * {@code Idempotency}.
         *
         * @return the factory
         */
        public IdempotencyGatewayFilterFactory build() {
            return new IdempotencyGatewayFilterFactory(this);
        }
    }
}
