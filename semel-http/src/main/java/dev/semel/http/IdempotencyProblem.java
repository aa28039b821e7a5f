package dev.semel.http;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import tools.jackson.core.JsonEncoding;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The situations in which a Semel HTTP adapter (the Servlet filter, the WebFlux filter)
 * answers instead of the application, each an RFC 9457 problem ({@code application/problem+json}) with a stable
 * {@link #type() type} URI that clients can switch on.
 *
 * <p>Every problem body has {@code type}, {@code title}, {@code status}, {@code detail},
 * {@code instance} (the request path) and, when a key was readable, the key in the
 * extension member {@code idempotencyKey}. Problems never carry stack traces.
 *
 * <pre>{@code
 * HTTP/1.1 409 Conflict
 * Content-Type: application/problem+json
 * Retry-After: 3
 *
 * {"type":"https://semel.dev/problems/request-in-progress","title":"Request in progress",
 *  "status":409,"detail":"A request with this idempotency key is still being processed",
 *  "instance":"/payments","idempotencyKey":"order-7"}
 * }</pre>
 */
public enum IdempotencyProblem {
    /** 400: the route requires a key and the request has none. */
    KEY_MISSING(400, "idempotency-key-missing", "Idempotency key missing"),
    /** 400: the key header is empty, too long, not printable ASCII, a list, or sent twice. */
    KEY_MALFORMED(400, "idempotency-key-malformed", "Idempotency key malformed"),
    /**
     * 400: a keyed request with neither a principal nor a credential header, on a filter that
     * does not allow anonymous callers (their responses could not be kept apart).
     */
    CREDENTIALS_REQUIRED(400, "credentials-required", "Credentials required for an idempotent request"),
    /** 400: the JSON body of a keyed request nests deeper than the normalizer's limit. */
    JSON_TOO_DEEP(400, "json-too-deep", "JSON body nested too deeply"),
    /** 400: the JSON body of a keyed request has a number longer than the normalizer's limit. */
    JSON_NUMBER_TOO_LONG(400, "json-number-too-long", "JSON number too long"),
    /** 409: another request with this key is running; {@code Retry-After} says when to retry. */
    IN_PROGRESS(409, "request-in-progress", "Request in progress"),
    /** 413: the body of a request with a key is larger than the filter's request body limit. */
    REQUEST_TOO_LARGE(413, "request-too-large", "Request too large for an idempotent request"),
    /** 422: the key was already used with another method, target, headers or body. */
    KEY_REUSED(422, "idempotency-key-reused", "Idempotency key reused with a different request"),
    /** 503: the idempotency store cannot be reached; the request was not run. */
    STORE_UNAVAILABLE(503, "store-unavailable", "Idempotency store unavailable"),
    /**
     * 503: in transactional mode the request ran but its transaction did not commit
     * (rollback-only, a deferred constraint, a serialization failure): nothing of it was kept,
     * the key is free again, and {@code Retry-After} says when to retry.
     */
    COMMIT_FAILED(503, "commit-failed", "Transaction not committed"),
    /**
     * 502: a gateway could not send the request to its upstream (connection refused, connect
     * timeout, unknown host): the upstream did nothing, the key is free again, and
     * {@code Retry-After} says when to retry.
     */
    UPSTREAM_UNREACHABLE(502, "upstream-unreachable", "Upstream unreachable"),
    /**
     * 502: a gateway sent the request but no complete response came back (the connection was
     * closed or reset): the upstream may have acted. It is an upstream 5xx outcome: stored or
     * released as the outcome policy says.
     */
    UPSTREAM_FAILED(502, "upstream-failed", "Upstream failed to answer"),
    /**
     * 504: a gateway sent the request and the upstream's response did not come within the
     * route's response timeout: the upstream may have acted (it may still be working). Like
     * {@link #UPSTREAM_FAILED}, an upstream 5xx outcome: stored or released as the outcome policy
     * says.
     */
    UPSTREAM_TIMEOUT(504, "upstream-timeout", "Upstream timed out");

    /** The media type of every problem. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /** Prefix of every problem {@code type}. */
    public static final String TYPE_PREFIX = "https://semel.dev/problems/";

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final int status;
    private final URI type;
    private final String title;

    IdempotencyProblem(int status, String slug, String title) {
        this.status = status;
        this.type = URI.create(TYPE_PREFIX + slug);
        this.title = title;
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the stable problem type URI */
    public URI type() {
        return type;
    }

    /** @return the short, stable human-readable summary */
    public String title() {
        return title;
    }

    /**
     * Renders the problem body.
     *
     * @param detail what happened in this occurrence
     * @param instance the request path, may be {@code null}
     * @param key the idempotency key, may be {@code null}
     * @return UTF-8 JSON
     */
    public byte[] toJson(String detail, String instance, String key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringProperty("type", type.toString());
            g.writeStringProperty("title", title);
            g.writeNumberProperty("status", status);
            if (detail != null) {
                g.writeStringProperty("detail", detail);
            }
            if (instance != null) {
                g.writeStringProperty("instance", instance);
            }
            if (key != null) {
                g.writeStringProperty("idempotencyKey", key);
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * The {@code Retry-After} value for a wait: whole seconds, rounded up, at least 1.
     *
     * @param retryAfter when to retry
     * @return the header value
     */
    public static String retryAfterSeconds(Duration retryAfter) {
        return Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000));
    }
}
