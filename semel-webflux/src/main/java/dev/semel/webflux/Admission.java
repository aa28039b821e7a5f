package dev.semel.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Scope;
import dev.semel.http.IdempotencyProblem;
import dev.semel.http.JsonLimitExceededException;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Decides whether a keyed request may reach the engine, and with what: its key, its scope,
 * its body (read once, within the limit) and its fingerprint. A request that may not is
 * refused with its problem (400 for the key, the caller or the JSON limits, 413 for the body)
 * and reported to the engine's listener as rejected; nothing is claimed for it. The checks and
 * their order are the Servlet filter's.
 */
final class Admission {
    /** Spring Security's anonymous authentication, named so that this module does not need Spring Security. */
    static final String ANONYMOUS_AUTHENTICATION =
            "org.springframework.security.authentication.AnonymousAuthenticationToken";

    private final Idempotency engine;
    private final String headerName;
    private final CallerScoping callers;
    private final List<String> fingerprintHeaders;
    private final BodyNormalizer bodyNormalizer;
    private final int maxRequestBodyBytes;

    Admission(Idempotency engine, String headerName, CallerScoping callers, List<String> fingerprintHeaders,
            BodyNormalizer bodyNormalizer, int maxRequestBodyBytes) {
        this.engine = engine;
        this.headerName = headerName;
        this.callers = callers;
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

    /** How much of a refused request's body the filter read. */
    enum BodyRead {
        /** All of it: the next request on the connection starts right after it. */
        ALL,
        /** None yet (refused before the body): it is read and dropped before the answer. */
        NONE,
        /** Part of it, then reading stopped (past {@link #MAX_SWALLOW_BYTES}): the connection must end. */
        PART
    }

    /**
     * A request answered with a problem, without claiming its key.
     *
     * @param problem the problem
     * @param detail its detail
     * @param key the key, or {@code null} when it was missing or malformed
     * @param body how much of its body was read
     */
    record Refused(IdempotencyProblem problem, String detail, IdempotencyKey key, BodyRead body) implements Verdict {
        Mono<Void> writeTo(ServerWebExchange exchange) {
            Mono<Boolean> wholeBodyRead = switch (body) {
                case ALL -> Mono.just(true);
                case PART -> Mono.just(false);
                case NONE -> swallow(exchange.getRequest());
            };
            return wholeBodyRead.flatMap(whole -> {
                if (!whole) {
                    // the rest of the body is unread: the next request on this connection would
                    // start in the middle of it, so the connection ends after the answer
                    exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
                }
                return Problems.write(exchange, problem, detail, key, null);
            });
        }
    }

    /**
     * The most of a refused request's body read and dropped before answering (as Tomcat's
     * {@code maxSwallowSize}): a client still sending its body when the server closes the
     * connection gets a reset, and with it loses the answer. A longer body ends the connection.
     */
    static final long MAX_SWALLOW_BYTES = 2L * 1024 * 1024;

    /** Reads and drops a body not read yet, up to {@link #MAX_SWALLOW_BYTES}; {@code true} if all of it was. */
    private static Mono<Boolean> swallow(ServerHttpRequest request) {
        if (request.getHeaders().getContentLength() > MAX_SWALLOW_BYTES) {
            return Mono.just(false);
        }
        return request.getBody()
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release)
                .reduce(0L, (read, buffer) -> {
                    long total = read + buffer.readableByteCount();
                    DataBufferUtils.release(buffer);
                    if (total > MAX_SWALLOW_BYTES) {
                        throw new DataBufferLimitException("over " + MAX_SWALLOW_BYTES + " bytes");
                    }
                    return total;
                })
                .map(total -> true)
                .defaultIfEmpty(true)
                .onErrorResume(e -> Mono.just(false)); // too long, or the client went away: end the connection
    }

    /**
     * Admits or refuses a request (a refusal is reported to the engine's listener).
     *
     * @param keyHeaders the values of the key header, possibly none (a route that requires a key)
     * @param routeTemplate the route template, part of the scope
     */
    Mono<Verdict> admit(ServerWebExchange exchange, List<String> keyHeaders, String routeTemplate) {
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parse(keyHeaders);
        } catch (InvalidIdempotencyKeyException e) {
            if (e.reason() == InvalidIdempotencyKeyException.Reason.MISSING) {
                return Mono.just(refuse(IdempotencyProblem.KEY_MISSING,
                        "This endpoint requires an " + headerName + " header", null));
            }
            return Mono.just(refuse(IdempotencyProblem.KEY_MALFORMED, e.getMessage(), null));
        }
        ServerHttpRequest request = exchange.getRequest();
        return exchange.getPrincipal()
                // Spring Security's anonymous authentication names every anonymous caller alike: no caller
                .filter(principal -> !principal.getClass().getName().equals(ANONYMOUS_AUTHENTICATION))
                .map(principal -> Optional.ofNullable(principal.getName()))
                .defaultIfEmpty(Optional.empty())
                .flatMap(principal -> admit(request, key, principal.orElse(null), routeTemplate));
    }

    private Mono<Verdict> admit(ServerHttpRequest request, IdempotencyKey key, String principal,
            String routeTemplate) {
        CallerScoping.Caller caller = callers.caller(principal, request.getHeaders());
        if (caller.refused()) {
            return Mono.just(refuse(IdempotencyProblem.CREDENTIALS_REQUIRED, "A request with an " + headerName
                    + " header must identify its caller (" + String.join(", ", callers.credentialHeaders())
                    + "): without a credential, another anonymous client could be sent this request's response",
                    key));
        }
        return readBody(request)
                .map(body -> fingerprint(request, key, caller, body, routeTemplate))
                .onErrorResume(BodyTooLarge.class, e -> Mono.just(tooLarge(key, e.read)));
    }

    private Verdict fingerprint(ServerHttpRequest request, IdempotencyKey key, CallerScoping.Caller caller,
            byte[] body, String routeTemplate) {
        Fingerprint fingerprint;
        try {
            fingerprint = FingerprintParts.of(request, body, fingerprintHeaders, bodyNormalizer);
        } catch (JsonLimitExceededException e) {
            IdempotencyProblem problem = e.limit() == JsonLimitExceededException.Limit.NESTING_DEPTH
                    ? IdempotencyProblem.JSON_TOO_DEEP : IdempotencyProblem.JSON_NUMBER_TOO_LONG;
            return refuseRead(problem, e.getMessage() + ", the limit for idempotent requests", key);
        }
        Scope scope = Scope.of(caller.id(), request.getMethod().name() + " " + routeTemplate);
        return new Admitted(key, scope, fingerprint, body);
    }

    private Refused tooLarge(IdempotencyKey key, BodyRead read) {
        engine.rejected(key);
        return new Refused(IdempotencyProblem.REQUEST_TOO_LARGE,
                "The request body exceeds " + maxRequestBodyBytes + " bytes, the limit for idempotent requests", key,
                read);
    }

    /** A refusal before the body was read (key, caller): the answer reads and drops it first. */
    private Refused refuse(IdempotencyProblem problem, String detail, IdempotencyKey key) {
        engine.rejected(key);
        return new Refused(problem, detail, key, BodyRead.NONE);
    }

    /** A refusal after the whole body was read (its JSON). */
    private Refused refuseRead(IdempotencyProblem problem, String detail, IdempotencyKey key) {
        engine.rejected(key);
        return new Refused(problem, detail, key, BodyRead.ALL);
    }

    /**
     * Reads the whole body. A body over the limit fails with {@link BodyTooLarge}: one declared
     * over it is left unread (the answer swallows it); one found over it while reading is read
     * on and dropped up to {@link #MAX_SWALLOW_BYTES}, and reading stops past that.
     */
    private Mono<byte[]> readBody(ServerHttpRequest request) {
        long declared = request.getHeaders().getContentLength();
        if (declared > maxRequestBodyBytes) {
            return Mono.error(new BodyTooLarge(BodyRead.NONE));
        }
        return request.getBody()
                .doOnDiscard(DataBuffer.class, DataBufferUtils::release)
                .reduce(new BodyBytes(maxRequestBodyBytes), BodyBytes::add)
                .flatMap(BodyBytes::bytes);
    }

    /** A body over the limit; {@code read} says how much of it the filter read. */
    private static final class BodyTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient BodyRead read;

        BodyTooLarge(BodyRead read) {
            super(null, null, false, false);
            this.read = read;
        }
    }

    /** The body as it arrives: kept within the limit, then only counted (and dropped). */
    private static final class BodyBytes {
        private final int limit;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream(256);
        private long size;

        BodyBytes(int limit) {
            this.limit = limit;
        }

        BodyBytes add(DataBuffer buffer) {
            try {
                int n = buffer.readableByteCount();
                size += n;
                if (size <= limit) {
                    byte[] bytes = new byte[n];
                    buffer.read(bytes);
                    kept.writeBytes(bytes);
                } else if (size > MAX_SWALLOW_BYTES) {
                    throw new BodyTooLarge(BodyRead.PART); // stop reading: the connection ends
                }
                return this;
            } finally {
                DataBufferUtils.release(buffer);
            }
        }

        Mono<byte[]> bytes() {
            return size > limit ? Mono.error(new BodyTooLarge(BodyRead.ALL)) : Mono.just(kept.toByteArray());
        }
    }
}
