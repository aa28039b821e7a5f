package dev.semel.spring.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.jdbc.SpringTransactionBoundary;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code @Idempotent} on a {@code @Transactional} method with the JDBC store in transactional mode
 * (joined to Spring's transaction manager by {@link SpringTransactionBoundary}), on a real database (PostgreSQL from {@code SEMEL_TEST_POSTGRES_URL}, else H2): the
 * record and the method's writes commit or roll back together.
 */
class TransactionalIdempotentMethodTest {
    private static final String SUFFIX = UUID.randomUUID().toString().replace("-", "").substring(0, 10)
            .toLowerCase(Locale.ROOT);
    static final String RECORDS = "semel_method_tx_" + SUFFIX;
    static final String DEPOSITS = "semel_method_deposits_" + SUFFIX;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                    SemelMethodAutoConfiguration.class))
            .withUserConfiguration(Database.class)
            // no store bean of our own: the auto-configured one must be the transactional store
            .withPropertyValues("semel.store.type=jdbc", "semel.store.jdbc.table-name=" + RECORDS,
                    "semel.store.jdbc.initialize-schema=always");

    /** Leaves nothing behind in a shared database. */
    @AfterAll
    static void dropTables() {
        new ApplicationContextRunner().withUserConfiguration(Database.class).run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            jdbc.execute("DROP TABLE IF EXISTS " + DEPOSITS);
            jdbc.execute("DROP TABLE IF EXISTS " + RECORDS);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    static class Database {
        @Bean
        DataSource dataSource() {
            String url = System.getenv("SEMEL_TEST_POSTGRES_URL");
            return DataSourceBuilder.create()
                    .url(url != null && !url.isBlank() ? url : "jdbc:h2:mem:semel-method-tx;DB_CLOSE_DELAY=-1")
                    .build();
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

        @Bean
        JdbcTemplate jdbcTemplate(DataSource dataSource) {
            JdbcTemplate jdbc = new JdbcTemplate(dataSource);
            jdbc.execute("CREATE TABLE IF NOT EXISTS " + DEPOSITS + " (request_id VARCHAR(64), cents BIGINT)");
            return jdbc;
        }

        @Bean
        Deposits deposits(JdbcTemplate jdbc, DataSource dataSource) {
            return new Deposits(jdbc, dataSource);
        }
    }

    static class Deposits {
        final JdbcTemplate jdbc;
        final DataSource dataSource;
        volatile boolean failAfterInsert;
        volatile long recordsSeenFromOutside = -1;

        Deposits(JdbcTemplate jdbc, DataSource dataSource) {
            this.jdbc = jdbc;
            this.dataSource = dataSource;
        }

        @Transactional
        @Idempotent(key = "#requestId")
        public String deposit(String requestId, long cents) throws SQLException {
            jdbc.update("INSERT INTO " + DEPOSITS + " VALUES (?, ?)", requestId, cents);
            recordsSeenFromOutside = countFromAnotherConnection(requestId);
            if (failAfterInsert) {
                failAfterInsert = false;
                throw new IllegalStateException("ledger check failed after the insert");
            }
            return "deposited " + cents;
        }

        /** What a concurrent reader sees of the idempotency records while this transaction runs. */
        private long countFromAnotherConnection(String requestId) throws SQLException {
            try (Connection other = dataSource.getConnection(); Statement s = other.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + RECORDS)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        public long rows(String requestId) {
            Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + DEPOSITS + " WHERE request_id = ?", Long.class,
                    requestId);
            return n == null ? 0 : n;
        }

        public long records() {
            Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + RECORDS, Long.class);
            return n == null ? 0 : n;
        }

        public void failAfterInsert() {
            failAfterInsert = true;
        }

        public long recordsSeenFromOutside() {
            return recordsSeenFromOutside;
        }
    }

    @Test
    void theRecordCommitsWithTheMethodsTransactionAndReplaysWithoutWritingAgain() {
        runner.run(context -> {
            Deposits deposits = context.getBean(Deposits.class);
            long before = deposits.records();
            assertAutoConfiguredTransactionalStore(context.getBean(IdempotencyStore.class),
                    context.getBean(PlatformTransactionManager.class), RECORDS);
            assertThat(deposits.deposit("tx-1", 500)).isEqualTo("deposited 500");
            assertThat(deposits.recordsSeenFromOutside())
                    .as("the claim is part of the method's uncommitted transaction").isEqualTo(before);
            assertThat(deposits.records()).isEqualTo(before + 1);
            assertThat(deposits.deposit("tx-1", 500)).isEqualTo("deposited 500");
            assertThat(deposits.rows("tx-1")).isEqualTo(1);
        });
    }

    /** The store Semel built itself: transactional, on this table, joined to the application's transaction manager. */
    static void assertAutoConfiguredTransactionalStore(IdempotencyStore store, PlatformTransactionManager manager,
            String table) {
        assertThat(store).isInstanceOf(TransactionalJdbcIdempotencyStore.class);
        assertThat(((JdbcIdempotencyStore) store).tableName()).isEqualToIgnoringCase(table);
        assertThat(((TransactionalJdbcIdempotencyStore) store).transactionBoundary())
                .isInstanceOf(SpringTransactionBoundary.class)
                .hasToString("SpringTransactionBoundary[" + manager + "]");
    }

    @Test
    void aRollbackTakesTheRecordWithItSoTheRetryRunsAgainstUnchangedData() {
        runner.run(context -> {
            Deposits deposits = context.getBean(Deposits.class);
            assertAutoConfiguredTransactionalStore(context.getBean(IdempotencyStore.class),
                    context.getBean(PlatformTransactionManager.class), RECORDS);
            long before = deposits.records();
            deposits.failAfterInsert();
            assertThatThrownBy(() -> deposits.deposit("tx-2", 700))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("ledger check failed");
            assertThat(deposits.rows("tx-2")).as("the insert rolled back").isZero();
            assertThat(deposits.records()).as("and the record with it").isEqualTo(before);
            assertThat(deposits.deposit("tx-2", 700)).isEqualTo("deposited 700");
            assertThat(deposits.rows("tx-2")).isEqualTo(1);
            assertThat(deposits.records()).isEqualTo(before + 1);
        });
    }
}
