package dev.semel.spring;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyListener;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.InProgressPolicy;
import dev.semel.OutcomePolicy;
import dev.semel.spi.IdempotencyStore;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures the Semel engine: an {@link Idempotency} bean built from {@code semel.*}
 * over an {@link IdempotencyStore} bean. Any bean the application declares itself (store,
 * configuration, engine) wins.
 *
 * <p>Without a store bean (and without the JDBC or Redis store configured), records are kept in
 * memory with a startup warning: memory protects a single instance only and forgets on restart.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration"})
@ConditionalOnProperty(prefix = "semel", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SemelProperties.class)
public class SemelAutoConfiguration {
    private static final Log LOG = LogFactory.getLog(SemelAutoConfiguration.class);

    /** Created by Spring. */
    public SemelAutoConfiguration() {
    }

    /**
     * The engine settings from {@code semel.*}, every listener bean, then every customizer.
     *
     * @param properties the properties
     * @param listeners listener beans (metrics, logs)
     * @param customizers customizer beans
     * @return the configuration
     */
    @Bean
    @ConditionalOnMissingBean
    public IdempotencyConfig semelIdempotencyConfig(SemelProperties properties,
            ObjectProvider<IdempotencyListener> listeners, ObjectProvider<IdempotencyConfigCustomizer> customizers) {
        IdempotencyConfig.Builder builder = IdempotencyConfig.custom()
                .ttl(properties.getTtl())
                .leaseDuration(properties.getLease())
                .inProgressPolicy(inProgressPolicy(properties.getInProgress()))
                .outcomePolicy(properties.getStoredOutcomes() == SemelProperties.StoredOutcomes.INCLUDING_SERVER_ERRORS
                        ? OutcomePolicy.includingServerErrors()
                        : OutcomePolicy.DEFAULT)
                .failurePolicy(properties.getFailurePolicy())
                .storeFailureRetryAfter(properties.getStoreFailureRetryAfter())
                .listener(CompositeIdempotencyListener.of(listeners.orderedStream().toList()));
        if (properties.getOwnerId() != null && !properties.getOwnerId().isBlank()) {
            builder.ownerId(properties.getOwnerId());
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    static InProgressPolicy inProgressPolicy(SemelProperties.InProgress inProgress) {
        return inProgress.getPolicy() == SemelProperties.InProgressPolicy.WAIT
                ? InProgressPolicy.waitUpTo(inProgress.getMaxWait())
                : InProgressPolicy.reject();
    }

    /**
     * The engine.
     *
     * @param store the store
     * @param config the configuration
     * @return the engine, closed with the context
     */
    @Bean
    @ConditionalOnMissingBean
    public Idempotency semelIdempotency(IdempotencyStore store, IdempotencyConfig config) {
        return Idempotency.create(store, config);
    }

    /** The last resort: records in memory, with a warning, when no other store was configured. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(IdempotencyStore.class)
    @ConditionalOnProperty(prefix = "semel.store", name = "type", havingValue = "memory", matchIfMissing = true)
    static class InMemoryStoreConfiguration {
        @Bean
        InMemoryIdempotencyStore semelIdempotencyStore(SemelProperties properties) {
            if (properties.getStore().getType() == null) {
                LOG.warn("Semel keeps idempotency records in memory: they protect this instance only and are lost "
                        + "on restart. With more than one instance, add a DataSource (semel-store-jdbc) or Redis "
                        + "(semel-store-redis), or set semel.store.type=memory to silence this warning.");
            }
            return new InMemoryIdempotencyStore();
        }
    }

}
