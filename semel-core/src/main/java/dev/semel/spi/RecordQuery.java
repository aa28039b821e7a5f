package dev.semel.spi;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A bounded filter over stored records for admin tools, newest first.
 *
 * <p>Every field except {@code limit} may be {@code null} to mean "any".
 *
 * @param keyPrefix records whose key starts with this
 * @param state records in this state
 * @param createdAfter records created at or after this instant
 * @param createdBefore records created before this instant
 * @param limit at most this many records, 1 to {@value #MAX_LIMIT}
 */
public record RecordQuery(@Nullable String keyPrefix, @Nullable RecordState state, @Nullable Instant createdAfter,
        @Nullable Instant createdBefore, int limit) {
    /** The default number of records a query returns. */
    public static final int DEFAULT_LIMIT = 100;
    /** The most records one query may return. */
    public static final int MAX_LIMIT = 10_000;

    /**
     * Validates the limit.
     *
     * @param keyPrefix key prefix
     * @param state state
     * @param createdAfter lower bound
     * @param createdBefore upper bound
     * @param limit result bound
     */
    public RecordQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
    }

    /**
     * Every record, up to {@link #DEFAULT_LIMIT}.
     *
     * @return the query
     */
    public static RecordQuery all() {
        return new RecordQuery(null, null, null, null, DEFAULT_LIMIT);
    }

    /**
     * Whether a record matches this query's filters (not the limit).
     *
     * @param record a record
     * @return {@code true} if it passes every filter
     */
    public boolean matches(IdempotencyRecord record) {
        return (keyPrefix == null || (record.key() != null && record.key().startsWith(keyPrefix)))
                && (state == null || record.state() == state)
                && (createdAfter == null || !record.createdAt().isBefore(createdAfter))
                && (createdBefore == null || record.createdAt().isBefore(createdBefore));
    }

    /**
     * A copy with another key prefix.
     *
     * @param prefix the prefix
     * @return the new query
     */
    public RecordQuery withKeyPrefix(@Nullable String prefix) {
        return new RecordQuery(prefix, state, createdAfter, createdBefore, limit);
    }

    /**
     * A copy with another state.
     *
     * @param s the state
     * @return the new query
     */
    public RecordQuery withState(@Nullable RecordState s) {
        return new RecordQuery(keyPrefix, s, createdAfter, createdBefore, limit);
    }

    /**
     * A copy with other creation bounds.
     *
     * @param after lower bound, inclusive
     * @param before upper bound, exclusive
     * @return the new query
     */
    public RecordQuery withCreated(@Nullable Instant after, @Nullable Instant before) {
        return new RecordQuery(keyPrefix, state, after, before, limit);
    }

    /**
     * A copy with another limit.
     *
     * @param n the limit
     * @return the new query
     */
    public RecordQuery withLimit(int n) {
        return new RecordQuery(keyPrefix, state, createdAfter, createdBefore, n);
    }
}
