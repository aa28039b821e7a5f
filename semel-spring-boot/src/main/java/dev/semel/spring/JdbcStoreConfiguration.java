package dev.semel.spring;

import dev.semel.jdbc.ClaimMode;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.jdbc.SpringTransactionBoundary;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The JDBC store over the application's DataSource: chosen when {@code semel.store.type=jdbc},
 * or when it is unset and the application has one DataSource. Transactional through Spring's
 * transaction manager when there is one and {@code semel.store.jdbc.transactional} is true.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({JdbcIdempotencyStore.class, DataSource.class})
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnProperty(prefix = "semel.store", name = "type", havingValue = "jdbc", matchIfMissing = true)
@Import({JdbcStoreConfiguration.Transactional.class, JdbcStoreConfiguration.NonTransactional.class})
class JdbcStoreConfiguration {

    static JdbcIdempotencyStore.Builder builder(DataSource dataSource, SemelProperties properties) {
        SemelProperties.Jdbc jdbc = properties.getStore().getJdbc();
        JdbcIdempotencyStore.Builder builder = JdbcIdempotencyStore.builder(dataSource)
                .tableName(jdbc.getTableName())
                .createTableIfMissing(jdbc.isCreateTable())
                .lockWaitTimeout(jdbc.getLockWaitTimeout())
                .claimMode(jdbc.getClaimMode() == SemelProperties.JdbcClaimMode.SEPARATE_TRANSACTION
                        ? ClaimMode.SEPARATE_TRANSACTION : ClaimMode.IN_BUSINESS_TRANSACTION);
        if (jdbc.getPurgeInterval() != null && !jdbc.getPurgeInterval().isZero()) {
            builder.purgeEvery(jdbc.getPurgeInterval());
        }
        return builder;
    }

    /** Records commit with the request's writes, through the application's transaction manager. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(PlatformTransactionManager.class)
    @ConditionalOnSingleCandidate(PlatformTransactionManager.class)
    @ConditionalOnMissingBean(IdempotencyStore.class)
    @ConditionalOnProperty(prefix = "semel.store.jdbc", name = "transactional", havingValue = "true",
            matchIfMissing = true)
    static class Transactional {
        @Bean
        JdbcIdempotencyStore semelIdempotencyStore(DataSource dataSource, PlatformTransactionManager transactionManager,
                SemelProperties properties) {
            return builder(dataSource, properties)
                    .transactionBoundary(new SpringTransactionBoundary(transactionManager, dataSource))
                    .buildTransactional();
        }
    }

    /** Every store call commits on its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(IdempotencyStore.class)
    static class NonTransactional {
        @Bean
        JdbcIdempotencyStore semelIdempotencyStore(DataSource dataSource, SemelProperties properties) {
            return builder(dataSource, properties).build();
        }
    }
}
