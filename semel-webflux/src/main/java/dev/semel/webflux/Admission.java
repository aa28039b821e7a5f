package dev.semel.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.Scope;
import dev.semel.http.IdempotencyProblem;
import dev.semel.http.JsonLimitExceededException;
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

    /**
     * A request answered with a problem, without claiming its key.
     *
     * @param problem the problem
     * @param detail its detail
     * @param key the key, or {@code null} when it was missing or malformed
     */
    record Refused(IdempotencyProblem problem, String detail, IdempotencyKey key) implements Verdict {
        Mono<Void> writeTo(ServerWebExchange exchange) {
            // the request's body may be unread (refused before it, or past the limit): the next
            // request on this connection must not start in the middle of it, so the connection ends
            exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
            return Problems.write(exchange, problem, detail, key, null);
        }
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
                .onErrorResume(DataBufferLimitException.class, e -> Mono.just(tooLarge(key)));
    }

    private Verdict fingerprint(ServerHttpRequest request, IdempotencyKey key, CallerScoping.Caller caller,
            byte[] body, String routeTemplate) {
        Fingerprint fingerprint;
        try {
            fingerprint = FingerprintParts.of(request, body, fingerprintHeaders, bodyNormalizer);
        } catch (JsonLimitExceededException e) {
            IdempotencyProblem problem = e.limit() == JsonLimitExceededException.Limit.NESTING_DEPTH
                    ? IdempotencyProblem.JSON_TOO_DEEP : IdempotencyProblem.JSON_NUMBER_TOO_LONG;
            return refuse(problem, e.getMessage() + ", the limit for idempotent requests", key);
        }
        Scope scope = Scope.of(caller.id(), request.getMethod().name() + " " + routeTemplate);
        return new Admitted(key, scope, fingerprint, body);
    }

    private Refused tooLarge(IdempotencyKey key) {
        return refuse(IdempotencyProblem.REQUEST_TOO_LARGE,
                "The request body exceeds " + maxRequestBodyBytes + " bytes, the limit for idempotent requests", key);
    }

    private Refused refuse(IdempotencyProblem problem, String detail, IdempotencyKey key) {
        engine.rejected(key);
        return new Refused(problem, detail, key);
    }

    /**
     * Reads the whole body; a body over the limit (declared, or found while reading) fails with
     * {@link DataBufferLimitException}, and reading stops there: the rest is never requested.
     */
    private Mono<byte[]> readBody(ServerHttpRequest request) {
        long declared = request.getHeaders().getContentLength();
        if (declared > maxRequestBodyBytes) {
            return Mono.error(new DataBufferLimitException("declared " + declared + " bytes"));
        }
        return DataBufferUtils.join(request.getBody(), maxRequestBodyBytes)
                .map(Admission::bytesOf)
                .defaultIfEmpty(new byte[0]);
    }

    private static byte[] bytesOf(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
