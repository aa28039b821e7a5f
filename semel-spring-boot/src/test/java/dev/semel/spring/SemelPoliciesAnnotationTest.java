package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.CallOptions;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-request lookups the web integrations make answer as the annotations say, from memory. */
class SemelPoliciesAnnotationTest {
    private final SemelPolicies policies = SemelPolicies.from(new SemelProperties());

    @Idempotent(ttl = "2h")
    static class AnnotatedClass {
        public void inherits() {
        }

        @Idempotent(ttl = "5m", required = true)
        public void own() {
        }
    }

    static class PlainClass {
        public void plain() {
        }

        @Payment
        public void meta() {
        }

        @Idempotent(policy = "nope")
        public void unknownPolicy() {
        }
    }

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @Idempotent(ttl = "1d")
    @interface Payment {
    }

    @Test
    void theMethodsAnnotationWinsOverItsClassesAndMetaAnnotationsCount() throws Exception {
        assertThat(policies.idempotentOf(method(AnnotatedClass.class, "own"), AnnotatedClass.class).ttl())
                .isEqualTo("5m");
        assertThat(policies.idempotentOf(method(AnnotatedClass.class, "inherits"), AnnotatedClass.class).ttl())
                .isEqualTo("2h");
        assertThat(policies.idempotentOf(method(PlainClass.class, "meta"), PlainClass.class).ttl()).isEqualTo("1d");
        assertThat(policies.idempotentOf(method(PlainClass.class, "plain"), PlainClass.class)).isNull();
    }

    @Test
    void aRepeatedLookupIsAnsweredFromMemoryWithTheSameRule() throws Exception {
        Method own = method(AnnotatedClass.class, "own");
        Idempotent first = policies.idempotentOf(own, AnnotatedClass.class);
        assertThat(policies.idempotentOf(own, AnnotatedClass.class)).isSameAs(first);
        CallOptions options = policies.callOptions(first, null, "AnnotatedClass#own");
        assertThat(policies.callOptions(first, null, "AnnotatedClass#own")).isSameAs(options);
        assertThat(options.toString()).contains("ttl=" + Duration.ofMinutes(5));
    }

    @Test
    void anUnknownPolicyFailsEveryTimeItIsAskedForNotOnlyTheFirst() throws Exception {
        Idempotent unknown = policies.idempotentOf(method(PlainClass.class, "unknownPolicy"), PlainClass.class);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> policies.callOptions(unknown, null, "PlainClass#unknownPolicy"))
                    .isInstanceOf(SemelConfigurationException.class).hasMessageContaining("nope");
        }
    }

    private static Method method(Class<?> type, String name) throws NoSuchMethodException {
        return type.getMethod(name);
    }
}
