package dev.semel.client;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads {@code Retry-After} (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
final class RetryAfter {
    private RetryAfter() {
    }

    /** The longest wait this reads: more seconds than a {@code long} counts are this long. */
    static final Duration LONGEST = Duration.ofSeconds(Long.MAX_VALUE);

    /**
     * @param value the header value, or {@code null}
     * @param now the current time, for an HTTP-date
     * @return the wait, never negative, at most {@link #LONGEST} (a number of seconds too
     *     large to count is still a request to wait very long, never ignored), or {@code null}
     *     when absent or unreadable
     */
    static Duration parse(String value, Instant now) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.isEmpty()) {
            return null;
        }
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException tooLarge) {
                return LONGEST;
            }
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return wait.isNegative() ? Duration.ZERO : wait;
        } catch (DateTimeParseException unreadable) {
            return null;
        }
    }
}
