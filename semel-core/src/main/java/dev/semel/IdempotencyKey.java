package dev.semel;

import dev.semel.InvalidIdempotencyKeyException.Reason;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A validated idempotency key: 1 to {@value #MAX_LENGTH} printable ASCII characters.
 *
 * <p>Header values are read with {@link #parse(String)}, which accepts a bare token
 * ({@code abc-123}) or an RFC 8941 sf-string ({@code "abc-123"}); both denote the same
 * key. Anything else fails with an {@link InvalidIdempotencyKeyException} whose
 * {@link InvalidIdempotencyKeyException#reason() reason} names the broken rule.
 *
 * <pre>{@code
 * IdempotencyKey key = IdempotencyKey.parse(request.getHeader("Idempotency-Key"));
 * }</pre>
 */
public final class IdempotencyKey {
    /** The longest key accepted, in characters. */
    public static final int MAX_LENGTH = 255;

    private final String value;

    private IdempotencyKey(String value) {
        this.value = value;
    }

    /**
     * Validates a key given as a plain string (no quoting rules applied).
     *
     * @param value 1 to 255 characters from {@code 0x20} to {@code 0x7E}, not starting or
     *     ending with a space
     * @return the key
     * @throws InvalidIdempotencyKeyException if the value breaks a rule
     */
    public static IdempotencyKey of(String value) {
        if (value == null) {
            throw new InvalidIdempotencyKeyException(Reason.MISSING, "An idempotency key is required");
        }
        if (value.isBlank()) {
            throw new InvalidIdempotencyKeyException(Reason.EMPTY, "The idempotency key is empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw new InvalidIdempotencyKeyException(Reason.TOO_LONG,
                    "The idempotency key has " + value.length() + " characters; at most " + MAX_LENGTH + " are allowed");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new InvalidIdempotencyKeyException(Reason.INVALID_CHARACTER,
                        "The idempotency key contains a forbidden character at position " + (i + 1)
                                + " (only printable ASCII is allowed)");
            }
        }
        if (value.charAt(0) == ' ' || value.charAt(value.length() - 1) == ' ') {
            throw new InvalidIdempotencyKeyException(Reason.INVALID_CHARACTER,
                    "The idempotency key must not start or end with a space");
        }
        return new IdempotencyKey(value);
    }

    /**
     * Parses one header field value: a bare token or an RFC 8941 sf-string.
     *
     * <p>Surrounding spaces and tabs are ignored. A comma outside a quoted string means
     * a list of keys and is refused, as is anything after a closing quote.
     *
     * @param headerValue the raw header value; {@code null} means the header was absent
     * @return the key
     * @throws InvalidIdempotencyKeyException if the value is not exactly one valid key
     */
    public static IdempotencyKey parse(@Nullable String headerValue) {
        if (headerValue == null) {
            throw new InvalidIdempotencyKeyException(Reason.MISSING, "An idempotency key is required");
        }
        String trimmed = trimOptionalWhitespace(headerValue);
        if (trimmed.isEmpty()) {
            throw new InvalidIdempotencyKeyException(Reason.EMPTY, "The idempotency key is empty");
        }
        if (trimmed.charAt(0) == '"') {
            return parseQuoted(trimmed);
        }
        for (int i = 0; i < trimmed.length(); i++) {
            char c = trimmed.charAt(i);
            if (c == ',') {
                throw new InvalidIdempotencyKeyException(Reason.MULTIPLE_KEYS,
                        "The idempotency key header holds a list; send exactly one key");
            }
            if (c == '"') {
                throw new InvalidIdempotencyKeyException(Reason.INVALID_CHARACTER,
                        "A bare idempotency key must not contain a quote; quote the whole key instead");
            }
        }
        return of(trimmed);
    }

    /**
     * Parses every value of a header that may have been sent more than once.
     *
     * @param headerValues the values in the order received; empty means absent
     * @return the key
     * @throws InvalidIdempotencyKeyException if there is not exactly one valid key
     */
    public static IdempotencyKey parse(@Nullable List<String> headerValues) {
        if (headerValues == null || headerValues.isEmpty()) {
            return parse((String) null);
        }
        if (headerValues.size() > 1) {
            throw new InvalidIdempotencyKeyException(Reason.MULTIPLE_KEYS,
                    "The idempotency key header was sent " + headerValues.size() + " times; send exactly one key");
        }
        return parse(headerValues.get(0));
    }

    private static IdempotencyKey parseQuoted(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 >= s.length()) {
                    throw new InvalidIdempotencyKeyException(Reason.UNTERMINATED_QUOTE,
                            "The quoted idempotency key has no closing quote");
                }
                char next = s.charAt(i + 1);
                if (next != '"' && next != '\\') {
                    throw new InvalidIdempotencyKeyException(Reason.INVALID_ESCAPE,
                            "In a quoted idempotency key a backslash may only escape '\"' or '\\'");
                }
                out.append(next);
                i += 2;
            } else if (c == '"') {
                String rest = trimOptionalWhitespace(s.substring(i + 1));
                if (!rest.isEmpty()) {
                    if (rest.charAt(0) == ',') {
                        throw new InvalidIdempotencyKeyException(Reason.MULTIPLE_KEYS,
                                "The idempotency key header holds a list; send exactly one key");
                    }
                    throw new InvalidIdempotencyKeyException(Reason.INVALID_CHARACTER,
                            "Unexpected characters after the closing quote of the idempotency key");
                }
                if (out.length() == 0) {
                    throw new InvalidIdempotencyKeyException(Reason.EMPTY, "The idempotency key is empty");
                }
                return of(out.toString());
            } else {
                if (c < 0x20 || c > 0x7E) {
                    throw new InvalidIdempotencyKeyException(Reason.INVALID_CHARACTER,
                            "The idempotency key contains a forbidden character at position " + i
                                    + " (only printable ASCII is allowed)");
                }
                out.append(c);
                i++;
            }
        }
        throw new InvalidIdempotencyKeyException(Reason.UNTERMINATED_QUOTE,
                "The quoted idempotency key has no closing quote");
    }

    private static String trimOptionalWhitespace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * Returns the key's characters, unquoted.
     *
     * @return the key
     */
    public String value() {
        return value;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof IdempotencyKey other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
