package dev.semel.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.http.JsonLimitExceededException;
import dev.semel.http.RequestFingerprint;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * The fingerprint of a keyed request, as every adapter computes it ({@link RequestFingerprint}),
 * so that a record written through the Servlet filter replays here and the other way round: the
 * target is the raw path (with the context path) and the raw query, as {@code getRequestURI()}
 * and {@code getQueryString()} give them there; header values are one per header line.
 */
final class FingerprintParts {
    private FingerprintParts() {
    }

    /**
     * Computes the fingerprint.
     *
     * @throws JsonLimitExceededException when the normalizer refuses the body
     */
    static Fingerprint of(ServerHttpRequest request, byte[] body, List<String> headers, BodyNormalizer normalizer) {
        HttpHeaders requestHeaders = request.getHeaders();
        return RequestFingerprint.of(request.getMethod().name(), request.getPath().value(),
                request.getURI().getRawQuery(), headers, requestHeaders::get,
                requestHeaders.getFirst(HttpHeaders.CONTENT_TYPE), body, normalizer);
    }
}
