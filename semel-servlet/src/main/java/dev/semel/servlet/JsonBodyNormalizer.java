package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonEncoding;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Compares JSON request bodies by meaning, not by bytes: the same JSON value with another
 * key order, other whitespace or another spelling of a number ({@code 1.50}, {@code 1.5},
 * {@code 15e-1}) has the same fingerprint. Fields named by a JSON Pointer (RFC 6901) can
 * be ignored, for values a client legitimately changes between retries (a timestamp, a
 * trace id).
 *
 * <p>Applies to {@code application/json} and {@code application/*+json}; other bodies are
 * compared byte for byte. Parsing uses Jackson's streaming parser with its default limits
 * (nesting depth, number and string length), so a hostile body fails fast; a body that is
 * not valid JSON is reported with {@link IllegalArgumentException}, and the filter then
 * falls back to comparing its bytes (the application decides how to answer it).
 *
 * <pre>{@code
 * BodyNormalizer json = JsonBodyNormalizer.ignoring("/sentAt", "/meta/traceId");
 * }</pre>
 */
public final class JsonBodyNormalizer implements BodyNormalizer {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final JsonBodyNormalizer DEFAULT = new JsonBodyNormalizer(Set.of());
    private static final Object NULL = new Object();

    private final Set<String> ignoredPointers;

    private JsonBodyNormalizer(Set<String> ignoredPointers) {
        this.ignoredPointers = ignoredPointers;
    }

    /**
     * The normalizer that ignores nothing.
     *
     * @return the shared instance
     */
    public static JsonBodyNormalizer create() {
        return DEFAULT;
    }

    /**
     * A normalizer that leaves out the values at some JSON Pointers.
     *
     * @param pointers RFC 6901 pointers such as {@code /sentAt} or {@code /items/0/note}
     * @return the normalizer
     * @throws IllegalArgumentException if a pointer does not start with {@code /}
     */
    public static JsonBodyNormalizer ignoring(String... pointers) {
        for (String p : pointers) {
            Objects.requireNonNull(p, "pointer");
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("A JSON Pointer starts with '/': '" + p + "'");
            }
        }
        return new JsonBodyNormalizer(Set.of(pointers));
    }

    /**
     * Whether a media type is JSON: {@code application/json} or {@code application/*+json}.
     *
     * @param contentType a Content-Type value, may be {@code null}
     * @return {@code true} for JSON
     */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
    }

    @Override
    public byte[] normalize(String contentType, byte[] body) {
        if (!isJson(contentType) || body.length == 0) {
            return body;
        }
        Object tree;
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return body;
            }
            tree = read(parser, first, "");
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("Trailing content after the JSON value");
            }
        } catch (JacksonException e) {
            throw new IllegalArgumentException("The body is not valid JSON: " + e.getOriginalMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
        try (JsonGenerator generator = FACTORY.createGenerator(ObjectWriteContext.empty(), out, JsonEncoding.UTF8)) {
            write(generator, tree);
        }
        return out.toByteArray();
    }

    private Object read(JsonParser parser, JsonToken token, String pointer) {
        switch (token) {
            case START_OBJECT: {
                Map<String, List<Object>> members = new TreeMap<>();
                JsonToken t;
                while ((t = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
                    String name = parser.currentName();
                    String child = pointer + "/" + escape(name);
                    JsonToken valueToken = parser.nextToken();
                    if (ignoredPointers.contains(child)) {
                        parser.skipChildren();
                        continue;
                    }
                    members.computeIfAbsent(name, n -> new ArrayList<>(1)).add(read(parser, valueToken, child));
                }
                return members;
            }
            case START_ARRAY: {
                List<Object> items = new ArrayList<>();
                JsonToken t;
                int index = 0;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    String child = pointer + "/" + index++;
                    if (ignoredPointers.contains(child)) {
                        parser.skipChildren();
                        continue;
                    }
                    items.add(read(parser, t, child));
                }
                return items;
            }
            case VALUE_STRING:
                return parser.getString();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return canonicalNumber(parser.getDecimalValue());
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return NULL;
            default:
                throw new IllegalArgumentException("Unexpected JSON token " + token);
        }
    }

    /** One spelling per number: unscaled digits and a decimal exponent, trailing zeros gone. */
    private static CanonicalNumber canonicalNumber(BigDecimal value) {
        BigDecimal stripped = value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
        return new CanonicalNumber(stripped.unscaledValue() + "e" + (-stripped.scale()));
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    @SuppressWarnings("unchecked")
    private static void write(JsonGenerator g, Object node) {
        if (node instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<String, List<Object>> e : ((Map<String, List<Object>>) map).entrySet()) {
                for (Object value : e.getValue()) {
                    g.writeName(e.getKey());
                    write(g, value);
                }
            }
            g.writeEndObject();
        } else if (node instanceof List<?> list) {
            g.writeStartArray();
            for (Object item : list) {
                write(g, item);
            }
            g.writeEndArray();
        } else if (node instanceof String s) {
            g.writeString(s);
        } else if (node instanceof CanonicalNumber n) {
            g.writeNumber(n.spelling());
        } else if (node instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeNull();
        }
    }

    @Override
    public String toString() {
        return "JsonBodyNormalizer[ignoring=" + ignoredPointers + "]";
    }

    /** A number kept in its canonical spelling. */
    private record CanonicalNumber(String spelling) {
    }
}
