package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import dev.semel.Idempotency;
import dev.semel.http.IdempotencyProblem;
import dev.semel.http.JsonBodyNormalizer;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Makes {@code POST} and {@code PATCH} requests (by default) that carry an
 * {@code Idempotency-Key} header safe to retry, in any Jakarta Servlet 6 container: the
 * first request runs and its response is stored; a retry with the same key and the same
 * request gets that response again, byte for byte, with {@code Idempotent-Replayed: true},
 * without running the handler.
 *
 * <p>Thin by design: it turns the request into one call of the {@link Idempotency}
 * engine and the engine's decision into a response. The other answers are RFC 9457
 * problems (see {@link IdempotencyProblem}): 400 for a missing (when required) or
 * malformed key, for a keyed request without any credential (unless anonymous callers are
 * allowed) and for a JSON body beyond the normalizer's limits (nesting depth, number
 * length), 409 with {@code Retry-After} while the first request still runs,
 * 413 for a request body over the limit, 422 for a key reused with another request,
 * 503 with {@code Retry-After} when the store is unavailable (fail-closed). Exceptions
 * thrown by the application release the key and propagate unchanged.
 *
 * <pre>{@code
 * Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore());
 * IdempotencyFilter filter = IdempotencyFilter.builder(engine)
 *         .route("/payments/**", IdempotentRoute.builder().keyRequired(true).build())
 *         .route("/orders/*")
 *         .build();
 * servletContext.addFilter("idempotency", filter).addMappingForUrlPatterns(null, false, "/*");
 * }</pre>
 *
 * <p>The scope of a key is the caller ({@link CallerResolver}; without a principal, a
 * keyed hash of the request's credential headers), the method and the route
 * template ({@link RouteResolver}); the fingerprint covers the method, the concrete path
 * and query, the selected headers ({@code Content-Type} by default) and the body
 * (normalized by the {@link BodyNormalizer}, semantic JSON by default).
 *
 * <p>When the engine {@linkplain Idempotency#completesInStoreTransaction() completes in the
 * store's transaction} (a transactional store), the request runs inside that transaction so the
 * record commits with the application's writes (synchronous requests
 * only: an application that starts async processing under a transactional store gets an
 * {@link IllegalStateException}, since its work would finish after the commit).
 */
public final class IdempotencyFilter implements Filter {
    /** The default key header. */
    public static final String DEFAULT_HEADER_NAME = "Idempotency-Key";
    /** Marks a replayed response; never present on the first response. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    /** On a replay whose body was larger than the capture limit: {@code false}, and the body is empty. */
    public static final String BODY_RETAINED_HEADER = "Idempotent-Body-Retained";
    /**
     * Default {@code Retry-After} of the 409 answered while the first request still runs: 1 s,
     * so a retrying client comes back soon and gets the replay rather than waiting out the
     * lease (or giving up before its end).
     */
    public static final Duration DEFAULT_IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);
    /**
     * Request attribute a framework integration sets to {@link Boolean#TRUE} when it answered the
     * request without running the application's handler (binding or validation error, no handler,
     * method or media type not supported): the key is then released instead of storing that
     * answer, so the corrected retry with the same key runs (Stripe's rule). Semel's Spring MVC
     * integration sets it.
     */
    public static final String HANDLER_NOT_RUN_ATTRIBUTE = IdempotencyFilter.class.getName() + ".HANDLER_NOT_RUN";
    /** Default limit for request bodies and for captured response bodies: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /**
     * Response headers never stored: hop-by-hop headers, credentials and cookies, and
     * headers the container writes itself.
     */
    public static final Set<String> DEFAULT_EXCLUDED_RESPONSE_HEADERS = Set.of(
            "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authenticate", "proxy-authorization", "www-authenticate", "authorization",
            "set-cookie", "set-cookie2", "content-length", "date", "server",
            REPLAYED_HEADER.toLowerCase(Locale.ROOT), BODY_RETAINED_HEADER.toLowerCase(Locale.ROOT));

    private final Map<PathPattern, IdempotentRoute> routes;
    private final RouteResolver routeResolver;
    private final String headerName;
    private final ProtectedRequestInterceptor interceptor;
    private final Admission admission;
    private final Execution execution;

    private IdempotencyFilter(Builder b) {
        this.routes = b.routes.isEmpty() && !b.onlyMarked
                ? Map.of(PathPattern.compile("/**"), IdempotentRoute.DEFAULTS)
                : Collections.unmodifiableMap(new LinkedHashMap<>(b.routes));
        this.routeResolver = b.routeResolver;
        this.headerName = b.headerName;
        this.interceptor = b.interceptor;
        this.admission = new Admission(b.engine, b.headerName,
                new CallerScoping(b.callerResolver, b.credentialHeaders, b.callerSecret, b.allowAnonymous),
                b.routeResolver, b.fingerprintHeaders, b.bodyNormalizer, b.maxRequestBodyBytes);
        DuplicateAnswers answers = new DuplicateAnswers(b.inProgressRetryAfter,
                b.engine.config().storeFailureRetryAfter());
        Set<String> excluded = Set.copyOf(b.excludedResponseHeaders);
        // the engine decides whether claim, handler and record share the store's transaction
        this.execution = b.engine.completesInStoreTransaction()
                ? new TransactionalExecution(b.engine, answers, b.maxCapturedBodyBytes, excluded)
                : new LeasedExecution(b.engine, answers, b.maxCapturedBodyBytes, excluded);
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
     * admitted or refused with its problem), an admitted one to the Execution the engine's mode
     * calls for (LeasedExecution, or TransactionalExecution when the record commits with the
     * application's writes), which hands the requests the engine did not let run to
     * DuplicateAnswers. StoredResponseCodec is the one place that knows how a response is stored.
     */

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)
                || request.getDispatcherType() != DispatcherType.REQUEST || isSafe(request.getMethod())) {
            chain.doFilter(req, res);
            return;
        }
        IdempotentRoute route = routeResolver.route(request, configuredRoute(request));
        if (route == null || !route.protects(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        List<String> keyHeaders = Collections.list(request.getHeaders(headerName));
        if (keyHeaders.isEmpty() && !route.keyRequired()) {
            chain.doFilter(request, response);
            return;
        }
        if (interceptor == null) {
            protect(request, response, chain, route, keyHeaders);
        } else {
            interceptor.intercept(request, () -> protect(request, response, chain, route, keyHeaders));
        }
    }

    private void protect(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            IdempotentRoute route, List<String> keyHeaders) throws IOException, ServletException {
        Admission.Verdict verdict = admission.admit(request, keyHeaders);
        if (verdict instanceof Admission.Admitted admitted) {
            execution.run(request, response, chain, route, admitted);
        } else {
            ((Admission.Refused) verdict).writeTo(request, response);
        }
    }

    /** Safe methods are never protected (routes refuse them), so resolvers are not even asked. */
    private static boolean isSafe(String method) {
        return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS") || method.equals("TRACE");
    }

    private IdempotentRoute configuredRoute(HttpServletRequest request) {
        return configuredRoute(PathPattern.pathWithinApplication(request));
    }

    /**
     * The rule of the first configured route whose pattern matches a path, before any
     * {@link RouteResolver} has its say: what API documentation reads to tell which
     * operations are protected. A route template such as {@code /payments/{id}} matches as a
     * concrete path would.
     *
     * @param path a path within the application, starting with {@code /}
     * @return the rule, or {@code null} when no configured pattern matches
     */
    public IdempotentRoute configuredRoute(String path) {
        Objects.requireNonNull(path, "path");
        for (Map.Entry<PathPattern, IdempotentRoute> e : routes.entrySet()) {
            if (e.getKey().matches(path)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "IdempotencyFilter[routes=" + routes + ", header=" + headerName + "]";
    }

    /** Builds an {@link IdempotencyFilter}; every setting has a default. */
    public static final class Builder {
        private final Idempotency engine;
        private final Map<PathPattern, IdempotentRoute> routes = new LinkedHashMap<>();
        private RouteResolver routeResolver = RouteResolver.SERVLET_PATH;
        private CallerResolver callerResolver = CallerResolver.PRINCIPAL;
        private List<String> credentialHeaders = CallerScoping.DEFAULT_CREDENTIAL_HEADERS;
        private byte[] callerSecret;
        private boolean allowAnonymous;
        private boolean onlyMarked;
        private BodyNormalizer bodyNormalizer = JsonBodyNormalizer.create();
        private String headerName = DEFAULT_HEADER_NAME;
        private List<String> fingerprintHeaders = List.of("Content-Type");
        private int maxRequestBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxCapturedBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private final Set<String> excludedResponseHeaders = new TreeSet<>(DEFAULT_EXCLUDED_RESPONSE_HEADERS);
        private Duration inProgressRetryAfter = DEFAULT_IN_PROGRESS_RETRY_AFTER;
        private ProtectedRequestInterceptor interceptor;

        private Builder(Idempotency engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /**
         * Protects the paths matching a pattern with the default rule (POST and PATCH, key
         * optional). Without any route, every path is protected with the default rule
         * (unless {@link #onlyMarked()}).
         *
         * @param pathPattern a pattern over the path within the application: {@code *} or
         *     {@code {name}} is one segment, {@code **} any number of segments
         * @return this builder
         */
        public Builder route(String pathPattern) {
            return route(pathPattern, IdempotentRoute.DEFAULTS);
        }

        /**
         * Protects the paths matching a pattern with a rule; the first matching pattern,
         * in the order added, wins.
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
         * Sets how the route template (part of the scope) and per-request rule are found.
         *
         * @param resolver the resolver; default {@link RouteResolver#SERVLET_PATH}
         * @return this builder
         */
        public Builder routeResolver(RouteResolver resolver) {
            this.routeResolver = Objects.requireNonNull(resolver, "routeResolver");
            return this;
        }

        /**
         * Protects only what is marked: the paths of the configured routes and the requests
         * the {@link RouteResolver} gives a rule to (an annotated handler, say), even when no
         * route is configured. Without it, a filter with no route protects every path, as the
         * one who installed the filter asked.
         *
         * @return this builder
         */
        public Builder onlyMarked() {
            this.onlyMarked = true;
            return this;
        }

        /**
         * Sets how the caller (part of the scope) is identified. When it answers
         * {@code null} (no principal), the caller is a keyed hash of the request's
         * {@linkplain #credentialHeaders(String...) credential headers}; a keyed request
         * with none of them is refused unless {@linkplain #allowAnonymous(boolean) allowed}.
         *
         * @param resolver the resolver; default {@link CallerResolver#PRINCIPAL}
         * @return this builder
         */
        public Builder callerResolver(CallerResolver resolver) {
            this.callerResolver = Objects.requireNonNull(resolver, "callerResolver");
            return this;
        }

        /**
         * Sets the request headers that carry a caller's credentials (an API key header, for
         * instance): for a request without a principal, the caller is a hash of their values,
         * so that two clients with different credentials never see each other's responses.
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
         * Sets the secret under which credentials are hashed into a caller (HMAC-SHA256).
         * Every instance of the application must use the same secret (a retry may reach
         * another instance). Without one, credentials are hashed with plain SHA-256, which
         * every instance agrees on too, but which lets someone who reads the store test
         * guesses of low-entropy credentials (a Basic password) offline.
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
         * accepted. Such callers cannot be told apart, so they all share one scope: one
         * anonymous client's retry can be answered with another's stored response. Off by
         * default: they get a 400 problem
         * ({@link IdempotencyProblem#CREDENTIALS_REQUIRED}); turn it on only for demos and
         * for applications whose responses hold nothing caller-specific.
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
         * @param normalizer default {@link JsonBodyNormalizer#create()} (semantic JSON,
         *     other types byte for byte); {@link BodyNormalizer#RAW} compares bytes
         * @return this builder
         */
        public Builder bodyNormalizer(BodyNormalizer normalizer) {
            this.bodyNormalizer = Objects.requireNonNull(normalizer, "bodyNormalizer");
            return this;
        }

        /**
         * Sets the header that carries the key.
         *
         * @param name default {@value IdempotencyFilter#DEFAULT_HEADER_NAME}
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
         * Sets the request headers that are part of the fingerprint (a retry must send the
         * same values).
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
         * Sets the largest request body accepted with a key; larger ones get 413 without
         * running the handler (the body is kept in memory to fingerprint it).
         *
         * @param bytes positive; default {@value IdempotencyFilter#DEFAULT_MAX_BODY_BYTES}
         * @return this builder
         */
        public Builder maxRequestBodyBytes(int bytes) {
            this.maxRequestBodyBytes = positive(bytes, "maxRequestBodyBytes");
            return this;
        }

        /**
         * Sets the largest response body stored for replay. A larger response is still
         * sent in full and its record completed (the handler never runs twice); its replay
         * has the original status and headers, an empty body and
         * {@code Idempotent-Body-Retained: false}.
         *
         * @param bytes positive; default {@value IdempotencyFilter#DEFAULT_MAX_BODY_BYTES}
         * @return this builder
         */
        public Builder maxCapturedBodyBytes(int bytes) {
            this.maxCapturedBodyBytes = positive(bytes, "maxCapturedBodyBytes");
            return this;
        }

        /**
         * Adds response headers that are never stored (nor replayed), on top of
         * {@link IdempotencyFilter#DEFAULT_EXCLUDED_RESPONSE_HEADERS}.
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
         * still runs (never longer than what remains of its lease). Short, so clients come
         * back soon and get the replay.
         *
         * @param retryAfter at least 1 s (the header counts whole seconds); default
         *     {@link IdempotencyFilter#DEFAULT_IN_PROGRESS_RETRY_AFTER} (1 s)
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
         * Runs an interceptor around the handling of every protected request (a trace span,
         * say). Setting one again replaces the previous one; {@code null} removes it.
         *
         * @param interceptor the interceptor, or {@code null} for none (the default)
         * @return this builder
         */
        public Builder interceptor(ProtectedRequestInterceptor interceptor) {
            this.interceptor = interceptor;
            return this;
        }

        /**
         * Builds the filter.
         *
         * @return the filter
         */
        public IdempotencyFilter build() {
            return new IdempotencyFilter(this);
        }
    }
}
