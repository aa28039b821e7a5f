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
import dev.semel.LeaseLostException;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.StoredResponse;
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
 * malformed key, 409 with {@code Retry-After} while the first request still runs,
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
 * <p>The scope of a key is the caller ({@link CallerResolver}), the method and the route
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
    private final CallerResolver callerResolver;
    private final BodyNormalizer bodyNormalizer;
    private final String headerName;
    private final List<String> fingerprintHeaders;
    private final int maxRequestBodyBytes;
    private final int maxCapturedBodyBytes;
    private final Set<String> excludedResponseHeaders;
    private final boolean transactional;

    private IdempotencyFilter(Builder b) {
        this.engine = b.engine;
        this.routes = b.routes.isEmpty()
                ? Map.of(PathPattern.compile("/**"), IdempotentRoute.DEFAULTS)
                : Collections.unmodifiableMap(new LinkedHashMap<>(b.routes));
        this.routeResolver = b.routeResolver;
        this.callerResolver = b.callerResolver;
        this.bodyNormalizer = b.bodyNormalizer;
        this.headerName = b.headerName;
        this.fingerprintHeaders = List.copyOf(b.fingerprintHeaders);
        this.maxRequestBodyBytes = b.maxRequestBodyBytes;
        this.maxCapturedBodyBytes = b.maxCapturedBodyBytes;
        this.excludedResponseHeaders = Set.copyOf(b.excludedResponseHeaders);
        this.transactional = engine.store() instanceof TransactionalIdempotencyStore;
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
        String instance = request.getRequestURI();
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parse(keyHeaders);
        } catch (InvalidIdempotencyKeyException e) {
            engine.emit(IdempotencyEvent.of(IdempotencyEvent.Type.REJECTED, null, null, Duration.ZERO));
            IdempotencyProblem problem = e.reason() == InvalidIdempotencyKeyException.Reason.MISSING
                    ? IdempotencyProblem.KEY_MISSING : IdempotencyProblem.KEY_MALFORMED;
            String detail = problem == IdempotencyProblem.KEY_MISSING
                    ? "This endpoint requires an " + headerName + " header" : e.getMessage();
            problem.write(response, detail, instance, null, null);
            return;
        }
        byte[] body = readBody(request);
        if (body == null) {
            engine.emit(IdempotencyEvent.of(IdempotencyEvent.Type.REJECTED, null, key, Duration.ZERO));
            IdempotencyProblem.REQUEST_TOO_LARGE.write(response,
                    "The request body exceeds " + maxRequestBodyBytes + " bytes, the limit for idempotent requests",
                    instance, key.value(), null);
            return;
        }
        Scope scope = Scope.of(callerResolver.caller(request),
                request.getMethod() + " " + routeResolver.routeTemplate(request));
        Fingerprint fingerprint = fingerprint(request, body);
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
        String path = PathPattern.pathWithinApplication(request);
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

    private Fingerprint fingerprint(HttpServletRequest request, byte[] body) {
        String query = request.getQueryString();
        Fingerprint.Builder fp = Fingerprint.builder()
                .add("method", request.getMethod())
                .add("target", request.getRequestURI() + (query == null ? "" : "?" + query));
        for (String name : fingerprintHeaders) {
            List<String> values = Collections.list(request.getHeaders(name));
            fp.add("header:" + name, values.isEmpty() ? null : normalizeHeader(String.join(",", values)));
        }
        byte[] canonical;
        try {
            canonical = bodyNormalizer.normalize(request.getContentType(), body);
        } catch (IllegalArgumentException e) {
            canonical = body; // not what its type says: compare bytes; the application answers it
        }
        return fp.add("body", canonical).build();
    }

    /** Media-type-like values compare case-insensitively and without optional whitespace. */
    private static String normalizeHeader(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != ' ' && c != '\t') {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    // ------------------------------------------------------------ executing

    private void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Lease lease,
            byte[] body) throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes);
        AtomicBoolean ended = new AtomicBoolean();
        // an async response is stored when the application completes it, before the container
        // sends its end to the client (FinishingAsyncContext), or else when the container reports it
        Runnable finishOnce = () -> {
            if (ended.compareAndSet(false, true)) {
                if (handlerNotRun(request)) {
                    release(lease, null);
                } else {
                    finish(lease, capture, before);
                }
            }
        };
        AsyncListener asyncListener = new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                finishOnce.run();
            }

            @Override
            public void onError(AsyncEvent event) {
                if (ended.compareAndSet(false, true)) {
                    release(lease, event.getThrowable());
                }
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                // the container answers (500 by default) and completes; onComplete decides
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                event.getAsyncContext().addListener(this);
            }
        };
        // an async request started here ends through the application's AsyncContext.complete():
        // store first, then let the container have the Content-Length (and so the end)
        Runnable beforeAsyncComplete = () -> {
            finishOnce.run();
            capture.sendContentLength();
        };
        CachedBodyRequest wrapped = new CachedBodyRequest(request, body, capture, asyncListener,
                beforeAsyncComplete);
        try {
            chain.doFilter(wrapped, capture);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            if (ended.compareAndSet(false, true)) {
                release(lease, e);
            }
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
        finishOnce.run();
        capture.sendDeferred();
    }

    private void finish(Lease lease, CapturingResponse capture, List<StoredResponse.Header> before) {
        try {
            lease.finish(capture.snapshot(before, excludedResponseHeaders));
        } catch (LeaseLostException e) {
            LOG.log(System.Logger.Level.WARNING, "The response to idempotency key ''{0}'' was sent but not stored: "
                    + "the lease was taken over while the request ran (raise the lease duration?)", lease.key(), e);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "The response to idempotency key ''{0}'' was sent but could not be "
                    + "stored; a retry after the lease ends runs the request again", lease.key(), e);
        }
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

    private static void release(Lease lease, Throwable failure) {
        try {
            if (lease.isActive()) {
                lease.release();
            }
        } catch (RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.log(System.Logger.Level.WARNING, "Could not release idempotency key ''{0}''", lease.key(), e);
            }
        }
    }

    private void executeInTransaction(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
            IdempotentRoute route, Scope scope, IdempotencyKey key, Fingerprint fingerprint, byte[] body)
            throws IOException, ServletException {
        List<StoredResponse.Header> before = CapturingResponse.headersOf(response);
        CapturingResponse capture = new CapturingResponse(response, maxCapturedBodyBytes);
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
            storeUnavailable(response, request.getRequestURI(), key, e);
            return;
        } catch (IOException | ServletException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ServletException(e);
        }
        if (outcome instanceof Outcome.Executed) {
            capture.sendDeferred();
        } else {
            answerDuplicate(response, outcome, request.getRequestURI(), key);
        }
    }

    // ------------------------------------------------------------ answering

    private void answerDuplicate(HttpServletResponse response, Outcome outcome, String instance, IdempotencyKey key)
            throws IOException {
        if (outcome instanceof Decision.Replay replay) {
            replay(response, replay.response());
        } else if (outcome instanceof Decision.InProgress inProgress) {
            IdempotencyProblem.IN_PROGRESS.write(response,
                    "A request with this idempotency key is still being processed; retry later",
                    instance, key.value(), inProgress.retryAfter());
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
        private BodyNormalizer bodyNormalizer = JsonBodyNormalizer.create();
        private String headerName = DEFAULT_HEADER_NAME;
        private List<String> fingerprintHeaders = List.of("Content-Type");
        private int maxRequestBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxCapturedBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private final Set<String> excludedResponseHeaders = new TreeSet<>(DEFAULT_EXCLUDED_RESPONSE_HEADERS);

        private Builder(Idempotency engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
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
         * Sets how the caller (part of the scope) is identified.
         *
         * @param resolver the resolver; default {@link CallerResolver#PRINCIPAL}
         * @return this builder
         */
        public Builder callerResolver(CallerResolver resolver) {
            this.callerResolver = Objects.requireNonNull(resolver, "callerResolver");
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
        public IdempotencyFilter build() {
            return new IdempotencyFilter(this);
        }
    }
}
