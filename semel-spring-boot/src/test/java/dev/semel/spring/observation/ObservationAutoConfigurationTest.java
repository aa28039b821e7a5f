package dev.semel.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.micrometer.IdempotencyObservations;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.method.SemelMethodAutoConfiguration;
import dev.semel.spring.web.IdempotencyFilterCustomizer;
import dev.semel.spring.web.SemelWebMvcAutoConfiguration;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** When Semel's Observations switch on, and when they stay out of the way. */
class ObservationAutoConfigurationTest {
    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class, SemelWebMvcAutoConfiguration.class,
                    SemelMethodAutoConfiguration.class, SemelObservationAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory");

    @Test
    void observesRequestsAndMethodCallsWhenThereIsAnObservationRegistry() {
        runner.withBean(ObservationRegistry.class, ObservationRegistry::create).run(context -> {
            IdempotencyObservations observations = context.getBean(IdempotencyObservations.class);
            assertThat(context.getBean(Idempotency.class).config().listener())
                    .as("the engine reports its decisions to the observations").isSameAs(observations);
            assertThat(context).hasBean("semelObservationFilterCustomizer");
            assertThat(context.getBean("semelObservationFilterCustomizer"))
                    .isInstanceOf(IdempotencyFilterCustomizer.class);
            assertThat(context.getBean("semelObservationMethodAdvisor")).isInstanceOf(Advisor.class);
        });
    }

    @Test
    void backsOffWithoutAnObservationRegistryOrWhenDisabled() {
        runner.run(context -> assertThat(context).doesNotHaveBean(IdempotencyObservations.class)
                .doesNotHaveBean("semelObservationMethodAdvisor"));
        runner.withBean(ObservationRegistry.class, ObservationRegistry::create)
                .withPropertyValues("semel.observations.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyObservations.class)
                        .doesNotHaveBean("semelObservationFilterCustomizer")
                        .doesNotHaveBean("semelObservationMethodAdvisor"));
    }

    @Test
    void backsOffWithoutSemelMicrometer() {
        runner.withBean(ObservationRegistry.class, ObservationRegistry::create)
                .withClassLoader(new FilteredClassLoader(IdempotencyObservations.class))
                .run(context -> assertThat(context).hasSingleBean(Idempotency.class)
                        .doesNotHaveBean("semelObservationFilterCustomizer"));
    }

    @Test
    void noMethodAdvisorWhenTheMethodSupportIsOff() {
        runner.withBean(ObservationRegistry.class, ObservationRegistry::create)
                .withPropertyValues("semel.method.enabled=false")
                .run(context -> assertThat(context).hasSingleBean(IdempotencyObservations.class)
                        .doesNotHaveBean("semelObservationMethodAdvisor"));
    }
}
