package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.FailurePolicy;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.WaitPolicy;
import dev.semel.spi.IdempotencyStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class SemelAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class));

    @Test
    void providesAnEngineOverAnInMemoryStoreWhenTheApplicationHasNoOther() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(Idempotency.class);
            assertThat(context).hasSingleBean(InMemoryIdempotencyStore.class);
            assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                    .isSameAs(context.getBean(IdempotencyStore.class));
        });
    }

    @Test
    void appliesThePropertiesToTheEngineConfiguration() {
        runner.withPropertyValues("semel.ttl=2h", "semel.lease=10s", "semel.in-progress.policy=wait",
                "semel.in-progress.max-wait=3s", "semel.failure-policy=fail-open", "semel.owner-id=node-1")
                .run(context -> {
                    IdempotencyConfig config = context.getBean(Idempotency.class).config();
                    assertThat(config.ttl()).isEqualTo(Duration.ofHours(2));
                    assertThat(config.leaseDuration()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(config.waitPolicy()).isEqualTo(WaitPolicy.waitUpTo(Duration.ofSeconds(3)));
                    assertThat(config.failurePolicy()).isEqualTo(FailurePolicy.FAIL_OPEN);
                    assertThat(config.ownerId()).isEqualTo("node-1");
                });
    }

    @Test
    void aStoreBeanOfTheApplicationWinsOverTheInMemoryDefault() {
        runner.withUserConfiguration(UserStore.class).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStore.class);
            assertThat(EngineStores.of(context.getBean(Idempotency.class))).isSameAs(UserStore.STORE);
        });
    }

    @Test
    void backsOffEntirelyWhenDisabled() {
        runner.withPropertyValues("semel.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(Idempotency.class)
                        .doesNotHaveBean(IdempotencyStore.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class UserStore {
        static final IdempotencyStore STORE = new InMemoryIdempotencyStore();

        @Bean
        IdempotencyStore myStore() {
            return STORE;
        }
    }
}
