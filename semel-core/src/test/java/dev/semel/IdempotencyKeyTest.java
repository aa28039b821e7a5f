package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.InvalidIdempotencyKeyException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdempotencyKeyTest {

    @Test
    void bareTokenAndSfStringDenoteTheSameKey() {
        assertThat(IdempotencyKey.parse("order-7")).isEqualTo(IdempotencyKey.parse("\"order-7\""));
        assertThat(IdempotencyKey.parse("  order-7\t").value()).isEqualTo("order-7");
    }

    @Test
    void sfStringUnescapesQuotesAndBackslashes() {
        assertThat(IdempotencyKey.parse("\"a\\\"b\\\\c d\"").value()).isEqualTo("a\"b\\c d");
    }

    @Test
    void acceptsExactlyTheMaximumLength() {
        String max = "k".repeat(IdempotencyKey.MAX_LENGTH);
        assertThat(IdempotencyKey.parse(max).value()).hasSize(255);
        assertReason("k".repeat(256), Reason.TOO_LONG);
        assertReason("\"" + "k".repeat(256) + "\"", Reason.TOO_LONG);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''|EMPTY",
        "'   '|EMPTY",
        "'\"\"'|EMPTY",
        "'a,b'|MULTIPLE_KEYS",
        "'\"a\", \"b\"'|MULTIPLE_KEYS",
        "'\"abc'|UNTERMINATED_QUOTE",
        "'\"abc\\'|UNTERMINATED_QUOTE",
        "'\"a\\nb\"'|INVALID_ESCAPE",
        "'ab\"c'|INVALID_CHARACTER",
        "'\"abc\";p=1'|INVALID_CHARACTER",
        "'\"abc\" x'|INVALID_CHARACTER"
    })
    void refusesMalformedValuesWithAPreciseReason(String value, Reason reason) {
        assertReason(value, reason);
    }

    @Test
    void refusesControlAndNonAsciiCharacters() {
        assertReason("abc\u0001", Reason.INVALID_CHARACTER);
        assertReason("caf\u00e9", Reason.INVALID_CHARACTER);
        assertReason("\"caf\u00e9\"", Reason.INVALID_CHARACTER);
        assertReason("a\u007fb", Reason.INVALID_CHARACTER);
    }

    @Test
    void absentHeaderIsMissingAndRepeatedHeaderIsSeveralKeys() {
        assertReason(null, Reason.MISSING);
        assertThatThrownBy(() -> IdempotencyKey.parse(List.of()))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MISSING));
        assertThatThrownBy(() -> IdempotencyKey.parse(List.of("a", "a")))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MULTIPLE_KEYS));
        assertThat(IdempotencyKey.parse(List.of("\"a\""))).isEqualTo(IdempotencyKey.of("a"));
    }

    @Test
    void ofRefusesSurroundingSpacesButAllowsInnerOnes() {
        assertThat(IdempotencyKey.of("a b").value()).isEqualTo("a b");
        assertThatThrownBy(() -> IdempotencyKey.of(" a")).isInstanceOf(InvalidIdempotencyKeyException.class);
    }

    private static void assertReason(String value, Reason reason) {
        assertThatThrownBy(() -> IdempotencyKey.parse(value))
                .isInstanceOfSatisfying(InvalidIdempotencyKeyException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }
}
