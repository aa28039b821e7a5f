package dev.semel.spring.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.web.SemelWebMvcAutoConfiguration;
import dev.semel.webflux.IdempotencyWebFilter;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebFilter;

/** When the WebFlux filter is registered, and when it backs off. */
class WebFluxAutoConfigurationTest {
    private static final AutoConfigurations ALL = AutoConfigurations.of(SemelAutoConfiguration.class,
            SemelWebMvcAutoConfiguration.class, SemelWebFluxAutoConfiguration.class);

    private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
            .withConfiguration(ALL).withPropertyValues("semel.store.type=memory");

    @Test
    void aReactiveApplicationGetsTheWebFluxFilterAfterSpringSecuritysChain() {
        reactive.withPropertyValues("semel.web.path-patterns=/payments/**").run(context -> {
            assertThat(context).hasBean("semelIdempotencyWebFilter");
            SemelWebFluxAutoConfiguration.OrderedWebFilter filter =
                    context.getBean("semelIdempotencyWebFilter", SemelWebFluxAutoConfiguration.OrderedWebFilter.class);
            assertThat(filter.filter()).isInstanceOf(IdempotencyWebFilter.class);
            assertThat(filter.getOrder()).isGreaterThan(-100); // WebFilterChainProxy's order
            assertThat(context).doesNotHaveBean("semelIdempotencyFilter");
        });
    }

    @Test
    void aServletApplicationGetsNoWebFluxFilter() {
        new WebApplicationContextRunner().withConfiguration(ALL).withPropertyValues("semel.store.type=memory")
                .run(context -> {
                    assertThat(context).doesNotHaveBean("semelIdempotencyWebFilter");
                    assertThat(context).hasBean("semelIdempotencyFilter");
                });
    }

    @Test
    void theFilterBacksOffWithoutTheModuleWhenDisabledOrWhenTheApplicationHasItsOwn() {
        reactive.withClassLoader(new FilteredClassLoader(IdempotencyWebFilter.class))
                .run(context -> assertThat(context).doesNotHaveBean("semelIdempotencyWebFilter"));
        reactive.withPropertyValues("semel.web.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("semelIdempotencyWebFilter"));
        reactive.withUserConfiguration(OwnFilter.class).run(context -> {
            assertThat(context).hasSingleBean(WebFilter.class);
            assertThat(context.getBean("semelIdempotencyWebFilter")).isNotInstanceOf(
                    SemelWebFluxAutoConfiguration.OrderedWebFilter.class);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnFilter {
        @Bean
        WebFilter semelIdempotencyWebFilter() {
            return (exchange, chain) -> chain.filter(exchange);
        }
    }
}
