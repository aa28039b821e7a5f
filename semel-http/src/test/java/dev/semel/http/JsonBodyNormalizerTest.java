package dev.semel.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonBodyNormalizerTest {
    private static final String JSON = "application/json";

    private static String normalize(JsonBodyNormalizer n, String contentType, String body) {
        return new String(n.normalize(contentType, body.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    private static String normalize(String body) {
        return normalize(JsonBodyNormalizer.create(), JSON, body);
    }

    @Test
    void keyOrderWhitespaceAndNumberSpellingDoNotChangeTheCanonicalForm() {
        String canonical = normalize("{\"b\":[1,2.50,{\"y\":true,\"x\":null}],\"a\":\"\\u00e9\"}");
        assertThat(normalize(" { \"a\" : \"\u00e9\" ,\n\"b\":[1.0, 25e-1, {\"x\":null, \"y\":true}] } "))
                .isEqualTo(canonical);
        assertThat(normalize("[100]")).isEqualTo(normalize("[1e2]")).isEqualTo(normalize("[100.000]"));
        assertThat(normalize("[0]")).isEqualTo(normalize("[-0.0]"));
    }

    @Test
    void differentValuesStayDifferent() {
        assertThat(normalize("{\"a\":1}")).isNotEqualTo(normalize("{\"a\":\"1\"}"));
        assertThat(normalize("[1,2]")).isNotEqualTo(normalize("[2,1]"));
        assertThat(normalize("{\"a\":1.5}")).isNotEqualTo(normalize("{\"a\":1.50001}"));
        assertThat(normalize("{\"a\":null}")).isNotEqualTo(normalize("{}"));
    }

    @Test
    void ignoredPointersRemoveValuesWhereverTheyAre() {
        JsonBodyNormalizer n = JsonBodyNormalizer.ignoring("/sentAt", "/items/1", "/a~1b", "/m~0n/x");
        assertThat(normalize(n, JSON, "{\"sentAt\":1,\"items\":[\"keep\",\"drop\"],\"a/b\":1,\"m~n\":{\"x\":1,\"y\":2}}"))
                .isEqualTo(normalize(n, JSON, "{\"sentAt\":2,\"items\":[\"keep\",{\"other\":1}],\"a/b\":[],"
                        + "\"m~n\":{\"y\":2,\"x\":[3]}}"))
                .isEqualTo(normalize("{\"items\":[\"keep\"],\"m~n\":{\"y\":2}}"));
    }

    @Test
    void onlyJsonMediaTypesAreNormalized() {
        assertThat(JsonBodyNormalizer.isJson("application/json; charset=utf-8")).isTrue();
        assertThat(JsonBodyNormalizer.isJson("Application/Problem+JSON")).isTrue();
        assertThat(JsonBodyNormalizer.isJson("text/plain")).isFalse();
        assertThat(JsonBodyNormalizer.isJson(null)).isFalse();
        assertThat(normalize(JsonBodyNormalizer.create(), "text/plain", "{ \"a\" : 1 }")).isEqualTo("{ \"a\" : 1 }");
    }

    @Test
    void invalidJsonIsAnIllegalArgument() {
        for (String bad : new String[] {"{\"a\":", "{\"a\":1} trailing", "[1,]", "{'a':1}", "[" .repeat(5000)}) {
            assertThatThrownBy(() -> normalize(bad)).as(bad.substring(0, Math.min(20, bad.length())))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void nestingDeeperThanTheLimitIsRefusedAsALimitNotAsInvalidJson() {
        JsonBodyNormalizer n = JsonBodyNormalizer.create();
        int max = JsonBodyNormalizer.DEFAULT_MAX_NESTING_DEPTH;
        assertThat(normalize("{\"a\":".repeat(max - 1) + "[1]" + "}".repeat(max - 1))).isNotEmpty();
        for (String deep : new String[] {"[".repeat(max + 1) + "]".repeat(max + 1),
                "{\"a\":".repeat(max) + "[1]" + "}".repeat(max), "[".repeat(500_000)}) {
            assertThatThrownBy(() -> normalize(deep))
                    .isInstanceOfSatisfying(JsonLimitExceededException.class, e -> {
                        assertThat(e.limit()).isEqualTo(JsonLimitExceededException.Limit.NESTING_DEPTH);
                        assertThat(e.max()).isEqualTo(max);
                    });
        }
        assertThat(normalize(n.withMaxNestingDepth(600), JSON, "[".repeat(499) + "]".repeat(499))).isNotEmpty();
    }

    @Test
    void numbersLongerThanTheLimitAreRefused() {
        int max = JsonBodyNormalizer.DEFAULT_MAX_NUMBER_LENGTH;
        assertThat(normalize("[" + "1".repeat(max) + "]")).isNotEmpty();
        assertThatThrownBy(() -> normalize("[" + "1".repeat(max + 1) + "]"))
                .isInstanceOfSatisfying(JsonLimitExceededException.class,
                        e -> assertThat(e.limit()).isEqualTo(JsonLimitExceededException.Limit.NUMBER_LENGTH));
        assertThatThrownBy(() -> normalize("{\"a\":0." + "0".repeat(5000) + "1}"))
                .isInstanceOf(JsonLimitExceededException.class);
        JsonBodyNormalizer longNumbers = JsonBodyNormalizer.create().withMaxNumberLength(5000);
        assertThat(normalize(longNumbers, JSON, "[0." + "0".repeat(3000) + "1]"))
                .isEqualTo(normalize(longNumbers, JSON, "[1e-3001]"));
    }

    @Test
    void limitsMustBeSensible() {
        assertThatThrownBy(() -> JsonBodyNormalizer.create().withMaxNestingDepth(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonBodyNormalizer.create().withMaxNestingDepth(100_000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonBodyNormalizer.create().withMaxNumberLength(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void numbersAreComparedByValueWhateverTheirSpellingOrSize() {
        assertThat(normalize("[1e99999999999999999999]")).isEqualTo(normalize("[10e99999999999999999998]"))
                .isEqualTo(normalize("[0.1E+100000000000000000000]"));
        assertThat(normalize("[1e99999999999999999999]")).isNotEqualTo(normalize("[1e99999999999999999998]"));
        assertThat(normalize("[-120.0500]")).isEqualTo(normalize("[-12005e-2]")).isEqualTo(normalize("[-1.2005E+2]"));
        assertThat(normalize("[-120.0500]")).isNotEqualTo(normalize("[120.05]"));
        assertThat(normalize("[0.000]")).isEqualTo(normalize("[0e7]")).isEqualTo(normalize("[-0]"));
        assertThat(normalize("[12345678901234567890123]")).isEqualTo(normalize("[1.2345678901234567890123e22]"));
        assertThat(normalize("[1e-0]")).isEqualTo(normalize("[1]")).isEqualTo(normalize("[1e0]"));
    }

    @Test
    void nestedObjectsOutOfOrderAtEveryLevelAreSortedAtEveryLevel() {
        StringBuilder reversed = new StringBuilder();
        StringBuilder ordered = new StringBuilder();
        int levels = 90;
        for (int i = 0; i < levels; i++) {
            reversed.append("{\"z\":[").append(i).append(",{\"y\":1,\"x\":2}],\"b\":");
            ordered.append("{\"b\":");
        }
        reversed.append("null");
        ordered.append("null");
        for (int i = levels - 1; i >= 0; i--) {
            reversed.append('}');
            ordered.append(",\"z\":[").append(i).append(",{\"x\":2,\"y\":1}]}");
        }
        assertThat(normalize(reversed.toString())).isEqualTo(normalize(ordered.toString()));
    }

    @Test
    void pointersMustStartWithASlash() {
        assertThatThrownBy(() -> JsonBodyNormalizer.ignoring("sentAt")).isInstanceOf(IllegalArgumentException.class);
    }
}
