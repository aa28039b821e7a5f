package dev.semel.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.nearcache.NearCachingIdempotencyStore;
import dev.semel.spring.SemelAutoConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The {@code semel} health indicator's {@code nearCache} details: there while the near cache is on, moving with real calls. */
class NearCacheHealthTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{}".getBytes(StandardCharsets.UTF_8);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class, SemelActuatorAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory");

    @Test
    void showsTheNearCachesBoundsAndFigures() {
        runner.withPropertyValues("semel.near-cache.enabled=true", "semel.near-cache.max-entries=500",
                "semel.near-cache.max-staleness=250ms").run(context -> {
                    Idempotency engine = context.getBean(Idempotency.class);
                    IdempotencyKey key = IdempotencyKey.of("order-1");
                    engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt");
                    engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt");

                    Health health = context.getBean(IdempotencyStoreHealthIndicator.class).health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails())
                            .containsEntry("store", NearCachingIdempotencyStore.class.getSimpleName());
                    assertThat(health.getDetails().get("nearCache")).isEqualTo(Map.of("enabled", true,
                            "entries", 1L, "maxEntries", 500, "maxStaleness", Duration.ofMillis(250).toString(),
                            "hits", 1L, "misses", 1L));
                });
    }

    @Test
    void showsNoNearCacheWhenItIsOff() {
        runner.run(context -> assertThat(context.getBean(IdempotencyStoreHealthIndicator.class).health(true)
                .getDetails()).containsOnlyKeys("store"));
    }

    @Test
    void showsNoNearCacheForAnEngineOfTheApplicationsOwn() {
        runner.withPropertyValues("semel.near-cache.enabled=true").withUserConfiguration(OwnEngine.class)
                .run(context -> assertThat(context.getBean(IdempotencyStoreHealthIndicator.class).health(true)
                        .getDetails()).containsOnlyKeys("store"));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEngine {
        @Bean
        Idempotency ownEngine() {
            return Idempotency.create(new InMemoryIdempotencyStore());
        }
    }
}
