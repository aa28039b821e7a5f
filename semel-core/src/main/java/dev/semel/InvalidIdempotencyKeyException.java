package dev.semel;

/**
 * Thrown when an idempotency key is missing, malformed or ambiguous.
 *
 * <p>{@link #reason()} says precisely which rule the value broke, so an HTTP adapter can
 * answer 400 with a useful problem detail and a Java caller can tell bad input apart.
 */
public final class InvalidIdempotencyKeyException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /** The rule a key value broke. */
    public enum Reason {
        /** No key where one is required. */
        MISSING,
        /** The value is empty or only white space. */
        EMPTY,
        /** More than {@value IdempotencyKey#MAX_LENGTH} characters. */
        TOO_LONG,
        /** A control, non-ASCII or otherwise forbidden character. */
        INVALID_CHARACTER,
        /** Several keys: a list, or the header given more than once. */
        MULTIPLE_KEYS,
        /** A quoted string without its closing quote. */
        UNTERMINATED_QUOTE,
        /** A backslash in a quoted string not followed by {@code "} or {@code \}. */
        INVALID_ESCAPE
    }

    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason the rule that was broken
     * @param message a precise description, safe to show to the client
     */
    public InvalidIdempotencyKeyException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * Returns the rule the key broke.
     *
     * @return the reason, never {@code null}
     */
    public Reason reason() {
        return reason;
    }
}
