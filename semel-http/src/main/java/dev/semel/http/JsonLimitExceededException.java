package dev.semel.http;

/**
 * A JSON body that is valid but beyond a limit of the {@link JsonBodyNormalizer}: nested
 * deeper than its maximum depth, or with a number longer than its maximum number length.
 * A Semel HTTP adapter answers it with a 400 problem
 * ({@link IdempotencyProblem#JSON_TOO_DEEP} or {@link IdempotencyProblem#JSON_NUMBER_TOO_LONG})
 * without running the handler, instead of spending CPU on a body built to be expensive.
 */
public final class JsonLimitExceededException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Which limit a body exceeded. */
    public enum Limit {
        /** Objects and arrays nested deeper than the maximum depth. */
        NESTING_DEPTH,
        /** A number written with more characters than the maximum number length. */
        NUMBER_LENGTH
    }

    private final Limit limit;
    private final int max;

    /**
     * Reports a body beyond a limit.
     *
     * @param limit the limit exceeded
     * @param max its configured value
     */
    public JsonLimitExceededException(Limit limit, int max) {
        super(limit == Limit.NESTING_DEPTH
                ? "The JSON body is nested deeper than " + max + " levels"
                : "The JSON body has a number longer than " + max + " characters");
        this.limit = limit;
        this.max = max;
    }

    /** @return the limit the body exceeded */
    public Limit limit() {
        return limit;
    }

    /** @return the configured value of that limit */
    public int max() {
        return max;
    }
}
