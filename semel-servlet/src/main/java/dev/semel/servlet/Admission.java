package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Scope;
import dev.semel.http.IdempotencyProblem;
import dev.semel.http.JsonLimitExceededException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Decides whether a keyed request may reach the engine, and with what: its key, its scope,
 * its body (read once, within the limit) and its fingerprint. A request that may not is
 * refused with its problem (400 for the key, the caller or the JSON limits, 413 for the body)
 * and reported to the engine's listener as rejected; nothing is claimed for it.
 */
final class Admission {
    private final Idempotency engine;
    private final String headerName;
    private final CallerScoping callers;
    private final RouteResolver routeResolver;
    private final List<String> fingerprintHeaders;
    private final BodyNormalizer bodyNormalizer;
    private final int maxRequestBodyBytes;

    Admission(Idempotency engine, String headerName, CallerScoping callers, RouteResolver routeResolver,
            List<String> fingerprintHeaders, BodyNormalizer bodyNormalizer, int maxRequestBodyBytes) {
        this.engine = engine;
        this.headerName = headerName;
        this.callers = callers;
        this.routeResolver = routeResolver;
        this.fingerprintHeaders = List.copyOf(fingerprintHeaders);
        this.bodyNormalizer = bodyNormalizer;
        this.maxRequestBodyBytes = maxRequestBodyBytes;
    }

    /** What admission decided: an {@link Admitted} request, or a {@link Refused} one. */
    sealed interface Verdict permits Admitted, Refused {
    }

    /**
     * A request the engine may claim.
     *
     * @param key its key
     * @param scope its caller, method and route template
     * @param fingerprint what a retry must repeat
     * @param body the body, read in full (the application reads it again from memory)
     */
    record Admitted(IdempotencyKey key, Scope scope, Fingerprint fingerprint, byte[] body) implements Verdict {
    }

    /**
     * A request answered with a problem, without claiming its key.
     *
     * @param problem the problem
     * @param detail its detail
     * @param key the key, or {@code null} when it was missing or malformed
     */
    record Refused(IdempotencyProblem problem, String detail, IdempotencyKey key) implements Verdict {
        void writeTo(HttpServletRequest request, HttpServletResponse response) throws IOException {
            boolean swallow = request.getContentLengthLong() <= MAX_SWALLOW_BYTES
                    && request.getHeader("Expect") == null; // a client waiting for 100 sends no body
            if (!swallow) {
                // the body stays unread: the next request on this connection would start in it
                response.setHeader("Connection", "close");
            }
            ProblemWriter.write(response, problem, detail, request.getRequestURI(),
                    key == null ? null : key.value(), null);
            if (swallow) {
                response.flushBuffer(); // the answer first: a client may wait for it before sending more
                swallow(request);
            }
        }
    }

    /**
     * The most of a refused request's unread body read and dropped after answering, as Tomcat's
     * default {@code maxSwallowSize} does (Jetty does not): a client still sending its body when
     * the server closes the connection gets a reset, and with it loses the answer. A longer
     * body ends the connection.
     */
    static final long MAX_SWALLOW_BYTES = 2L * 1024 * 1024;

    /** Reads and drops what is left of the body, up to {@link #MAX_SWALLOW_BYTES} (the container ends a longer one). */
    private static void swallow(HttpServletRequest request) {
        try {
            InputStream in = request.getInputStream();
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while (total <= MAX_SWALLOW_BYTES && (n = in.read(buffer)) != -1) {
                total += n;
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away (or a reader was taken): the container ends the connection
        }
    }

    /**
     * Admits or refuses a request (a refusal is reported to the engine's listener).
     *
     * @param keyHeaders the values of the key header, possibly none (a route that requires a key)
     */
    Verdict admit(HttpServletRequest request, List<String> keyHeaders) throws IOException {
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parse(keyHeaders);
        } catch (InvalidIdempotencyKeyException e) {
            if (e.reason() == InvalidIdempotencyKeyException.Reason.MISSING) {
                return refuse(IdempotencyProblem.KEY_MISSING, "This endpoint requires an " + headerName + " header",
                        null);
            }
            return refuse(IdempotencyProblem.KEY_MALFORMED, e.getMessage(), null);
        }
        CallerScoping.Caller caller = callers.caller(request);
        if (caller.refused()) {
            return refuse(IdempotencyProblem.CREDENTIALS_REQUIRED, "A request with an " + headerName
                    + " header must identify its caller (" + String.join(", ", callers.credentialHeaders())
                    + "): without a credential, another anonymous client could be sent this request's response",
                    key);
        }
        byte[] body = readBody(request);
        if (body == null) {
            return refuse(IdempotencyProblem.REQUEST_TOO_LARGE,
                    "The request body exceeds " + maxRequestBodyBytes + " bytes, the limit for idempotent requests",
                    key);
        }
        Fingerprint fingerprint;
        try {
            fingerprint = FingerprintParts.of(request, body, fingerprintHeaders, bodyNormalizer);
        } catch (JsonLimitExceededException e) {
            IdempotencyProblem problem = e.limit() == JsonLimitExceededException.Limit.NESTING_DEPTH
                    ? IdempotencyProblem.JSON_TOO_DEEP : IdempotencyProblem.JSON_NUMBER_TOO_LONG;
            return refuse(problem, e.getMessage() + ", the limit for idempotent requests", key);
        }
        Scope scope = Scope.of(caller.id(), request.getMethod() + " " + routeResolver.routeTemplate(request));
        return new Admitted(key, scope, fingerprint, body);
    }

    private Refused refuse(IdempotencyProblem problem, String detail, IdempotencyKey key) {
        engine.rejected(key);
        return new Refused(problem, detail, key);
    }

    /** Reads the whole body, or returns {@code null} when it is over the limit. */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxRequestBodyBytes) {
            return null;
        }
        // not closed: a refused body's rest is read and dropped after the answer (Refused.writeTo)
        InputStream in = request.getInputStream();
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
}
