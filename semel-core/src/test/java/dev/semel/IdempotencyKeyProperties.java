package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/**
 * Properties of {@link IdempotencyKey#parse(String)} over generated header values: it never
 * fails with anything but {@link InvalidIdempotencyKeyException}, what it accepts is always a
 * valid key, and every valid key survives being sent bare or as an sf-string.
 */
class IdempotencyKeyProperties {

    @Property(tries = 2000)
    void parsingAnyHeaderValueGivesAValidKeyOrAnInvalidKeyExceptionAndNothingElse(
            @ForAll("headerValues") String headerValue) {
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parse(headerValue);
        } catch (InvalidIdempotencyKeyException expected) {
            assertThat(expected.reason()).isNotNull();
            assertThat(expected.getMessage()).isNotBlank();
            return;
        }
        assertThatKeyIsValid(key.value());
    }

    @Property(tries = 1000)
    void anyUnicodeStringIsParsedOrRefusedWithAnInvalidKeyException(
            @ForAll @StringLength(max = 300) String headerValue) {
        try {
            assertThatKeyIsValid(IdempotencyKey.parse(headerValue).value());
        } catch (InvalidIdempotencyKeyException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 1000)
    void everyValidKeySentAsAnSfStringParsesBackToItself(@ForAll("validKeys") String value) {
        assertThat(IdempotencyKey.parse(sfString(value)).value()).isEqualTo(value);
    }

    @Property(tries = 1000)
    void everyValidKeyWithoutQuoteOrCommaSentBareParsesBackToItself(@ForAll("validKeys") String value) {
        String bare = value.replace("\"", "").replace(",", "").strip();
        if (bare.isEmpty()) {
            return;
        }
        assertThat(IdempotencyKey.parse(bare).value()).isEqualTo(bare);
        assertThat(IdempotencyKey.of(bare)).isEqualTo(IdempotencyKey.parse(bare));
    }

    @Property(tries = 500)
    void spacesAndTabsAroundTheFieldValueDoNotChangeTheKey(@ForAll("validKeys") String value,
            @ForAll("optionalWhitespace") String before, @ForAll("optionalWhitespace") String after) {
        assertThat(IdempotencyKey.parse(before + sfString(value) + after).value()).isEqualTo(value);
    }

    @Property(tries = 500)
    void aKeyLongerThanTheLimitIsRefusedAsTooLong(
            @ForAll @StringLength(min = IdempotencyKey.MAX_LENGTH + 1, max = 2 * IdempotencyKey.MAX_LENGTH)
            String tail) {
        String value = "k" + "x".repeat(tail.length() - 1);
        assertThatThrownBy(() -> IdempotencyKey.parse(value))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidIdempotencyKeyException.Reason.TOO_LONG));
    }

    @Property(tries = 500)
    void twoKeysSeparatedByACommaAreRefusedAsMultipleKeys(@ForAll("validKeys") String first,
            @ForAll("validKeys") String second) {
        assertThatThrownBy(() -> IdempotencyKey.parse(sfString(first) + ", " + sfString(second)))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidIdempotencyKeyException.Reason.MULTIPLE_KEYS));
    }

    private static void assertThatKeyIsValid(String value) {
        assertThat(value.length()).isBetween(1, IdempotencyKey.MAX_LENGTH);
        assertThat(value.chars()).allMatch(c -> c >= 0x20 && c <= 0x7E);
        assertThat(value.charAt(0)).isNotEqualTo(' ');
        assertThat(value.charAt(value.length() - 1)).isNotEqualTo(' ');
    }

    private static String sfString(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    @Provide
    Arbitrary<String> validKeys() {
        Arbitrary<Character> edge = Arbitraries.chars().range((char) 0x21, (char) 0x7E);
        Arbitrary<String> middle = Arbitraries.strings().withCharRange((char) 0x20, (char) 0x7E)
                .ofMaxLength(IdempotencyKey.MAX_LENGTH - 2);
        Arbitrary<String> longer = Combinators.combine(edge, middle, edge).as((a, m, b) -> a + m + b);
        return Arbitraries.oneOf(edge.map(String::valueOf), longer);
    }

    @Provide
    Arbitrary<String> optionalWhitespace() {
        return Arbitraries.strings().withChars(' ', '\t').ofMaxLength(3);
    }

    /** Header-like values: mostly printable ASCII with the characters the parser treats specially. */
    @Provide
    Arbitrary<String> headerValues() {
        Arbitrary<Character> special = Arbitraries.of('"', '\\', ',', ' ', '\t', '\r', '\n', '\0', '\u007f', 'é',
                '\u2028', '\uD83D');
        Arbitrary<Character> printable = Arbitraries.chars().range((char) 0x20, (char) 0x7E);
        Arbitrary<Character> any = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, printable), net.jqwik.api.Tuple.of(1, special));
        return any.list().ofMaxSize(IdempotencyKey.MAX_LENGTH + 20)
                .map(chars -> {
                    StringBuilder sb = new StringBuilder(chars.size());
                    chars.forEach(sb::append);
                    return sb.toString();
                })
                .injectNull(0.01);
    }
}
