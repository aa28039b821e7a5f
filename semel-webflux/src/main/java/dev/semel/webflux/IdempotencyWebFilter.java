package dev.semel.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Idempotency;
import dev.semel.http.IdempotencyProblem;
import dev.semel.http.JsonBodyNormalizer;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Makes {@code POST} and {@code PATCH} requests (by default) that carry an
 * {@code Idempotency-Key} header safe to retry in a Spring WebFlux application: the first
 * request runs and its response is stored; a retry with the same key and the same request gets
 * that response again, byte for byte, with {@code Idempotent-Replayed: true}, without running
 * the handler. The Servlet filter's behaviour, on a server that must never block its event loop:
 * every store call runs off the event loop.
 *
 * <p>Thin by design: it turns the request into one call of the {@link Idempotency} engine and
 * the engine's decision into a response. The other answers are RFC 9457 problems (see
 * {@link IdempotencyProblem}): 400 for a missing (when required) or malformed key, for a keyed
 * request without any credential (unless anonymous callers are allowed) and for a JSON body
 * beyond the normalizer's limits, 409 with {@code Retry-After} while the first request still
 * runs, 413 for a request body over the limit, 422 for a key reused with another request, 503
 * with {@code Retry-After} when the store is unavailable (fail-closed). Errors of the
 * application release the key and propagate unchanged.
 *
 * <pre>{@code
 * Idempotency engine = Idempotency.create(store);
 * IdempotencyWebFilter filter = IdempotencyWebFilter.builder(engine)
 *         .route("/payments/**", IdempotentRoute.builder().keyRequired(true).build())
 *         .route("/orders/*")
 *         .build();
 * HttpHandler handler = WebHttpHandlerBuilder.webHandler(webHandler).filter(filter).build();
 * }</pre>
 *
 * <p>The scope of a key is the caller (the exchange's principal; without one, a keyed hash of
 * the request's credential headers), the method and the path within the application; the
 * fingerprint covers the method, the concrete path and query, the fingerprint headers
 * ({@code Content-Type} by default) and the body
 * (normalized by the {@link BodyNormalizer}, semantic JSON by default). Scope, fingerprint and
 * stored form are the Servlet filter's, so the two adapters share records.
 *
 * <p>The response of a protected request is held in memory until its record is stored, then
 * sent. A response body that grows past {@code maxCapturedBodyBytes} is held no further: its
 * record is completed without the body (a replay says {@code Idempotent-Body-Retained: false}),
 * and only then is the body streamed to the client, the part held first. Engines whose store completes in its own transaction (JDBC transactional
 * mode) are refused: a reactive request cannot run inside a JDBC transaction.
 */
public final class IdempotencyWebFilter implements WebFilter {
    /** The default key header. */
    public static final String DEFAULT_HEADER_NAME = "Idempotency-Key";
    /** Marks a replayed response; never present on the first response. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** On a replay whose body was larger than the capture limit: {@code false}, and the body is empty. */
    public static final String BODY_RETAINED_HEADER = "Idempotent-Body-Retained";
    /** Default {@code Retry-After} of the 409 answered while the first request still runs: 1 s. */
    public static final Duration DEFAULT_IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);
    /** Default limit for request bodies and for captured response bodies: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** Response headers never stored: hop-by-hop headers, credentials and cookies, and headers the server writes. */
    public static final Set<String> DEFAULT_EXCLUDED_RESPONSE_HEADERS = Set.of(
            "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authenticate", "proxy-authorization", "www-authenticate", "authorization",
            "set-cookie", "set-cookie2", "content-length", "date", "server",
            REPLAYED_HEADER.toLowerCase(Locale.ROOT), BODY_RETAINED_HEADER.toLowerCase(Locale.ROOT));

    private final Map<PathPattern, IdempotentRoute> routes;
    private final String headerName;
    private final Admission admission;
    private final LeasedExecution execution;
    private final RouteResolver routeResolver;

    private IdempotencyWebFilter(Builder b) {
        this.routeResolver = b.routeResolver;
        this.routes = b.routes.isEmpty() && !b.onlyMarked
                ? Map.of(PathPattern.compile("/**"), IdempotentRoute.DEFAULTS)
                : Collections.unmodifiableMap(new LinkedHashMap<>(b.routes));
        this.headerName = b.headerName;
        this.admission = new Admission(b.engine, b.headerName,
                new CallerScoping(b.credentialHeaders, b.callerSecret, b.allowAnonymous),
                b.fingerprintHeaders, b.bodyNormalizer, b.maxRequestBodyBytes);
        DuplicateAnswers answers = new DuplicateAnswers(b.inProgressRetryAfter,
                b.engine.config().storeFailureRetryAfter());
        this.execution = new LeasedExecution(new EngineCalls(b.engine), answers,
                Set.copyOf(b.excludedResponseHeaders), b.maxCapturedBodyBytes);
    }

    /**
     * Starts configuring a filter.
     *
     * @param engine the engine (its store, TTL, lease and policies); the filter does not close it
     * @return a builder
     */
    public static Builder builder(Idempotency engine) {
        return new Builder(engine);
    }

    /*
     * The filter routes; each step after that has one job. A protected request with a key (or
     * without one where a key is required) goes to Admission (key, caller, body, fingerprint:
     * admitted or refused with its problem), an admitted one to LeasedExecution (claim through
     * EngineCalls, the one place that calls the engine; run the chain behind a CapturingResponse,
     * which ends the lease), which hands the requests the engine did not let run to DuplicateAnswers.
     */

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String method = request.getMethod().name();
        if (isSafe(method)) {
            return chain.filter(exchange);
        }
        String value = request.getPath().pathWithinApplication().value();
        String path = value.isEmpty() ? "/" : value;
        IdempotentRoute configured = configuredRoute(path);
        if (routeResolver == null) {
            // the route template of the scope: the path within the application, as the Servlet filter's default
            return protect(exchange, chain, method, configured, path);
        }
        return routeResolver.resolve(exchange, configured)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(resolved -> resolved.isEmpty() ? chain.filter(exchange)
                        : protect(exchange, chain, method, resolved.get().route(), resolved.get().template()));
    }

    private Mono<Void> protect(ServerWebExchange exchange, WebFilterChain chain, String method,
            IdempotentRoute route, String routeTemplate) {
        if (route == null || !route.protects(method)) {
            return chain.filter(exchange);
        }
        List<String> keyHeaders = exchange.getRequest().getHeaders().getOrEmpty(headerName);
        if (keyHeaders.isEmpty() && !route.keyRequired()) {
            return chain.filter(exchange);
        }
        return admission.admit(exchange, keyHeaders, routeTemplate)
                .flatMap(verdict -> verdict instanceof Admission.Admitted admitted
                        ? execution.run(exchange, chain, route, admitted)
                        : ((Admission.Refused) verdict).writeTo(exchange));
    }

    /** Safe methods are never protected (routes refuse them). */
    private static boolean isSafe(String method) {
        return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS") || method.equals("TRACE");
    }

    private IdempotentRoute configuredRoute(String path) {
        for (Map.Entry<PathPattern, IdempotentRoute> e : routes.entrySet()) {
            if (e.getKey().matches(path)) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * The request header that carries the idempotency key, for code around the filter (a gateway
     * filter naming the key in its own problems) that reads the key the way the filter did.
     *
     * @return the header name, {@code Idempotency-Key} unless configured
     */
    public String headerName() {
        return headerName;
    }

    @Override
    public String toString() {
        return "IdempotencyWebFilter[routes=" + routes + ", header=" + headerName + "]";
    }

    /** Builds an {@link IdempotencyWebFilter}; every setting has a default. */
    public static final class Builder {
        private final Idempotency engine;
        private final Map<PathPattern, IdempotentRoute> routes = new LinkedHashMap<>();
        private List<String> credentialHeaders = CallerScoping.DEFAULT_CREDENTIAL_HEADERS;
        private byte[] callerSecret;
        private boolean allowAnonymous;
        private boolean onlyMarked;
        private List<String> fingerprintHeaders = List.of("Content-Type");
        private BodyNormalizer bodyNormalizer = JsonBodyNormalizer.create();
        private String headerName = DEFAULT_HEADER_NAME;
        private int maxRequestBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxCapturedBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private final Set<String> excludedResponseHeaders = new TreeSet<>(DEFAULT_EXCLUDED_RESPONSE_HEADERS);
        private Duration inProgressRetryAfter = DEFAULT_IN_PROGRESS_RETRY_AFTER;
        private RouteResolver routeResolver;

        private Builder(Idempotency engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
            if (engine.completesInStoreTransaction()) {
                throw new IllegalArgumentException("The WebFlux filter cannot run requests inside the store's "
                        + "transaction (JDBC transactional mode): use the store in its non-transactional mode");
            }
        }

        /**
         * Protects the paths matching a pattern with the default rule (POST and PATCH, key
         * optional). Without any route, every path is protected with the default rule.
         *
         * @param pathPattern a pattern over the path within the application: {@code *} or
         *     {@code {name}} is one segment, {@code **} any number of segments
         * @return this builder
         */
        public Builder route(String pathPattern) {
            return route(pathPattern, IdempotentRoute.DEFAULTS);
        }

        /**
         * Protects the paths matching a pattern with a rule; the first matching pattern, in the
         * order added, wins.
         *
         * @param pathPattern a pattern over the path within the application
         * @param route the rule
         * @return this builder
         */
        public Builder route(String pathPattern, IdempotentRoute route) {
            routes.put(PathPattern.compile(pathPattern), Objects.requireNonNull(route, "route"));
            return this;
        }

        /**
         * Lets a resolver decide per request whether and how it is protected, and with which
         * route template in its scope (see {@link RouteResolver}); it is handed the rule of the
         * first configured pattern that matched.
         *
         * @param resolver the resolver
         * @return this builder
         */
        public Builder routeResolver(RouteResolver resolver) {
            this.routeResolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /**
         * Protects only the paths of the configured routes, none when no route is configured.
         * Without it, a filter with no route protects every path, as the one who installed the
         * filter asked.
         *
         * @return this builder
         */
        public Builder onlyMarked() {
            this.onlyMarked = true;
            return this;
        }

        /**
         * Sets the request headers that are part of the fingerprint (a retry must send the same
         * values). Set the same ones as on the Servlet filter where both serve one key space.
         *
         * @param names header names; default {@code Content-Type}
         * @return this builder
         */
        public Builder fingerprintHeaders(String... names) {
            for (String n : names) {
                Objects.requireNonNull(n, "header name");
            }
            this.fingerprintHeaders = List.of(names);
            return this;
        }

        /**
         * Sets the request headers that carry a caller's credentials: for a request without a
         * principal, the caller is a hash of their values, so that two clients with different
         * credentials never see each other's responses.
         *
         * @param names header names; default {@code Authorization}
         * @return this builder
         */
        public Builder credentialHeaders(String... names) {
            for (String n : names) {
                Objects.requireNonNull(n, "header name");
            }
            this.credentialHeaders = List.of(names);
            return this;
        }

        /**
         * Sets the secret under which credentials are hashed into a caller (HMAC-SHA256); every
         * instance must use the same one, and the Servlet filter's too where both serve one key
         * space. Without one, credentials are hashed with plain SHA-256.
         *
         * @param secret at least 16 bytes; copied
         * @return this builder
         */
        public Builder callerSecret(byte[] secret) {
            Objects.requireNonNull(secret, "callerSecret");
            if (secret.length < CallerScoping.MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("callerSecret must have at least " + CallerScoping.MIN_SECRET_BYTES
                        + " bytes, had " + secret.length);
            }
            this.callerSecret = secret.clone();
            return this;
        }

        /**
         * Sets whether keyed requests with neither a principal nor a credential header are
         * accepted. Such callers cannot be told apart, so they all share one scope. Off by
         * default: they get a 400 problem ({@link IdempotencyProblem#CREDENTIALS_REQUIRED}).
         *
         * @param allow default {@code false}
         * @return this builder
         */
        public Builder allowAnonymous(boolean allow) {
            this.allowAnonymous = allow;
            return this;
        }

        /**
         * Sets how bodies are canonicalized before fingerprinting.
         *
         * @param normalizer default {@link JsonBodyNormalizer#create()} (semantic JSON, other
         *     types byte for byte); {@link BodyNormalizer#RAW} compares bytes
         * @return this builder
         */
        public Builder bodyNormalizer(BodyNormalizer normalizer) {
            this.bodyNormalizer = Objects.requireNonNull(normalizer, "bodyNormalizer");
            return this;
        }

        /**
         * Sets the header that carries the key.
         *
         * @param name default {@value IdempotencyWebFilter#DEFAULT_HEADER_NAME}
         * @return this builder
         */
        public Builder headerName(String name) {
            Objects.requireNonNull(name, "headerName");
            if (name.isBlank()) {
                throw new IllegalArgumentException("headerName must not be blank");
            }
            this.headerName = name;
            return this;
        }

        /**
         * Sets the largest request body accepted with a key; larger ones get 413 without
         * running the handler, and no more of them is read than the limit.
         *
         * @param bytes positive; default {@value IdempotencyWebFilter#DEFAULT_MAX_BODY_BYTES}
         * @return this builder
         */
        public Builder maxRequestBodyBytes(int bytes) {
            this.maxRequestBodyBytes = positive(bytes, "maxRequestBodyBytes");
            return this;
        }

        /**
         * Sets the largest response body stored for replay. A larger response is still sent in
         * full and its record completed (the handler never runs twice); its replay has the
         * original status and headers, an empty body and {@code Idempotent-Body-Retained: false}.
         *
         * @param bytes positive; default {@value IdempotencyWebFilter#DEFAULT_MAX_BODY_BYTES}
         * @return this builder
         */
        public Builder maxCapturedBodyBytes(int bytes) {
            this.maxCapturedBodyBytes = positive(bytes, "maxCapturedBodyBytes");
            return this;
        }

        /**
         * Adds response headers that are never stored (nor replayed), on top of
         * {@link IdempotencyWebFilter#DEFAULT_EXCLUDED_RESPONSE_HEADERS}.
         *
         * @param names header names, case-insensitive
         * @return this builder
         */
        public Builder excludeResponseHeaders(String... names) {
            for (String n : names) {
                excludedResponseHeaders.add(n.toLowerCase(Locale.ROOT));
            }
            return this;
        }

        /**
         * Sets the {@code Retry-After} of the 409 answered while the first request with a key
         * still runs (never longer than what remains of its lease).
         *
         * @param retryAfter at least 1 s (the header counts whole seconds); default 1 s
         * @return this builder
         */
        public Builder inProgressRetryAfter(Duration retryAfter) {
            Objects.requireNonNull(retryAfter, "inProgressRetryAfter");
            if (retryAfter.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("inProgressRetryAfter must be at least 1 s (Retry-After counts "
                        + "whole seconds), was " + retryAfter);
            }
            this.inProgressRetryAfter = retryAfter;
            return this;
        }

        private static int positive(int value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }

        /**
         * Builds the filter.
         *
         * @return the filter
         */
        public IdempotencyWebFilter build() {
            return new IdempotencyWebFilter(this);
        }
    }
}
