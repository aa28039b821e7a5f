package dev.semel.webflux;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.http.JsonLimitExceededException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * The fingerprint of a keyed request: method, concrete target, the selected headers and the
 * body, each in a field of its own so that no two different requests share a fingerprint.
 * Field for field the Servlet filter's, so that a record written through one adapter replays
 * through the other: the target is the raw path (with the context path) and the raw query, as
 * {@code getRequestURI()} and {@code getQueryString()} give them; header values are one per
 * header line, as {@code getHeaders(name)} gives them.
 *
 * <ul>
 *   <li>Header values are kept exactly, one field per value, except media types
 *       ({@code Content-Type}, {@code Accept}), which compare case-insensitively (type,
 *       subtype, parameter names and the charset) and without optional whitespace.
 *   <li>A body the normalizer canonicalised goes into {@code body:canonical}; a body kept
 *       as received (a type the normalizer does not read, or invalid JSON) into
 *       {@code body:bytes}, so that raw bytes never equal some other body's canonical form.
 * </ul>
 */
final class FingerprintParts {
    private static final Set<String> MEDIA_TYPE_HEADERS = Set.of("content-type", "accept");

    private FingerprintParts() {
    }

    /**
     * Computes the fingerprint.
     *
     * @throws JsonLimitExceededException when the normalizer refuses the body
     */
    static Fingerprint of(ServerHttpRequest request, byte[] body, List<String> headers, BodyNormalizer normalizer) {
        String query = request.getURI().getRawQuery();
        HttpHeaders requestHeaders = request.getHeaders();
        Fingerprint.Builder fp = Fingerprint.builder()
                .add("method", request.getMethod().name())
                .add("target", request.getPath().value() + (query == null ? "" : "?" + query));
        for (String name : headers) {
            String field = "header:" + name.toLowerCase(Locale.ROOT);
            List<String> values = requestHeaders.get(name);
            List<String> list = values == null ? List.of() : values;
            fp.add(field + ":count", Integer.toString(list.size()));
            boolean mediaType = MEDIA_TYPE_HEADERS.contains(name.toLowerCase(Locale.ROOT));
            for (String value : list) {
                fp.add(field, mediaType ? mediaType(value) : value);
            }
        }
        byte[] canonical;
        try {
            canonical = normalizer.normalize(requestHeaders.getFirst(HttpHeaders.CONTENT_TYPE), body);
        } catch (JsonLimitExceededException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            canonical = body; // not what its type says: compare bytes; the application answers it
        }
        return fp.add(canonical == body ? "body:bytes" : "body:canonical", canonical).build();
    }

    /**
     * A media type (or a list of them) in one spelling: lower-case outside quoted strings
     * (type, subtype, parameter names) except parameter values, which keep their case
     * unless the parameter is {@code charset}; no whitespace outside quoted strings.
     */
    static String mediaType(String value) {
        StringBuilder out = new StringBuilder(value.length());
        boolean quoted = false;
        boolean escaped = false;
        boolean inValue = false;
        boolean caseInsensitiveValue = false;
        int nameStart = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted) {
                out.append(caseInsensitiveValue && !escaped ? Character.toLowerCase(c) : c);
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    quoted = false;
                }
                continue;
            }
            if (c == ' ' || c == '\t') {
                continue;
            }
            if (c == '"') {
                quoted = true;
                out.append(c);
            } else if (c == ';' || c == ',') {
                inValue = false;
                out.append(c);
                nameStart = out.length();
            } else if (c == '=' && !inValue) {
                inValue = true;
                caseInsensitiveValue = out.substring(nameStart).equals("charset");
                out.append(c);
            } else if (inValue && !caseInsensitiveValue) {
                out.append(c);
            } else {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }
}
