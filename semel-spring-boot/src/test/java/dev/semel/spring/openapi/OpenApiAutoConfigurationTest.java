package dev.semel.spring.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.web.SemelWebMvcAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springdoc.core.customizers.GlobalOperationComponentsCustomizer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** When the springdoc integration switches on, and when it stays out of the way. */
class OpenApiAutoConfigurationTest {
    private static final AutoConfigurations SEMEL = AutoConfigurations.of(SemelAutoConfiguration.class,
            SemelWebMvcAutoConfiguration.class, SemelOpenApiAutoConfiguration.class);

    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(SEMEL)
            .withPropertyValues("semel.store.type=memory");

    @Test
    void documentsProtectedOperationsWhenSpringdocAndTheFilterArePresent() {
        web.run(context -> assertThat(context).hasSingleBean(IdempotencyOperationCustomizer.class)
                .getBean(GlobalOperationComponentsCustomizer.class).isInstanceOf(IdempotencyOperationCustomizer.class));
    }

    @Test
    void backsOffWithoutSpringdoc() {
        web.withClassLoader(new FilteredClassLoader(GlobalOperationComponentsCustomizer.class))
                .run(context -> {
                    assertThat(context).hasBean("semelIdempotencyFilter");
                    assertThat(context).doesNotHaveBean(IdempotencyOperationCustomizer.class);
                });
    }

    @Test
    void backsOffWhenDisabledOrWithoutTheFilter() {
        web.withPropertyValues("semel.openapi.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyOperationCustomizer.class));
        web.withPropertyValues("semel.web.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyOperationCustomizer.class));
        new ApplicationContextRunner().withConfiguration(SEMEL)
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyOperationCustomizer.class));
    }

    @Test
    void anApplicationsOwnCustomizerWins() {
        IdempotencyOperationCustomizer own = new IdempotencyOperationCustomizer(() -> null, () -> null,
                java.util.List::of, "Idempotency-Key");
        web.withBean(IdempotencyOperationCustomizer.class, () -> own)
                .run(context -> assertThat(context.getBean(IdempotencyOperationCustomizer.class)).isSameAs(own));
    }
}
