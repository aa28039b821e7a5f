package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.http.JsonLimitExceededException;
import dev.semel.http.RequestFingerprint;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The fingerprint of a keyed servlet request, as every adapter computes it
 * ({@link RequestFingerprint}): the target is {@code getRequestURI()} and {@code getQueryString()},
 * header values are one per header line, as {@code getHeaders(name)} gives them.
 */
final class FingerprintParts {
    private FingerprintParts() {
    }

    /**
     * Computes the fingerprint.
     *
     * @throws JsonLimitExceededException when the normalizer refuses the body
     */
    static Fingerprint of(HttpServletRequest request, byte[] body, List<String> headers, BodyNormalizer normalizer) {
        return RequestFingerprint.of(request.getMethod(), request.getRequestURI(), request.getQueryString(), headers,
                name -> {
                    Enumeration<String> values = request.getHeaders(name);
                    return values == null ? List.of() : Collections.list(values);
                }, request.getContentType(), body, normalizer);
    }
}
