package dev.semel.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

/**
 * Properties of the {@code Retry-After} parser: any header value gives a non-negative wait or
 * "unreadable" ({@code null}), never an exception; delay-seconds and HTTP-dates read back exactly.
 */
class RetryAfterProperties {
    private static final Instant NOW = Instant.parse("2026-12-04T05:00:00Z");

    @Property(tries = 2000)
    void anyHeaderValueGivesANonNegativeWaitOrNullAndNeverThrows(@ForAll("headerValues") String value,
            @ForAll("instants") Instant now) {
        Duration wait = RetryAfter.parse(value, now);
        if (wait != null) {
            assertThat(wait).isGreaterThanOrEqualTo(Duration.ZERO);
        }
    }

    @Property(tries = 1000)
    void anyUnicodeValueGivesANonNegativeWaitOrNull(@ForAll @StringLength(max = 80) String value) {
        Duration wait = RetryAfter.parse(value, NOW);
        assertThat(wait == null || !wait.isNegative()).isTrue();
    }

    @Property(tries = 1000)
    void delaySecondsReadBackExactlyWhateverTheSurroundingWhitespace(@ForAll @LongRange(min = 0) long seconds,
            @ForAll("whitespace") String before, @ForAll("whitespace") String after) {
        assertThat(RetryAfter.parse(before + seconds + after, NOW)).isEqualTo(Duration.ofSeconds(seconds));
    }

    @Property(tries = 300)
    void delaySecondsBeyondALongAreTheLongestWaitNotIgnored(@ForAll @StringLength(min = 20, max = 40) String digitsSeed) {
        String digits = "9" + digitsSeed.chars().mapToObj(c -> String.valueOf(Math.floorMod(c, 10)))
                .reduce("", String::concat);
        assertThat(RetryAfter.parse(digits, NOW)).isEqualTo(RetryAfter.LONGEST);
    }

    @Property(tries = 1000)
    void anHttpDateReadsBackAsTheTimeUntilItOrZeroWhenPast(@ForAll("instants") Instant at,
            @ForAll("instants") Instant now) {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atOffset(ZoneOffset.UTC));
        Duration expected = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
        assertThat(RetryAfter.parse(date, now)).isEqualTo(expected);
    }

    /** Whole seconds from 1970 to 9999: the years an HTTP-date (four digits) can carry. */
    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs().between(0, Instant.parse("9999-12-31T23:59:59Z").getEpochSecond())
                .map(Instant::ofEpochSecond);
    }

    @Provide
    Arbitrary<String> whitespace() {
        return Arbitraries.strings().withChars(' ', '\t').ofMaxLength(3);
    }

    /** Values built from what the parser looks at: digits, signs, dates, their pieces, whitespace. */
    @Provide
    Arbitrary<String> headerValues() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.strings().numeric().ofMaxLength(25),
                Arbitraries.of("-", "+", " ", "\t", ",", ":", "GMT", "UTC", "Mon", "Sun", "Dec", "Feb", "31", "29",
                        "24:00:00", "23:59:60", "99999", "0", "e3", ".5", "\u0660", "\uff11"),
                instants().map(i -> DateTimeFormatter.RFC_1123_DATE_TIME.format(i.atOffset(ZoneOffset.UTC))));
        return piece.list().ofMaxSize(6).map(parts -> String.join("", parts)).injectNull(0.02);
    }
}
