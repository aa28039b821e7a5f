package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Lease;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p>With a {@link TransactionalIdempotencyStore} the request runs inside the engine's
 * transaction so the record commits with the application's writes (synchronous requests
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

    private static final System.Logger LOG = System.getLogger(IdempotencyFilter.class.getName());

    private final Idempotency engine;
    private final Map<PathPattern, IdempotentRoute> routes;
    private final RouteResolver routeResolver;
    private final CallerScoping callers;
    private final BodyNormalizer bodyNormalizer;
    private final String headerName;
    private final List<String> fingerprintHeaders;
    private final int maxRequestBodyBytes;
    private final int maxCapturedBodyBytes;
    private final Set<String> excludedResponseHeaders;
    private final boolean transactional;
    private final Duration inProgressRetryAfter;
    private final ProtectedRequestInterceptor interceptor;

    private IdempotencyFilter(Builder b) {
        this.engine = b.engine;
        this.routes = b.routes.isEmpty() && !b.onlyMarked
                ? Map.of(PathPattern.compile("/**"), IdempotentRoute.DEFAULTS)
                : Collections.unmodifiableMap(new LinkedHashMap<>(b.routes));
        this.routeResolver = b.routeResolver;
        this.callers = new CallerScoping(b.callerResolver, b.credentialHeaders, b.callerSecret, b.allowAnonymous);
        this.bodyNormalizer = b.bodyNormalizer;
        this.headerName = b.headerName;
        this.fingerprintHeaders = List.copyOf(b.fingerprintHeaders);
        this.maxRequestBodyBytes = b.maxRequestBodyBytes;
        this.maxCapturedBodyBytes = b.maxCapturedBodyBytes;
        this.excludedResponseHeaders = Set.copyOf(b.excludedResponseHeaders);
        this.transactional = engine.completesInStoreTransaction();
        this.inProgressRetryAfter = b.inProgressRetryAfter;
        this.interceptor = b.interceptor;
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
        String instance = request.getRequestURI();
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parse(keyHeaders);
        } catch (InvalidIdempotencyKeyException e) {
            engine.rejected(null);
            IdempotencyProblem problem = e.reason() == InvalidIdempotencyKeyException.Reason.MISSING
                    ? IdempotencyProblem.KEY_MISSING : IdempotencyProblem.KEY_MALFORMED;
            String detail = problem == IdempotencyProblem.KEY_MISSING
                    ? "This endpoint requires an " + headerName + " header" : e.getMessage();
            problem.write(response, detail, instance, null, null);
            return;
        }
        CallerScoping.Caller caller = callers.caller(request);
        if (caller.refused()) {
            engine.rejected(key);
            IdempotencyProblem.CREDENTIALS_REQUIRED.write(response, "A request with an " + headerName
                    + " header must identify its caller (" + String.join(", ", callers.credentialHeaders())
                    + "): without a credential, another anonymous client could be sent this request's response",
                    instance, key.value(), null);
            return;
        }
        byte[] body = readBody(request);
        if (body == null) {
            engine.rejected(key);
            IdempotencyProblem.REQUEST_TOO_LARGE.write(response,
                    "The request body exceeds " + maxRequestBodyBytes + " bytes, the limit for idempotent requests",
                    instance, key.value(), null);
            return;
        }
        Fingerprint fingerprint;
        try {
            fingerprint = FingerprintParts.of(request, body, fingerprintHeaders, bodyNormalizer);
        } catch (JsonLimitExceededException e) {
            engine.rejected(key);
            IdempotencyProblem problem = e.limit() == JsonLimitExceededException.Limit.NESTING_DEPTH
                    ? IdempotencyProblem.JSON_TOO_DEEP : IdempotencyProblem.JSON_NUMBER_TOO_LONG;
            problem.write(response, e.getMessage() + ", the limit for idempotent requests", instance, key.value(),
                    null);
            return;
        }
        Scope scope = Scope.of(caller.id(), request.getMethod() + " " + routeResolver.routeTemplate(request));
        if (transactional) {
            executeInTransaction(request, response, chain, route, scope, key, fingerprint, body);
            return;
        }
        Decision decision;
        try {
            decision = engine.begin(scope, key, fingerprint, route.callOptions());
        } catch (IdempotencyStoreException e) {
            storeUnavailable(response, instance, key, e);
            return;
        }
        if (decision instanceof Decision.Execute execute) {
            run(request, response, chain, execute.lease(), body);
        } else {
            answerDuplicate(response, (Outcome) decision, instance, key);
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

    /** Reads the whole body, or returns {@code null} when it is over the limit. */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxRequestBodyBytes) {
            return null;
        }
        try (InputStream in = request.getInputStream()) {
            if (declared >= 0) {
                // the usual case: read exactly the declared bytes into their own array, no copies
                byte[] body = in.readNBytes((int) declared);
                int next = body.length < declared ? -1 : in.read();
                if (next == -1) {
                    return body; // a shorter body than declared is the container's to report
                }
                // more than declared (a lenient container): keep reading, within the limit
                ByteArrayOutputStream out = new ByteArrayOutputStream(body.length * 2 + 1);
                out.write(body);
                out.write(next);
                return readRest(in, out);
            }
            return readRest(in, new ByteArrayOutputStream(256));
        }
    }

    private byte[] readRest(InputStream in, ByteArrayOutputStream out) throws IOException {
        if (out.size() > maxRequestBodyBytes) {
            return null;
        }
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) != -1) {
            if (out.size() + n > maxRequestBodyBytes) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------ executing

    private void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Lease lease,
            byte[] body) throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes);
        // every way the request ends ends the lease once (see LeaseEnding); an async response is
        // stored when the application completes it, before the container sends its end to the
        // client (FinishingAsyncContext), or else when the container reports it
        LeaseEnding ending = new LeaseEnding(lease, capture, before, excludedResponseHeaders,
                () -> handlerNotRun(request));
        AsyncListener asyncListener = new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                ending.finished();
            }

            @Override
            public void onError(AsyncEvent event) {
                ending.failed(event.getThrowable());
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                // the container answers (500 by default) and completes, while the worker may run on
                ending.timedOut();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                event.getAsyncContext().addListener(this);
            }
        };
        // an async request started here ends through the application's AsyncContext.complete():
        // store first, then let the container have the Content-Length (and so the end)
        Runnable beforeAsyncComplete = () -> {
            ending.finished();
            capture.sendContentLength();
        };
        CachedBodyRequest wrapped = new CachedBodyRequest(request, body, capture, asyncListener,
                beforeAsyncComplete);
        try {
            chain.doFilter(wrapped, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            ending.failed(e);
            throw e;
        }
        if (wrapped.asyncStartedHere()) {
            return; // the listener ends the lease when the async request completes
        }
        if (request.isAsyncStarted()) {
            // started on the unwrapped request (by an outer component): follow it too
            capture.stopDeferring();
            capture.sendContentLength(); // no hook before that request's end: it is stored when it ends
            request.getAsyncContext().addListener(asyncListener);
            return;
        }
        ending.finished();
        capture.sendDeferred();
    }

    private static boolean handlerNotRun(HttpServletRequest request) {
        return Boolean.TRUE.equals(request.getAttribute(HANDLER_NOT_RUN_ATTRIBUTE));
    }

    /** Unwinds the transaction of a request whose handler never ran; its answer is sent, not stored. */
    private static final class HandlerNotRun extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HandlerNotRun() {
            super(null, null, false, false);
        }
    }

    private void executeInTransaction(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            IdempotentRoute route, Scope scope, IdempotencyKey key, Fingerprint fingerprint, byte[] body)
            throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        // nothing reaches the client before the commit: a flush (Spring's converters flush) would
        // send a 2xx for writes that a failing commit then rolls back
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes, true);
        AtomicBoolean ran = new AtomicBoolean();
        AsyncListener refuse = new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
            }

            @Override
            public void onTimeout(AsyncEvent event) {
            }

            @Override
            public void onError(AsyncEvent event) {
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        };
        CachedBodyRequest wrapped = new CachedBodyRequest(request, body, capture, refuse, () -> { });
        Outcome outcome;
        try {
            outcome = engine.execute(scope, key, fingerprint, route.callOptions(), lease -> {
                ran.set(true);
                chain.doFilter(wrapped, capture);
                if (wrapped.asyncStartedHere() || request.isAsyncStarted()) {
                    throw new IllegalStateException("Async requests cannot run under a transactional idempotency "
                            + "store: the transaction would commit before the response is complete");
                }
                if (handlerNotRun(request)) {
                    throw new HandlerNotRun(); // roll back: the claim goes, the answer is sent below
                }
                return capture.snapshot(before, excludedResponseHeaders);
            });
        } catch (HandlerNotRun e) {
            capture.sendDeferred();
            return;
        } catch (IdempotencyStoreException e) {
            if (!response.isCommitted()) {
                response.reset(); // the transaction rolled back: what the handler wrote did not happen
            }
            if (ran.get()) {
                rolledBack(response, request.getRequestURI(), key, e);
            } else {
                storeUnavailable(response, request.getRequestURI(), key, e);
            }
            return;
        } catch (IOException | ServletException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ServletException(e);
        }
        if (outcome instanceof Outcome.Executed) {
            capture.sendDeferred();
        } else {
            if (ran.get() && !response.isCommitted()) {
                response.reset(); // rolled back (the lease was lost): drop what the handler set
            }
            answerDuplicate(response, outcome, request.getRequestURI(), key);
        }
    }

    // ------------------------------------------------------------ answering

    private void answerDuplicate(HttpServletResponse response, Outcome outcome, String instance, IdempotencyKey key)
            throws IOException {
        if (outcome instanceof Decision.Replay replay) {
            replay(response, replay.response());
        } else if (outcome instanceof Decision.InProgress inProgress) {
            // the remaining lease (up to 30 s) would outlast most clients' deadlines
            Duration retryAfter = inProgress.retryAfter().compareTo(inProgressRetryAfter) < 0
                    ? inProgress.retryAfter() : inProgressRetryAfter;
            IdempotencyProblem.IN_PROGRESS.write(response,
                    "A request with this idempotency key is still being processed; retry later",
                    instance, key.value(), retryAfter);
        } else if (outcome instanceof Decision.Mismatch) {
            IdempotencyProblem.KEY_REUSED.write(response,
                    "This idempotency key was already used for a different request (method, target, headers or "
                            + "body differ); use a new key for a new request",
                    instance, key.value(), null);
        }
    }

    private void storeUnavailable(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        Duration retryAfter = e.retryAfter().orElse(engine.config().storeFailureRetryAfter());
        LOG.log(System.Logger.Level.WARNING, "Refused idempotency key ''{0}'': the store is unavailable", key, e);
        if (response.isCommitted()) {
            return;
        }
        IdempotencyProblem.STORE_UNAVAILABLE.write(response,
                "The idempotency store is unavailable, so the request was not processed; retry later",
                instance, key.value(), retryAfter);
    }

    /** The transaction did not commit (rollback-only, a deferred constraint, a serialization failure). */
    private void rolledBack(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        Duration retryAfter = e.retryAfter().orElse(engine.config().storeFailureRetryAfter());
        LOG.log(System.Logger.Level.WARNING, "Idempotency key ''{0}'': the transaction did not commit; "
                + "answered 503, the request's writes were rolled back", key, e);
        if (response.isCommitted()) {
            return;
        }
        IdempotencyProblem.COMMIT_FAILED.write(response,
                "The request's transaction could not commit, so nothing of it was kept; retry later",
                instance, key.value(), retryAfter);
    }

    private static void replay(HttpServletResponse response, StoredResponse stored) throws IOException {
        String sendError = null;
        String sendRedirect = null;
        List<StoredResponse.Header> headers = new ArrayList<>();
        for (StoredResponse.Header h : stored.headers()) {
            if (h.name().equals(CapturingResponse.SEND_ERROR)) {
                sendError = h.value();
            } else if (h.name().equals(CapturingResponse.SEND_REDIRECT)) {
                sendRedirect = h.value();
            } else {
                headers.add(h);
            }
        }
        response.setStatus(stored.status());
        for (StoredResponse.Header h : headers) {
            if (h.name().equalsIgnoreCase("Content-Type")) {
                response.setContentType(h.value());
            } else {
                response.addHeader(h.name(), h.value());
            }
        }
        response.setHeader(REPLAYED_HEADER, "true");
        if (sendError != null || sendRedirect != null) {
            CapturingResponse.sendAgain(response, stored.status(), sendError, sendRedirect);
            return;
        }
        if (!stored.bodyRetained()) {
            response.setHeader(BODY_RETAINED_HEADER, "false");
            response.setContentLength(0);
            return;
        }
        response.setContentLength(stored.bodyLength());
        if (stored.bodyLength() > 0) {
            stored.writeBodyTo(response.getOutputStream());
        }
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
