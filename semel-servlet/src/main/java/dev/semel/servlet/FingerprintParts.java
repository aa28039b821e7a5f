package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import dev.semel.http.JsonLimitExceededException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The fingerprint of a keyed request: method, concrete target, the selected headers and the
 * body, each in a field of its own so that no two different requests share a fingerprint.
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
    static Fingerprint of(HttpServletRequest request, byte[] body, List<String> headers, BodyNormalizer normalizer) {
        String query = request.getQueryString();
        Fingerprint.Builder fp = Fingerprint.builder()
                .add("method", request.getMethod())
                .add("target", request.getRequestURI() + (query == null ? "" : "?" + query));
        for (String name : headers) {
            String field = "header:" + name.toLowerCase(Locale.ROOT);
            Enumeration<String> values = request.getHeaders(name);
            List<String> list = values == null ? List.of() : Collections.list(values);
            fp.add(field + ":count", Integer.toString(list.size()));
            boolean mediaType = MEDIA_TYPE_HEADERS.contains(name.toLowerCase(Locale.ROOT));
            for (String value : list) {
                fp.add(field, mediaType ? mediaType(value) : value);
            }
        }
        byte[] canonical;
        try {
            canonical = normalizer.normalize(request.getContentType(), body);
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
