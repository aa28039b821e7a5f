package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code semel.store.timeout} bounds how long a request waits for the database's pool. */
class StoreTimeoutAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, SemelAutoConfiguration.class))
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:store-timeout;DB_CLOSE_DELAY=-1",
                    "semel.store.jdbc.table-name=semel_store_timeout");

    @Test
    void bootsHikariPoolWaitsAtMostOneSecondForAConnectionByDefault() {
        runner.run(context -> {
            HikariDataSource pool = context.getBean(HikariDataSource.class);
            assertThat(pool.getConnectionTimeout()).isEqualTo(1000);
            assertThat(pool.getValidationTimeout()).isEqualTo(1000);
        });
    }

    @Test
    void aFullPoolAnswersWithinTheStoreTimeoutInsteadOfThirtySeconds() {
        runner.withPropertyValues("semel.store.timeout=300ms", "spring.datasource.hikari.maximum-pool-size=1")
                .run(context -> {
                    HikariDataSource pool = context.getBean(HikariDataSource.class);
                    try (Connection held = pool.getConnection()) {
                        assertThat(held.isValid(1)).as("the only connection is taken").isTrue();
                        long start = System.nanoTime();
                        Throwable failure = catchFailure(pool);
                        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
                        assertThat(failure).isInstanceOf(SQLTransientConnectionException.class);
                        assertThat(waitedMillis).as("gave up long before Hikari's 30 s").isLessThan(10_000);
                    }
                });
    }

    @Test
    void theStoreTimeoutIsConfigurableButNotBelowHikarisFloor() {
        runner.withPropertyValues("semel.store.timeout=2500ms")
                .run(context -> assertThat(context.getBean(HikariDataSource.class).getConnectionTimeout()).isEqualTo(2500));
        runner.withPropertyValues("semel.store.timeout=10ms")
                .run(context -> assertThat(context.getBean(HikariDataSource.class).getConnectionTimeout()).isEqualTo(250));
    }

    @Test
    void aConnectionTimeoutTheApplicationSetWins() {
        runner.withPropertyValues("spring.datasource.hikari.connection-timeout=5000")
                .run(context -> assertThat(context.getBean(HikariDataSource.class).getConnectionTimeout()).isEqualTo(5000));
    }

    @Test
    void semelTurnedOffLeavesThePoolAlone() {
        runner.withPropertyValues("semel.enabled=false")
                .run(context -> assertThat(context.getBean(HikariDataSource.class).getConnectionTimeout()).isEqualTo(30_000));
    }

    private static Throwable catchFailure(HikariDataSource pool) {
        try {
            pool.getConnection().close();
            return null;
        } catch (Exception e) {
            return e;
        }
    }
}
