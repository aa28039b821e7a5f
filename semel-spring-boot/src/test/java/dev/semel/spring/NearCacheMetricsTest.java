package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.micrometer.MicrometerIdempotencyListener;
import dev.semel.spring.actuate.SemelActuatorAutoConfiguration;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The near cache's figures as Micrometer's cache meters ({@code cache=semel-near-cache}), after real calls. */
class NearCacheMetricsTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final byte[] PAYLOAD = "{}".getBytes(StandardCharsets.UTF_8);
    private static final String CACHE = "semel-near-cache";

    /** Spring Boot's own metrics auto-configuration: it binds meter binders to its registry. */
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class, SemelMetricsAutoConfiguration.class,
                    SemelActuatorAutoConfiguration.class, MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory");

    private final ApplicationContextRunner nearCache = runner.withPropertyValues("semel.near-cache.enabled=true",
            "semel.near-cache.max-entries=500", "semel.near-cache.max-staleness=250ms",
            "semel.near-cache.max-body-size=8B");

    @Test
    void theMetersExistAtZeroAndMoveWithReplaysNewKeysAndLargeBodies() {
        nearCache.run(context -> {
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(gets(meters, "hit")).as("registered before the first request").isZero();
            assertThat(gets(meters, "miss")).isZero();
            assertThat(counter(meters, "cache.puts")).isZero();
            assertThat(counter(meters, "cache.evictions")).isZero();
            assertThat(counter(meters, "cache.oversized")).isZero();
            assertThat(size(meters)).isZero();

            Idempotency engine = context.getBean(Idempotency.class);
            IdempotencyKey key = IdempotencyKey.of("order-1");
            for (int i = 0; i < 3; i++) {
                engine.once(SCOPE, key, PAYLOAD, ResultCodec.utf8(), () -> "receipt");
            }
            engine.once(SCOPE, IdempotencyKey.of("order-2"), PAYLOAD, ResultCodec.utf8(), () -> "receipt");
            engine.once(SCOPE, IdempotencyKey.of("large"), PAYLOAD, ResultCodec.utf8(), () -> "a receipt over 8 bytes");

            assertThat(gets(meters, "hit")).as("the two replays of order-1").isEqualTo(2);
            assertThat(gets(meters, "miss")).as("the three new keys").isEqualTo(3);
            assertThat(counter(meters, "cache.puts")).isEqualTo(2);
            assertThat(size(meters)).isEqualTo(2);
            assertThat(counter(meters, "cache.oversized")).as("the large body, over 8B").isEqualTo(1);
            assertThat(counter(meters, "cache.evictions")).as("500 entries are room enough").isZero();
        });
    }

    /** Each meter reads its own figure (an eviction is left to Caffeine's upkeep, so it is not driven here). */
    @Test
    void eachMeterReadsItsOwnFigure() {
        MeterRegistry meters = new SimpleMeterRegistry();
        new NearCacheMetrics(new Figures(1, 2, 3, 4, 5, 6)).bindTo(meters);

        assertThat(gets(meters, "hit")).isEqualTo(1);
        assertThat(gets(meters, "miss")).isEqualTo(2);
        assertThat(counter(meters, "cache.puts")).isEqualTo(3);
        assertThat(counter(meters, "cache.evictions")).isEqualTo(4);
        assertThat(counter(meters, "cache.oversized")).isEqualTo(5);
        assertThat(size(meters)).isEqualTo(6);
        assertThat(meters.getMeters()).as("every meter carries the cache tag and nothing else names it")
                .allSatisfy(meter -> assertThat(meter.getId().getTag("cache")).isEqualTo(CACHE));
    }

    @Test
    void noNearCacheNoCacheMeters() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(SemelNearCache.class);
            assertThat(context).doesNotHaveBean("semelNearCacheMetrics");
            assertThat(context.getBean(MeterRegistry.class).find("cache.gets").tag("cache", CACHE).meters()).isEmpty();
        });
    }

    @Test
    void theNearCacheMetersNeedNeitherSemelMicrometerNorARegistryToStart() {
        nearCache.withClassLoader(new FilteredClassLoader(MicrometerIdempotencyListener.class)).run(context -> {
            assertThat(context).doesNotHaveBean(MicrometerIdempotencyListener.class);
            assertThat(gets(context.getBean(MeterRegistry.class), "hit")).isZero();
        });
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class,
                        SemelMetricsAutoConfiguration.class, SemelActuatorAutoConfiguration.class))
                .withPropertyValues("semel.store.type=memory", "semel.near-cache.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(SemelNearCache.class);
                    assertThat(context).doesNotHaveBean("semelNearCacheMetrics");
                });
    }

    @Test
    void anEngineOfTheApplicationsOwnHasNoNearCacheBeanToReport() {
        nearCache.withUserConfiguration(OwnEngine.class).run(context -> {
            assertThat(context).doesNotHaveBean(SemelNearCache.class);
            assertThat(context).doesNotHaveBean("semelNearCacheMetrics");
        });
    }

    private static double gets(MeterRegistry meters, String result) {
        return meters.get("cache.gets").tag("cache", CACHE).tag("result", result).functionCounter().count();
    }

    private static double counter(MeterRegistry meters, String name) {
        FunctionCounter counter = meters.get(name).tag("cache", CACHE).functionCounter();
        return counter.count();
    }

    private static double size(MeterRegistry meters) {
        Gauge gauge = meters.get("cache.size").tag("cache", CACHE).gauge();
        return gauge.value();
    }

    /** Fixed figures. */
    private record Figures(long hits, long misses, long puts, long evictions, long oversized, long entries)
            implements SemelNearCache {
        @Override
        public int maxEntries() {
            return 10;
        }

        @Override
        public Duration maxStaleness() {
            return Duration.ofSeconds(1);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEngine {
        @Bean
        Idempotency ownEngine() {
            return Idempotency.create(new InMemoryIdempotencyStore());
        }
    }
}
