package dev.semel.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PathPatternTest {
    @Test
    void singleAndMultiSegmentWildcardsMatchAsInAnt() {
        assertThat(PathPattern.compile("/payments/*/refunds").matches("/payments/A/refunds")).isTrue();
        assertThat(PathPattern.compile("/payments/{id}/refunds").matches("/payments/A/refunds/")).isTrue();
        assertThat(PathPattern.compile("/payments/*/refunds").matches("/payments/A/B/refunds")).isFalse();
        assertThat(PathPattern.compile("/payments/**").matches("/payments")).isTrue();
        assertThat(PathPattern.compile("/payments/**").matches("/payments/A/refunds")).isTrue();
        assertThat(PathPattern.compile("/**/refunds").matches("/payments/A/refunds")).isTrue();
        assertThat(PathPattern.compile("/payments").matches("/payment")).isFalse();
        assertThat(PathPattern.compile("/**").matches("/")).isTrue();
        assertThat(PathPattern.compile("/payments/*/refunds").matches("//payments///A//refunds")).isTrue();
        assertThat(PathPattern.compile("//payments//**").matches("/payments/A")).isTrue();
        assertThat(PathPattern.compile("/").matches("///")).isTrue();
        assertThat(PathPattern.compile("/").matches("/a")).isFalse();
    }

    @Test
    void badPatternsAreRefused() {
        assertThatThrownBy(() -> PathPattern.compile("payments")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathPattern.compile("/pay**")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void routesRefuseSafeMethods() {
        assertThatThrownBy(() -> IdempotentRoute.builder().methods("GET"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(IdempotentRoute.builder().methods("put", "Post").build().methods()).containsExactly("POST", "PUT");
        assertThat(IdempotentRoute.DEFAULTS.protects("POST")).isTrue();
        assertThat(IdempotentRoute.DEFAULTS.protects("PUT")).isFalse();
    }
}
