package dev.semel.http;

import dev.semel.BodyNormalizer;
import dev.semel.Fingerprint;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The fingerprint of a keyed HTTP request, the same field for field in every Semel HTTP adapter
 * (the Servlet filter, the WebFlux filter, the gateway), so that a record written through one
 * replays through another: method, concrete target, the selected headers and the body, each in a
 * field of its own so that no two different requests share a fingerprint.
 *
 * <ul>
 *   <li>The target is the raw path (with the context path) and the raw query, as the client sent them.
 *   <li>Header values are kept exactly, one field per header line, with their count, except media
 *       types ({@code Content-Type}, {@code Accept}), which compare case-insensitively (type,
 *       subtype, parameter names and the charset) and without optional whitespace.
 *   <li>A body the normalizer canonicalised goes into {@code body:canonical}; a body kept as
 *       received (a type the normalizer does not read, or invalid JSON) into {@code body:bytes},
 *       so that raw bytes never equal some other body's canonical form.
 * </ul>
 */
public final class RequestFingerprint {
    private static final Set<String> MEDIA_TYPE_HEADERS = Set.of("content-type", "accept");

    private RequestFingerprint() {
    }

    /**
     * Computes the fingerprint of a request.
     *
     * @param method the method, upper case
     * @param rawPath the raw path, context path included
     * @param rawQuery the raw query, or {@code null} for none
     * @param headerNames the headers that count, in a fixed order
     * @param headerValues a header's values, one per header line, empty for none
     * @param contentType the {@code Content-Type}, or {@code null}
     * @param body the body, empty for none
     * @param normalizer the body normalizer
     * @return the fingerprint
     * @throws JsonLimitExceededException when the normalizer refuses the body
     */
    public static Fingerprint of(String method, String rawPath, String rawQuery, List<String> headerNames,
            Function<String, List<String>> headerValues, String contentType, byte[] body,
            BodyNormalizer normalizer) {
        Fingerprint.Builder fp = Fingerprint.builder()
                .add("method", method)
                .add("target", rawPath + (rawQuery == null ? "" : "?" + rawQuery));
        for (String name : headerNames) {
            String field = "header:" + name.toLowerCase(Locale.ROOT);
            List<String> values = headerValues.apply(name);
            List<String> list = values == null ? List.of() : values;
            fp.add(field + ":count", Integer.toString(list.size()));
            boolean mediaType = MEDIA_TYPE_HEADERS.contains(name.toLowerCase(Locale.ROOT));
            for (String value : list) {
                fp.add(field, mediaType ? mediaType(value) : value);
            }
        }
        byte[] canonical;
        try {
            canonical = normalizer.normalize(contentType, body);
        } catch (JsonLimitExceededException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            canonical = body; // not what its type says: compare bytes; the application answers it
        }
        return fp.add(canonical == body ? "body:bytes" : "body:canonical", canonical).build();
    }

    /**
     * A media type (or a list of them) in one spelling: lower-case outside quoted strings
     * (type, subtype, parameter names) except parameter values, which keep their case unless
     * the parameter is {@code charset}; no whitespace outside quoted strings.
     *
     * @param value a header value
     * @return its one spelling
     */
    public static String mediaType(String value) {
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
