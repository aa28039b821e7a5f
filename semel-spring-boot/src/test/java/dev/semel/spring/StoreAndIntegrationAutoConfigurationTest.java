package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.micrometer.MicrometerIdempotencyListener;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.servlet.CallerResolver;
import dev.semel.servlet.IdempotencyFilter;
import dev.semel.servlet.RouteResolver;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.actuate.IdempotencyEndpoint;
import dev.semel.spring.actuate.IdempotencyStoreHealthIndicator;
import dev.semel.spring.actuate.SemelActuatorAutoConfiguration;
import dev.semel.spring.web.SemelWebMvcAutoConfiguration;
import dev.semel.spring.web.SpringMvcRouteResolver;
import dev.semel.spring.web.SpringSecurityCallerResolver;
import dev.semel.test.jdbc.TestDatabases;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.security.core.context.SecurityContextHolder;

/** Every auto-configuration decision, with the classes and beans an application may or may not have. */
@ExtendWith(OutputCaptureExtension.class)
class StoreAndIntegrationAutoConfigurationTest {
    private static final AutoConfigurations ALL = AutoConfigurations.of(SemelAutoConfiguration.class,
            SemelMetricsAutoConfiguration.class, SemelActuatorAutoConfiguration.class,
            SemelWebMvcAutoConfiguration.class);

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(ALL);

    @Test
    void warnsAtStartupThatTheInMemoryDefaultProtectsOneInstanceOnly(CapturedOutput output) {
        runner.run(context -> {
            assertThat(EngineStores.of(context.getBean(Idempotency.class))).isInstanceOf(InMemoryIdempotencyStore.class);
            assertThat(output).contains("protect this instance only");
        });
    }

    @Test
    void anExplicitMemoryStoreDoesNotWarnAndWinsOverADataSource(CapturedOutput output) {
        runner.withUserConfiguration(H2.class).withPropertyValues("semel.store.type=memory").run(context -> {
            assertThat(EngineStores.of(context.getBean(Idempotency.class))).isInstanceOf(InMemoryIdempotencyStore.class);
            assertThat(output).doesNotContain("protect this instance only");
        });
    }

    @Test
    void aDataSourceGivesTheJdbcStoreTransactionalWhenThereIsATransactionManager() {
        runner.withUserConfiguration(H2.class, TransactionManager.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_tx")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(TransactionalJdbcIdempotencyStore.class));
    }

    @Test
    void theJdbcStoreReadsFirstUnlessReadFirstIsOff() {
        runner.withUserConfiguration(H2.class, TransactionManager.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_tx")
                .run(context -> assertThat(((JdbcIdempotencyStore) EngineStores.of(context.getBean(Idempotency.class)))
                        .readsFirst()).isTrue());
        runner.withUserConfiguration(H2.class, TransactionManager.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_tx", "semel.store.jdbc.read-first=false")
                .run(context -> assertThat(((JdbcIdempotencyStore) EngineStores.of(context.getBean(Idempotency.class)))
                        .readsFirst()).isFalse());
        runner.withUserConfiguration(H2.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_plain", "semel.store.jdbc.read-first=false")
                .run(context -> assertThat(((JdbcIdempotencyStore) EngineStores.of(context.getBean(Idempotency.class)))
                        .readsFirst()).isFalse());
    }

    @Test
    void aDataSourceWithoutTransactionManagerOrWithTransactionalOffGivesThePlainJdbcStore() {
        runner.withUserConfiguration(H2.class).withPropertyValues("semel.store.jdbc.table-name=semel_ctx_plain")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isExactlyInstanceOf(JdbcIdempotencyStore.class));
        runner.withUserConfiguration(H2.class, TransactionManager.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_ctx_plain", "semel.store.jdbc.transactional=false")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isExactlyInstanceOf(JdbcIdempotencyStore.class));
    }

    @Test
    void usesTheConfiguredTableAndCreatesItWhenMissing() throws Exception {
        String table = "semel_ctx_named_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        DataSource h2 = TestDatabases.h2("semel-spring-context");
        assertThat(tableExists(h2, table)).as("missing before the application starts").isFalse();
        try {
            runner.withUserConfiguration(H2.class).withPropertyValues("semel.store.jdbc.table-name=" + table)
                    .run(context -> {
                        Idempotency engine = context.getBean(Idempotency.class);
                        assertThat(((JdbcIdempotencyStore) EngineStores.of(engine)).tableName()).isEqualTo(table);
                        assertThat(tableExists(h2, table)).as("created at startup").isTrue();
                        engine.once(dev.semel.Scope.of("alice", "charge"), dev.semel.IdempotencyKey.of("k-1"),
                                new byte[] {1}, dev.semel.ResultCodec.utf8(), () -> "done");
                        try (java.sql.Connection c = h2.getConnection();
                                java.sql.Statement st = c.createStatement();
                                java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
                            rs.next();
                            assertThat(rs.getLong(1)).as("the record went into that table").isOne();
                        }
                    });
        } finally {
            try (java.sql.Connection c = h2.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    /** Asks the database's own metadata, in whatever case it stores unquoted names. */
    private static boolean tableExists(DataSource dataSource, String table) throws java.sql.SQLException {
        try (java.sql.Connection c = dataSource.getConnection();
                java.sql.ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                if (rs.getString("TABLE_NAME").equalsIgnoreCase(table)) {
                    return true;
                }
            }
            return false;
        }
    }

    @Test
    void theHealthIndicatorReportsAJdbcStoreWhoseTableIsMissingDown() {
        runner.withBean("dataSource", DataSource.class, () -> TestDatabases.h2("semel-spring-no-table"),
                        bd -> bd.setDestroyMethodName(""))
                .withPropertyValues("semel.store.jdbc.create-table=false", "semel.store.jdbc.table-name=semel_absent")
                .run(context -> assertThat(context.getBean(IdempotencyStoreHealthIndicator.class).health().getStatus())
                        .isEqualTo(Status.DOWN));
        runner.withUserConfiguration(H2.class).withPropertyValues("semel.store.jdbc.table-name=semel_ctx_health")
                .run(context -> assertThat(context.getBean(IdempotencyStoreHealthIndicator.class).health().getStatus())
                        .isEqualTo(Status.UP));
    }

    @Test
    void withoutTheJdbcStoreOnTheClassPathADataSourceFallsBackToMemory() {
        runner.withUserConfiguration(H2.class).withClassLoader(new FilteredClassLoader(JdbcIdempotencyStore.class))
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(InMemoryIdempotencyStore.class));
    }

    @Test
    void aRedisClientGivesTheRedisStoreWithTheConfiguredPrefix() {
        String prefix = "semel-ctx-" + java.util.UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisClient own = RedisClient.create(TestRedis.url());
        try (io.lettuce.core.api.StatefulRedisConnection<String, String> connection = own.connect()) {
            io.lettuce.core.api.sync.RedisCommands<String, String> redis = connection.sync();
            runner.withUserConfiguration(Redis.class).withPropertyValues("semel.store.redis.key-prefix=" + prefix)
                    .run(context -> {
                        Idempotency engine = context.getBean(Idempotency.class);
                        assertThat(EngineStores.of(engine)).isInstanceOf(RedisIdempotencyStore.class);
                        dev.semel.Scope scope = dev.semel.Scope.of("alice", "charge");
                        dev.semel.IdempotencyKey key = dev.semel.IdempotencyKey.of("k-1");
                        engine.once(scope, key, new byte[] {1}, dev.semel.ResultCodec.utf8(), () -> "done");
                        // SCAN, not the store's own view: the keys as any other Redis client sees them
                        List<String> keys = new java.util.ArrayList<>();
                        io.lettuce.core.KeyScanCursor<String> cursor = redis.scan(
                                io.lettuce.core.ScanArgs.Builder.matches(prefix + "*").limit(1000));
                        keys.addAll(cursor.getKeys());
                        while (!cursor.isFinished()) {
                            cursor = redis.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(prefix + "*")
                                    .limit(1000));
                            keys.addAll(cursor.getKeys());
                        }
                        assertThat(keys).containsExactly(prefix + "{" + scope.recordId(key) + "}");
                        assertThat(redis.exists(prefix + "{" + scope.recordId(key) + "}")).isOne();
                    });
            List<String> left = redis.keys(prefix + "*");
            if (!left.isEmpty()) {
                redis.del(left.toArray(String[]::new));
            }
        } finally {
            own.shutdown();
        }
    }

    @Test
    void aRedisThatEvictsKeysIsRefusedUnlessTheApplicationAllowsIt() {
        try (TestRedis.Server evicting = TestRedis.startPrivate("maxmemory 64mb", "maxmemory-policy volatile-lru")) {
            EvictingRedis.url = evicting.url();
            runner.withUserConfiguration(EvictingRedis.class).run(context -> assertThat(context).getFailure()
                    .hasStackTraceContaining("volatile-lru")
                    .hasStackTraceContaining("semel.store.redis.allow-eviction"));
            runner.withUserConfiguration(EvictingRedis.class)
                    .withPropertyValues("semel.store.redis.allow-eviction=true")
                    .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                            .isInstanceOf(RedisIdempotencyStore.class));
        }
    }

    @Test
    void aDataSourceWinsOverRedisUnlessRedisIsAskedFor() {
        runner.withUserConfiguration(H2.class, Redis.class).withPropertyValues("semel.store.jdbc.table-name=semel_ctx_r")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(JdbcIdempotencyStore.class));
        runner.withUserConfiguration(H2.class, Redis.class).withPropertyValues("semel.store.type=redis")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(RedisIdempotencyStore.class));
    }

    @Test
    void withoutTheRedisStoreOnTheClassPathARedisClientFallsBackToMemory() {
        runner.withUserConfiguration(Redis.class).withClassLoader(new FilteredClassLoader(RedisIdempotencyStore.class))
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(InMemoryIdempotencyStore.class));
    }

    @Test
    void anExplicitStoreTypeThatCannotBeBuiltFailsTheStartupWithAClearMessage() {
        runner.withPropertyValues("semel.store.type=jdbc").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(SemelConfigurationException.class)
                    .hasMessageContaining("semel.store.type=jdbc").hasMessageContaining("no DataSource");
        });
    }

    @Test
    void aStoreBeanOfTheApplicationWinsOverEveryDefault() {
        runner.withUserConfiguration(H2.class, Redis.class, UserStore.class).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStore.class);
            assertThat(EngineStores.of(context.getBean(Idempotency.class))).isSameAs(context.getBean("myStore"));
        });
    }

    @Test
    void aMeterRegistryGivesTheMicrometerListenerWhichTheEngineUses() {
        runner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasSingleBean(MicrometerIdempotencyListener.class);
            assertThat(context.getBean(Idempotency.class).config().listener())
                    .isSameAs(context.getBean(MicrometerIdempotencyListener.class));
        });
    }

    @Test
    void noMeterRegistryOrNoSemelMicrometerMeansNoListener() {
        runner.run(context -> assertThat(context).doesNotHaveBean(MicrometerIdempotencyListener.class));
        runner.withBean(SimpleMeterRegistry.class)
                .withClassLoader(new FilteredClassLoader(MicrometerIdempotencyListener.class))
                .run(context -> assertThat(context).doesNotHaveBean("semelMicrometerListener"));
    }

    @Test
    void registersTheHealthIndicatorAndTheEndpointOnlyWhenExposed() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(IdempotencyStoreHealthIndicator.class);
            assertThat(context).doesNotHaveBean(IdempotencyEndpoint.class);
        });
        runner.withPropertyValues("management.endpoints.web.exposure.include=idempotency")
                .run(context -> assertThat(context).hasSingleBean(IdempotencyEndpoint.class));
        runner.withPropertyValues("management.health.semel.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyStoreHealthIndicator.class));
    }

    @Test
    void registersTheFilterInAServletWebApplicationOnly() {
        runner.run(context -> assertThat(context).doesNotHaveBean(FilterRegistrationBean.class));
        web().run(context -> {
            assertThat(context).hasBean("semelIdempotencyFilter");
            assertThat(context.getBean("semelIdempotencyFilter", FilterRegistrationBean.class).getFilter())
                    .isInstanceOf(IdempotencyFilter.class);
            assertThat(context).hasSingleBean(SpringMvcRouteResolver.class);
            assertThat(context).hasSingleBean(SpringSecurityCallerResolver.class);
        });
    }

    @Test
    void theWebIntegrationBacksOffWithoutTheServletModuleOrWhenDisabled() {
        web().withClassLoader(new FilteredClassLoader(IdempotencyFilter.class))
                .run(context -> assertThat(context).doesNotHaveBean("semelIdempotencyFilter"));
        web().withPropertyValues("semel.web.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("semelIdempotencyFilter"));
    }

    @Test
    void withoutSpringSecurityTheCallerIsTheServletPrincipal() {
        web().withClassLoader(new FilteredClassLoader(SecurityContextHolder.class))
                .run(context -> {
                    assertThat(context).hasBean("semelIdempotencyFilter");
                    assertThat(context).doesNotHaveBean(CallerResolver.class);
                });
    }

    @Test
    void resolversOfTheApplicationWin() {
        web().withUserConfiguration(UserResolvers.class).run(context -> {
            assertThat(context).doesNotHaveBean(SpringMvcRouteResolver.class);
            assertThat(context).doesNotHaveBean(SpringSecurityCallerResolver.class);
            assertThat(context).hasBean("semelIdempotencyFilter");
        });
    }

    private WebApplicationContextRunner web() {
        return new WebApplicationContextRunner().withConfiguration(ALL);
    }

    @Configuration(proxyBeanMethods = false)
    static class H2 {
        @Bean(destroyMethod = "")
        DataSource dataSource() {
            return TestDatabases.h2("semel-spring-context");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionManager {
        @Bean
        JdbcTransactionManager transactionManager(DataSource dataSource) {
            return new JdbcTransactionManager(dataSource);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Redis {
        @Bean(destroyMethod = "shutdown")
        RedisClient redisClient() {
            return RedisClient.create(TestRedis.url());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class EvictingRedis {
        static volatile String url;

        @Bean(destroyMethod = "shutdown")
        RedisClient redisClient() {
            return RedisClient.create(url);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserStore {
        @Bean
        IdempotencyStore myStore() {
            return new InMemoryIdempotencyStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserResolvers {
        @Bean
        RouteResolver myRoutes() {
            return RouteResolver.SERVLET_PATH;
        }

        @Bean
        CallerResolver myCallers() {
            return request -> request.getHeader("X-Tenant");
        }
    }
}
