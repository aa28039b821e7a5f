package dev.semel.spring;

import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyListener;
import dev.semel.encryption.ResponseEncryption;
import dev.semel.spi.IdempotencyStore;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Auto-configures the Semel engine: an {@link Idempotency} bean built from {@code semel.*}
 * over an {@link IdempotencyStore} bean. Any bean the application declares itself (store,
 * configuration, engine) wins.
 *
 * <p>The store, unless the application declares one, follows {@code semel.store.type}; when
 * unset, it is chosen from what the application has: a {@code DataSource} gives the JDBC store
 * (transactional through Spring's transaction manager), else a Redis connection gives the Redis
 * store, else records are kept in memory with a startup warning (memory protects a single
 * instance only and forgets on restart).
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration"})
@ConditionalOnProperty(prefix = "semel", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SemelProperties.class)
@Import({JdbcStoreConfiguration.class, RedisStoreConfiguration.class, InMemoryStoreConfiguration.class,
        SemelEncryptionConfiguration.class, SemelNearCacheConfiguration.class})
public class SemelAutoConfiguration {
    /** Created by Spring. */
    public SemelAutoConfiguration() {
        ShutdownLogBridge.install(SemelAutoConfiguration.class.getClassLoader());
    }

    /**
     * The engine settings from {@code semel.*}, every listener bean, then every customizer.
     *
     * @param properties the properties
     * @param listeners listener beans (metrics, logs)
     * @param customizers customizer beans
     * @param policies the named policies, whose {@code default} policy comes before the top-level properties
     * @return the configuration
     */
    @Bean
    @ConditionalOnMissingBean
    IdempotencyConfig semelIdempotencyConfig(SemelProperties properties,
            ObjectProvider<IdempotencyListener> listeners, ObjectProvider<IdempotencyConfigCustomizer> customizers,
            ObjectProvider<SemelPolicies> policies) {
        // semel.policies.default, else the top-level properties: what every call naming no policy gets
        SemelPolicy defaults = policies.getIfAvailable(() -> SemelPolicies.from(properties)).defaultPolicy();
        IdempotencyConfig.Builder builder = IdempotencyConfig.custom()
                .ttl(defaults.ttl())
                .leaseDuration(defaults.lease())
                .waitPolicy(defaults.waitPolicy())
                .outcomePolicy(defaults.outcomePolicy())
                .failurePolicy(properties.getFailurePolicy())
                .storeFailureRetryAfter(properties.getStoreFailureRetryAfter())
                .listener(CompositeIdempotencyListener.of(listeners.orderedStream().toList()));
        if (properties.getOwnerId() != null && !properties.getOwnerId().isBlank()) {
            builder.ownerId(properties.getOwnerId());
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    /**
     * The named policies of {@code semel.policies.*}, resolved over the top-level properties.
     *
     * @param properties the properties
     * @return the policies
     */
    @Bean
    @ConditionalOnMissingBean
    SemelPolicies semelPolicies(SemelProperties properties) {
        return SemelPolicies.from(properties);
    }

    /**
     * Fails the startup when an {@code @Idempotent} annotation names a policy nobody defined.
     *
     * @param beanFactory the beans to look through
     * @param policies the defined policies
     * @return the check
     */
    @Bean
    static PolicyReferenceCheck semelPolicyReferenceCheck(ConfigurableListableBeanFactory beanFactory,
            ObjectProvider<SemelPolicies> policies) {
        return new PolicyReferenceCheck(beanFactory, policies);
    }

    /**
     * The engine.
     *
     * @param store the store chosen by the store configurations, or the application's
     * @param config the configuration
     * @param properties the properties
     * @param encryption encryption at rest ({@code semel.encryption.*}), if any: it wraps the store
     * @param nearCache the near cache ({@code semel.near-cache.*}), if enabled: it wraps the store outermost,
     *     so that the Actuator endpoint's deletes drop the record from it at once
     * @param listeners listener beans, added to an application's own configuration that lacks them
     * @param beanFactory to explain a missing store
     * @return the engine, closed with the context
     * @throws SemelConfigurationException if no store, or several, could be found
     */
    @Bean
    @ConditionalOnMissingBean
    Idempotency semelIdempotency(ObjectProvider<IdempotencyStore> store, IdempotencyConfig config,
            SemelProperties properties, ObjectProvider<ResponseEncryption> encryption,
            ObjectProvider<SemelNearCacheConfiguration.Wrapper> nearCache,
            ObjectProvider<IdempotencyListener> listeners, ListableBeanFactory beanFactory) {
        IdempotencyStore chosen = store.getIfUnique();
        if (chosen == null) {
            throw StoreChoice.noStore(properties, beanFactory);
        }
        // an IdempotencyConfig bean of the application's keeps the listener beans (metrics, traces)
        IdempotencyListener listener = CompositeIdempotencyListener.including(config.listener(),
                listeners.orderedStream().toList());
        IdempotencyConfig withListeners = listener == config.listener() ? config
                : config.toBuilder().listener(listener).build();
        ResponseEncryption responseEncryption = encryption.getIfAvailable();
        IdempotencyStore engineStore = responseEncryption == null ? chosen : responseEncryption.protect(chosen);
        SemelNearCacheConfiguration.Wrapper nearCacheWrapper = nearCache.getIfAvailable();
        if (nearCacheWrapper != null) {
            // outermost: it caches plaintext (no decryption per replay), and every delete passes through it
            engineStore = nearCacheWrapper.wrap(engineStore);
        }
        return Idempotency.create(engineStore, withListeners);
    }
}
