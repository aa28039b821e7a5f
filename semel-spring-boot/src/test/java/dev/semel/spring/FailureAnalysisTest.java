package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Idempotency;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.test.jdbc.TestDatabases;
import io.lettuce.core.AbstractRedisClient;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

/** Wrong configuration fails the startup and says what is wrong and what fixes it. */
@ExtendWith(OutputCaptureExtension.class)
class FailureAnalysisTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class));

    @Test
    void anApplicationThatAsksForJdbcWithoutADataSourceFailsWithSpringBootsFailureReport(CapturedOutput output) {
        SpringApplication application = new SpringApplication(NoDataSourceApp.class);
        application.setWebApplicationType(WebApplicationType.NONE);

        assertThatThrownBy(() -> application.run("--semel.store.type=jdbc", "--spring.main.banner-mode=off"))
                .hasRootCauseInstanceOf(SemelConfigurationException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("semel.store.type=jdbc, but the application has no DataSource.")
                .contains("Configure one (spring.datasource.url and a JDBC driver)");
    }

    @Test
    void severalDataSourcesWithoutAPrimaryFailInsteadOfFallingBackToMemory() {
        runner.withUserConfiguration(TwoDataSources.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription()).contains("2 DataSource beans [orders, audit]")
                    .contains("will not fall back to memory");
            assertThat(analysis.getAction()).contains("@Primary");
        });
    }

    @Test
    void severalDataSourcesWithAPrimaryGiveTheJdbcStoreOnThePrimary() {
        runner.withUserConfiguration(TwoDataSources.class, PrimaryDataSource.class)
                .withPropertyValues("semel.store.jdbc.table-name=semel_primary_ds")
                .run(context -> assertThat(EngineStores.of(context.getBean(Idempotency.class)))
                        .isInstanceOf(JdbcIdempotencyStore.class));
    }

    @Test
    void aJedisConnectionFailsInsteadOfFallingBackToMemory() {
        runner.withUserConfiguration(Jedis.class).run(context -> {
            FailureAnalysis analysis = analysis(context);
            assertThat(analysis.getDescription()).contains("redisConnectionFactory (JedisConnectionFactory)")
                    .contains("not Lettuce");
            assertThat(analysis.getAction()).contains("spring.data.redis.client-type=jedis");
        });
        runner.withUserConfiguration(Jedis.class).withPropertyValues("semel.store.type=redis")
                .run(context -> assertThat(analysis(context).getDescription()).contains("not Lettuce"));
    }

    @Test
    void anExplicitStoreWhoseModuleOrClientIsMissingNamesTheDependency() {
        runner.withPropertyValues("semel.store.type=redis")
                .withClassLoader(new FilteredClassLoader(RedisIdempotencyStore.class))
                .run(context -> assertThat(analysis(context).getAction())
                        .contains("dev.semel:semel-store-redis"));
        runner.withPropertyValues("semel.store.type=redis")
                .withClassLoader(new FilteredClassLoader(AbstractRedisClient.class))
                .run(context -> assertThat(analysis(context).getAction()).contains("io.lettuce:lettuce-core"));
        runner.withPropertyValues("semel.store.type=jdbc")
                .withClassLoader(new FilteredClassLoader(JdbcIdempotencyStore.class))
                .run(context -> assertThat(analysis(context).getAction())
                        .contains("dev.semel:semel-store-jdbc"));
        runner.withPropertyValues("semel.store.type=redis")
                .run(context -> assertThat(analysis(context).getAction()).contains("spring.data.redis"));
    }

    @Test
    void aBadPropertyValueFailsNamingTheFullProperty(CapturedOutput output) {
        assertBadProperty("semel.ttl=-1s");
        assertBadProperty("semel.in-progress.max-wait=-2s");
        assertBadProperty("semel.store.jdbc.lock-wait-timeout=0s");
        assertBadProperty("semel.stored-outcomes=final,6xx");
        assertBadProperty("semel.web.methods=POST,GET");
        assertThat(output).contains("Property: semel.ttl\n", "Property: semel.in-progress.max-wait\n",
                "Property: semel.store.jdbc.lock-wait-timeout\n", "Property: semel.stored-outcomes\n",
                "Reason: semel.stored-outcomes: '6xx' is not final", "Property: semel.web.methods\n",
                "'GET' is not one of");
    }

    private static void assertBadProperty(String property) {
        SpringApplication application = new SpringApplication(NoDataSourceApp.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        assertThatThrownBy(() -> application.run("--" + property, "--spring.main.banner-mode=off"))
                .as(property).isNotNull();
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        FailureAnalysis analysis = new SemelFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(SemelAutoConfiguration.class)
    static class NoDataSourceApp {
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoDataSources {
        @Bean(destroyMethod = "")
        DataSource orders() {
            return TestDatabases.h2("semel-failure-orders");
        }

        @Bean(destroyMethod = "")
        DataSource audit() {
            return TestDatabases.h2("semel-failure-audit");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryDataSource {
        @Bean(destroyMethod = "")
        @Primary
        DataSource records() {
            return TestDatabases.h2("semel-failure-records");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Jedis {
        @Bean
        JedisConnectionFactory redisConnectionFactory() {
            return new JedisConnectionFactory();
        }
    }
}
