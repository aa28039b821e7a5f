package dev.semel.spring;

import dev.semel.micrometer.IdempotencyStoreObservationConvention;
import dev.semel.micrometer.MicrometerIdempotencyListener;
import dev.semel.spi.IdempotencyStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Records Semel's metrics ({@code semel.requests}, {@code semel.store.duration}, ...; see
 * docs/metrics.md) in the application's {@link MeterRegistry}, and an Observation per store
 * call when an {@link ObservationRegistry} exists (traces through Micrometer Tracing). A
 * {@link IdempotencyStoreObservationConvention} bean replaces the default convention. With
 * {@code semel.near-cache.enabled=true}, the near cache's figures are meters too
 * ({@code cache.gets}, {@code cache.size}, ... tagged {@code cache=semel-near-cache}).
 */
@AutoConfiguration(after = SemelAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
public class SemelMetricsAutoConfiguration {

    /** Created by Spring. */
    public SemelMetricsAutoConfiguration() {
    }

    /** The engine's listener, from semel-micrometer. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MicrometerIdempotencyListener.class)
    @ConditionalOnBean({MeterRegistry.class, IdempotencyStore.class})
    static class ListenerConfiguration {
        /**
         * The listener; the engine configuration picks up every listener bean.
         *
         * @param meterRegistry the registry
         * @param observationRegistry the observation registry, if any
         * @param convention a custom observation convention, if any
         * @param store the store, to tag meters with its kind
         * @return the listener
         */
        @Bean
        @ConditionalOnMissingBean
        MicrometerIdempotencyListener semelMicrometerListener(MeterRegistry meterRegistry,
                ObjectProvider<ObservationRegistry> observationRegistry,
                ObjectProvider<IdempotencyStoreObservationConvention> convention, IdempotencyStore store) {
            return MicrometerIdempotencyListener.builder(meterRegistry)
                    .observationRegistry(observationRegistry.getIfAvailable(() -> ObservationRegistry.NOOP))
                    .observationConvention(convention.getIfAvailable())
                    .store(store)
                    .build();
        }
    }

    /**
     * The near cache's meters: Micrometer's cache meters, which need neither semel-micrometer nor
     * semel-near-cache classes here (the figures come through {@link SemelNearCache}).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(MeterRegistry.class)
    @ConditionalOnSingleCandidate(SemelNearCache.class)
    static class NearCacheConfiguration {
        /**
         * A meter binder, which Spring Boot binds to every registry once the singletons exist, after
         * the registries' filters and common tags (declare a bean of this name to replace it).
         *
         * @param nearCache the near cache's figures
         * @return the binder
         */
        @Bean
        @ConditionalOnMissingBean(name = "semelNearCacheMetrics")
        NearCacheMetrics semelNearCacheMetrics(SemelNearCache nearCache) {
            return new NearCacheMetrics(nearCache);
        }
    }
}
