package dev.semel.servlet;

import dev.semel.BodyNormalizer;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
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
    private static final byte OBJECT = '{';
    private static final byte ARRAY = '[';
    private static final byte END = '.';
    private static final byte STRING = '"';
    private static final byte NUMBER = '#';
    private static final byte TRUE = 't';
    private static final byte FALSE = 'f';
    private static final byte NULL = 'n';

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
        Canonical out = new Canonical(body.length + 16);
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return body;
            }
            value(parser, first, ignoredPointers.isEmpty() ? null : "", out);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("Trailing content after the JSON value");
            }
        } catch (JacksonException e) {
            throw new IllegalArgumentException("The body is not valid JSON: " + e.getOriginalMessage(), e);
        }
        return out.toByteArray();
    }

    /*
     * The canonical form is a tagged binary encoding, not JSON text: it is only hashed, and
     * writing it needs no generator, no escaping and no intermediate strings. Every value
     * starts with a tag byte; strings and names are a length and their UTF-16 code units;
     * numbers are the decimal spelling "<unscaled>e<exponent>" with trailing zeros stripped,
     * ended by ';'; objects list their members sorted by name (members with one name keep
     * their order). No encoding of one value is a prefix of another's.
     */

    /** Writes the canonical form of the value starting at {@code token}; {@code pointer} is null when nothing is ignored. */
    private void value(JsonParser parser, JsonToken token, String pointer, Canonical out) {
        switch (token) {
            case START_OBJECT:
                object(parser, pointer, out);
                break;
            case START_ARRAY: {
                out.put(ARRAY);
                JsonToken t;
                int index = 0;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    String child = pointer == null ? null : pointer + "/" + index;
                    index++;
                    if (child != null && ignoredPointers.contains(child)) {
                        parser.skipChildren();
                        continue;
                    }
                    value(parser, t, child, out);
                }
                out.put(END);
                break;
            }
            case VALUE_STRING:
                out.put(STRING);
                out.chars(parser.getStringCharacters(), parser.getStringOffset(), parser.getStringLength());
                break;
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                number(parser, token, out);
                break;
            case VALUE_TRUE:
                out.put(TRUE);
                break;
            case VALUE_FALSE:
                out.put(FALSE);
                break;
            case VALUE_NULL:
                out.put(NULL);
                break;
            default:
                throw new IllegalArgumentException("Unexpected JSON token " + token);
        }
    }

    private void object(JsonParser parser, String pointer, Canonical out) {
        Canonical values = new Canonical(64);
        String[] names = new String[8];
        int[] ends = new int[8];
        int count = 0;
        boolean sorted = true;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
            String name = parser.currentName();
            JsonToken valueToken = parser.nextToken();
            String child = pointer == null ? null : pointer + "/" + escape(name);
            if (child != null && ignoredPointers.contains(child)) {
                parser.skipChildren();
                continue;
            }
            value(parser, valueToken, child, values);
            if (count == names.length) {
                names = Arrays.copyOf(names, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            sorted &= count == 0 || names[count - 1].compareTo(name) <= 0;
            names[count] = name;
            ends[count] = values.size();
            count++;
        }
        out.put(OBJECT);
        if (sorted) {
            for (int i = 0; i < count; i++) {
                member(out, names[i], values, i == 0 ? 0 : ends[i - 1], ends[i]);
            }
        } else {
            Integer[] order = new Integer[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            String[] byIndex = names;
            Arrays.sort(order, Comparator.comparing((Integer i) -> byIndex[i])); // stable: duplicates keep their order
            for (int i : order) {
                member(out, names[i], values, i == 0 ? 0 : ends[i - 1], ends[i]);
            }
        }
        out.put(END);
    }

    private static void member(Canonical out, String name, Canonical values, int from, int to) {
        out.chars(name);
        out.append(values, from, to);
    }

    private static void number(JsonParser parser, JsonToken token, Canonical out) {
        out.put(NUMBER);
        JsonParser.NumberType type = token == JsonToken.VALUE_NUMBER_INT ? parser.getNumberType() : null;
        if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
            long unscaled = parser.getLongValue();
            int exponent = 0;
            if (unscaled != 0) {
                while (unscaled % 10 == 0) {
                    unscaled /= 10;
                    exponent++;
                }
            }
            out.ascii(Long.toString(unscaled));
            out.put((byte) 'e');
            out.ascii(Integer.toString(exponent));
        } else {
            BigDecimal value = parser.getDecimalValue();
            BigDecimal stripped = value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
            out.ascii(stripped.unscaledValue().toString());
            out.put((byte) 'e');
            out.ascii(Integer.toString(-stripped.scale()));
        }
        out.put((byte) ';');
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    @Override
    public String toString() {
        return "JsonBodyNormalizer[ignoring=" + ignoredPointers + "]";
    }

    /** A number kept in its canonical spelling. */
    /** A growable byte buffer for the canonical form. */
    private static final class Canonical {
        private byte[] bytes;
        private int size;

        Canonical(int capacity) {
            bytes = new byte[capacity];
        }

        int size() {
            return size;
        }

        void put(byte b) {
            ensure(1);
            bytes[size++] = b;
        }

        void chars(String s) {
            int length = s.length();
            ensure(4 + 2 * length);
            lengthPrefix(length);
            for (int i = 0; i < length; i++) {
                char c = s.charAt(i);
                bytes[size++] = (byte) (c >>> 8);
                bytes[size++] = (byte) c;
            }
        }

        void chars(char[] chars, int offset, int length) {
            ensure(4 + 2 * length);
            lengthPrefix(length);
            for (int i = offset, end = offset + length; i < end; i++) {
                char c = chars[i];
                bytes[size++] = (byte) (c >>> 8);
                bytes[size++] = (byte) c;
            }
        }

        private void lengthPrefix(int length) {
            bytes[size++] = (byte) (length >>> 24);
            bytes[size++] = (byte) (length >>> 16);
            bytes[size++] = (byte) (length >>> 8);
            bytes[size++] = (byte) length;
        }

        void ascii(String s) {
            int length = s.length();
            ensure(length);
            for (int i = 0; i < length; i++) {
                bytes[size++] = (byte) s.charAt(i);
            }
        }

        void append(Canonical other, int from, int to) {
            int length = to - from;
            ensure(length);
            System.arraycopy(other.bytes, from, bytes, size, length);
            size += length;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
