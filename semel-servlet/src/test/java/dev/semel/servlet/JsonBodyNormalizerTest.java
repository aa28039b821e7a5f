package dev.semel.servlet;

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
    void pointersMustStartWithASlash() {
        assertThatThrownBy(() -> JsonBodyNormalizer.ignoring("sentAt")).isInstanceOf(IllegalArgumentException.class);
    }
}
