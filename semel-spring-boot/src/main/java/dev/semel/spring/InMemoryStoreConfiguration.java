package dev.semel.spring;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The last resort: records in memory, with a warning, when no other store was configured; but a
 * failure instead when the application clearly has a shared store Semel cannot pick by itself
 * (several DataSources without a primary, a Redis connection that is not Lettuce).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean(IdempotencyStore.class)
@ConditionalOnProperty(prefix = "semel.store", name = "type", havingValue = "memory", matchIfMissing = true)
class InMemoryStoreConfiguration {
    private static final Log LOG = LogFactory.getLog(InMemoryStoreConfiguration.class);

    @Bean
    InMemoryIdempotencyStore semelIdempotencyStore(SemelProperties properties, ListableBeanFactory beans) {
        if (properties.getStore().getType() == null) {
            StoreChoice.checkInMemoryFallback(beans);
            LOG.warn("Semel keeps idempotency records in memory: they protect this instance only and are lost "
                    + "on restart. With more than one instance, add a DataSource (semel-store-jdbc) or Redis "
                    + "(semel-store-redis), or set semel.store.type=memory to silence this warning.");
        }
        SemelProperties.Memory memory = properties.getStore().getMemory();
        return InMemoryIdempotencyStore.builder()
                .maxRecords(memory.getMaxRecords())
                .maxBytes(memory.getMaxBytes().toBytes())
                .build();
    }
}
