package dev.semel.spring.jpa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.jdbc.TransactionalJdbcIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spring.Idempotent;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.spring.jdbc.SpringTransactionBoundary;
import dev.semel.spring.method.SemelMethodAutoConfiguration;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Id;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.Table;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * JDBC transactional mode under a {@link JpaTransactionManager} (Hibernate) instead of a
 * {@code DataSourceTransactionManager}: {@link SpringTransactionBoundary} asks Spring for the
 * transaction's connection of the {@code DataSource}, which the JPA transaction manager exposes
 * from the Hibernate session, so the idempotency record and the entities flushed at commit go in
 * one database transaction. H2 in memory, private to this class: the entity's table name is fixed.
 */
class JpaTransactionalIdempotentMethodTest {
    static final String RECORDS = "semel_jpa_records";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, SemelAutoConfiguration.class,
                    SemelMethodAutoConfiguration.class))
            .withUserConfiguration(Jpa.class)
            // no store bean of our own: the auto-configured one must be the transactional store
            .withPropertyValues("semel.store.type=jdbc", "semel.store.jdbc.table-name=" + RECORDS,
                    "semel.store.jdbc.initialize-schema=always");

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    static class Jpa {
        @Bean
        DataSource dataSource() {
            return DataSourceBuilder.create()
                    .url("jdbc:h2:mem:semel-jpa-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")
                    .build();
        }

        @Bean
        LocalContainerEntityManagerFactoryBean entityManagerFactory(DataSource dataSource) {
            LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
            factory.setDataSource(dataSource);
            factory.setPackagesToScan(JpaTransactionalIdempotentMethodTest.class.getPackageName());
            factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
            factory.setJpaPropertyMap(Map.of("hibernate.hbm2ddl.auto", "create-drop"));
            return factory;
        }

        @Bean
        PlatformTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
            // its DataSource is detected from the factory: the JDBC connection is exposed to DataSourceUtils
            return new JpaTransactionManager(entityManagerFactory);
        }

        @Bean
        Ledger ledger(DataSource dataSource) {
            return new Ledger(dataSource);
        }
    }

    @Entity
    @Table(name = "jpa_deposits")
    public static class Deposit {
        @Id
        @Column(name = "request_id")
        private String requestId;
        private long cents;

        protected Deposit() {
        }

        Deposit(String requestId, long cents) {
            this.requestId = requestId;
            this.cents = cents;
        }

        public String getRequestId() {
            return requestId;
        }

        public long getCents() {
            return cents;
        }
    }

    static class Ledger {
        final JdbcTemplate jdbc;
        final DataSource dataSource;
        @PersistenceContext
        EntityManager entityManager;
        volatile boolean failAfterPersist;
        volatile long recordsSeenFromOutside = -1;

        Ledger(DataSource dataSource) {
            this.dataSource = dataSource;
            this.jdbc = new JdbcTemplate(dataSource);
        }

        @Transactional
        @Idempotent(key = "#requestId")
        public String deposit(String requestId, long cents) throws SQLException {
            entityManager.persist(new Deposit(requestId, cents));
            entityManager.flush();
            recordsSeenFromOutside = countFromAnotherConnection();
            if (failAfterPersist) {
                failAfterPersist = false;
                throw new IllegalStateException("ledger check failed after the persist");
            }
            return "deposited " + cents;
        }

        /** What a concurrent reader sees of the idempotency records while this transaction runs. */
        private long countFromAnotherConnection() throws SQLException {
            try (Connection other = dataSource.getConnection(); Statement s = other.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + RECORDS)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        public long rows(String requestId) {
            Long n = jdbc.queryForObject("SELECT COUNT(*) FROM jpa_deposits WHERE request_id = ?", Long.class,
                    requestId);
            return n == null ? 0 : n;
        }

        public long records() {
            Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + RECORDS, Long.class);
            return n == null ? 0 : n;
        }

        public void failAfterPersist() {
            failAfterPersist = true;
        }

        public long recordsSeenFromOutside() {
            return recordsSeenFromOutside;
        }
    }

    /** The store Semel built itself: transactional, on this table, joined to the JPA transaction manager. */
    private static void assertAutoConfiguredTransactionalStore(
            org.springframework.context.ApplicationContext context) {
        IdempotencyStore store = context.getBean(IdempotencyStore.class);
        assertThat(store).isInstanceOf(TransactionalJdbcIdempotencyStore.class);
        assertThat(((JdbcIdempotencyStore) store).tableName()).isEqualToIgnoringCase(RECORDS);
        assertThat(((TransactionalJdbcIdempotencyStore) store).transactionBoundary())
                .isInstanceOf(SpringTransactionBoundary.class)
                .hasToString("SpringTransactionBoundary[" + context.getBean(PlatformTransactionManager.class) + "]");
    }

    @Test
    void theRecordCommitsWithTheJpaTransactionAndReplaysWithoutPersistingAgain() {
        runner.run(context -> {
            Ledger ledger = context.getBean(Ledger.class);
            assertAutoConfiguredTransactionalStore(context);
            long before = ledger.records();

            assertThat(ledger.deposit("jpa-1", 500)).isEqualTo("deposited 500");

            assertThat(ledger.recordsSeenFromOutside())
                    .as("the claim is part of the JPA transaction, uncommitted while the method runs")
                    .isEqualTo(before);
            assertThat(ledger.records()).isEqualTo(before + 1);
            assertThat(ledger.deposit("jpa-1", 500)).isEqualTo("deposited 500");
            assertThat(ledger.rows("jpa-1")).isEqualTo(1);
        });
    }

    @Test
    void aJpaRollbackTakesTheRecordWithItSoTheRetryPersistsAgain() {
        runner.run(context -> {
            Ledger ledger = context.getBean(Ledger.class);
            assertAutoConfiguredTransactionalStore(context);
            long before = ledger.records();
            ledger.failAfterPersist();

            assertThatThrownBy(() -> ledger.deposit("jpa-2", 700))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("ledger check failed");

            assertThat(ledger.rows("jpa-2")).as("the entity rolled back").isZero();
            assertThat(ledger.records()).as("and the record with it").isEqualTo(before);
            assertThat(ledger.deposit("jpa-2", 700)).isEqualTo("deposited 700");
            assertThat(ledger.rows("jpa-2")).isEqualTo(1);
            assertThat(ledger.records()).isEqualTo(before + 1);
        });
    }
}
