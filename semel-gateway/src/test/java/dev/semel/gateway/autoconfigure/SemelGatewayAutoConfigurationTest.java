package dev.semel.gateway.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.gateway.IdempotencyGatewayFilterFactory;
import dev.semel.spring.SemelAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When a gateway application gets the {@code Idempotency} filter factory, and when it backs off. */
class SemelGatewayAutoConfigurationTest {
    private static final AutoConfigurations ALL = AutoConfigurations.of(SemelAutoConfiguration.class,
            SemelGatewayAutoConfiguration.class);

    private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
            .withConfiguration(ALL).withPropertyValues("semel.store.type=memory");

    @Test
    void aReactiveApplicationWithTheEngineGetsTheFactory() {
        reactive.run(context -> assertThat(context).hasSingleBean(IdempotencyGatewayFilterFactory.class));
    }

    @Test
    void itBacksOffWithoutSpringCloudGatewayWithoutTheEngineOrOutsideAReactiveApplication() {
        reactive.withClassLoader(new FilteredClassLoader(GatewayFilterFactory.class))
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyGatewayFilterFactory.class));
        reactive.withPropertyValues("semel.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(Idempotency.class);
            assertThat(context).doesNotHaveBean(IdempotencyGatewayFilterFactory.class);
        });
        new ApplicationContextRunner().withConfiguration(ALL).withPropertyValues("semel.store.type=memory")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyGatewayFilterFactory.class));
    }

    @Test
    void theApplicationsOwnFactoryWins() {
        reactive.withUserConfiguration(OwnFactory.class).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyGatewayFilterFactory.class);
            assertThat(context.getBean(IdempotencyGatewayFilterFactory.class).toString()).contains("X-Own");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnFactory {
        @Bean
        IdempotencyGatewayFilterFactory ownFactory(Idempotency engine) {
            return IdempotencyGatewayFilterFactory.builder(engine).callerHeader("X-Own").build();
        }
    }
}
