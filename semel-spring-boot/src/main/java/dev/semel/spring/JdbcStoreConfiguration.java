package dev.semel.spring;

import dev.semel.jdbc.ClaimMode;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.jdbc.SpringTransactionBoundary;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The JDBC store over the application's DataSource: chosen when {@code semel.store.type=jdbc},
 * or when it is unset and the application has one DataSource. Transactional through Spring's
 * transaction manager when there is one and {@code semel.store.jdbc.transactional} is true.
 *
 * <p>The store is created after the application's database initializers (Flyway, Liquibase,
 * {@code spring.sql.init}) through {@link DependsOnDatabaseInitialization}, so a table that a
 * migration creates exists before the store first reads it; its own schema script runs per
 * {@code semel.store.jdbc.initialize-schema}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({JdbcIdempotencyStore.class, DataSource.class})
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnProperty(prefix = "semel.store", name = "type", havingValue = "jdbc", matchIfMissing = true)
@Import({JdbcStoreConfiguration.WithSpringJdbc.class, JdbcStoreConfiguration.WithoutSpringJdbc.class,
        JdbcStoreConfiguration.WithHikari.class})
class JdbcStoreConfiguration {

    static JdbcIdempotencyStore.Builder builder(DataSource dataSource, SemelProperties properties) {
        SemelProperties.Jdbc jdbc = properties.getStore().getJdbc();
        JdbcIdempotencyStore.Builder builder = JdbcIdempotencyStore.builder(dataSource)
                .tableName(jdbc.getTableName())
                .createTableIfMissing(SchemaInitialization.runsScript(jdbc.effectiveInitializeSchema(), dataSource))
                .lockWaitTimeout(jdbc.getLockWaitTimeout())
                .readFirst(jdbc.isReadFirst())
                .claimMode(jdbc.getClaimMode() == SemelProperties.JdbcClaimMode.SEPARATE_TRANSACTION
                        ? ClaimMode.SEPARATE_TRANSACTION : ClaimMode.IN_BUSINESS_TRANSACTION);
        if (jdbc.getPurgeInterval() != null && !jdbc.getPurgeInterval().isZero()) {
            builder.purgeEvery(jdbc.getPurgeInterval());
        }
        return builder;
    }

    /**
     * With Spring's JDBC support: transactional through the application's transaction manager
     * when there is exactly one and {@code semel.store.jdbc.transactional} is true (decided when
     * the store is created, so the order of auto-configurations does not matter).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({PlatformTransactionManager.class, DataSourceUtils.class})
    @ConditionalOnMissingBean(IdempotencyStore.class)
    static class WithSpringJdbc {
        @Bean
        @DependsOnDatabaseInitialization
        JdbcIdempotencyStore semelIdempotencyStore(DataSource dataSource,
                ObjectProvider<PlatformTransactionManager> transactionManager, SemelProperties properties) {
            JdbcIdempotencyStore.Builder builder = builder(dataSource, properties);
            PlatformTransactionManager manager = transactionManager.getIfUnique();
            if (!properties.getStore().getJdbc().isTransactional() || manager == null) {
                return builder.build();
            }
            return builder.transactionBoundary(new SpringTransactionBoundary(manager, dataSource))
                    .buildTransactional();
        }
    }

    /**
     * Spring Boot's Hikari pool: its wait for a connection bounded by {@code semel.store.timeout}
     * (see {@link HikariConnectionWait}).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "com.zaxxer.hikari.HikariDataSource")
    static class WithHikari {
        @Bean
        static HikariConnectionWait semelHikariConnectionWait(Environment environment) {
            return new HikariConnectionWait(environment);
        }
    }

    /** A DataSource without Spring's JDBC support: every store call commits on its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("org.springframework.jdbc.datasource.DataSourceUtils")
    @ConditionalOnMissingBean(IdempotencyStore.class)
    static class WithoutSpringJdbc {
        @Bean
        @DependsOnDatabaseInitialization
        JdbcIdempotencyStore semelIdempotencyStore(DataSource dataSource, SemelProperties properties) {
            return builder(dataSource, properties).build();
        }
    }
}
