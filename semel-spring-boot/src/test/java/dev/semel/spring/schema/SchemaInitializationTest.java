package dev.semel.spring.schema;

import dev.semel.Idempotency;
import dev.semel.IdempotencyKey;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.spring.EngineStores;
import dev.semel.spring.SemelAutoConfiguration;
import dev.semel.test.jdbc.TestDatabases;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The table arrives the Boot way: from the Flyway migrations and the Liquibase changelog that
 * semel-store-jdbc ships, run by Boot's own auto-configurations before the store is created, or
 * from the store's script per {@code semel.store.jdbc.initialize-schema}. On PostgreSQL and MariaDB,
 * each test in a schema (database) of its own, dropped afterwards.
 */
class SchemaInitializationTest {
    /** The test closes (drops) the schema itself, after the last context that uses it. */
    private static final org.springframework.beans.factory.config.BeanDefinitionCustomizer NOT_CLOSED =
            bd -> bd.setDestroyMethodName("");

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(FlywayAutoConfiguration.class, LiquibaseAutoConfiguration.class,
                    SemelAutoConfiguration.class));

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"postgresql", "mariadb"})
    void theShippedFlywayMigrationCreatesTheTableBeforeTheStoreIsCreated(String database) throws Exception {
        try (IsolatedSchema schema = IsolatedSchema.on(database)) {
            runner.withBean("dataSource", DataSource.class, () -> schema, NOT_CLOSED)
                    .withPropertyValues("spring.liquibase.enabled=false",
                            "spring.flyway.locations=classpath:META-INF/semel/flyway/{vendor}",
                            "semel.store.jdbc.initialize-schema=never")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(dependsOn(context)).contains("flywayInitializer");
                        assertRunsOnceAndReplays(context);
                        assertThat(schema.tables()).contains("semel_idempotency", "flyway_schema_history");
                    });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"postgresql", "mariadb"})
    void theShippedLiquibaseChangelogCreatesTheTableBeforeTheStoreIsCreated(String database) throws Exception {
        try (IsolatedSchema schema = IsolatedSchema.on(database)) {
            runner.withBean("dataSource", DataSource.class, () -> schema, NOT_CLOSED)
                    .withPropertyValues("spring.flyway.enabled=false",
                            "spring.liquibase.change-log=classpath:META-INF/semel/liquibase/semel-changelog.xml",
                            "semel.store.jdbc.initialize-schema=never")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(dependsOn(context)).contains("liquibase");
                        assertRunsOnceAndReplays(context);
                        assertThat(schema.tables()).contains("semel_idempotency", "databasechangelog");
                    });
        }
    }

    @Test
    void byDefaultTheStoreCreatesNoTableOnAServerDatabaseButDoesWhenAskedToAlways() throws Exception {
        try (IsolatedSchema schema = IsolatedSchema.on("postgresql")) {
            ApplicationContextRunner semelOnly = new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
                    .withBean("dataSource", DataSource.class, () -> schema, NOT_CLOSED);
            semelOnly.run(context -> assertThat(schema.tables()).doesNotContain("semel_idempotency"));
            semelOnly.withPropertyValues("semel.store.jdbc.initialize-schema=always").run(context -> {
                assertThat(schema.tables()).contains("semel_idempotency");
                assertRunsOnceAndReplays(context);
            });
        }
    }

    @Test
    void byDefaultTheStoreCreatesItsTableInAnInMemoryDatabase() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
                .withBean("dataSource", DataSource.class, () -> TestDatabases.h2("semel-schema-init"),
                        bd -> bd.setDestroyMethodName(""))
                .withPropertyValues("semel.store.jdbc.table-name=semel_schema_embedded")
                .run(SchemaInitializationTest::assertRunsOnceAndReplays);
    }

    @Test
    void theDeprecatedCreateTableStillDecides() throws Exception {
        try (IsolatedSchema schema = IsolatedSchema.on("postgresql")) {
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
                    .withBean("dataSource", DataSource.class, () -> schema, NOT_CLOSED)
                    .withPropertyValues("semel.store.jdbc.create-table=true")
                    .run(context -> assertThat(schema.tables()).contains("semel_idempotency"));
        }
    }

    private static List<String> dependsOn(ConfigurableApplicationContext context) {
        String[] names = context.getBeanNamesForType(JdbcIdempotencyStore.class);
        assertThat(names).hasSize(1);
        String[] dependsOn = context.getBeanFactory().getBeanDefinition(names[0]).getDependsOn();
        return dependsOn == null ? List.of() : Arrays.asList(dependsOn);
    }

    private static void assertRunsOnceAndReplays(ConfigurableApplicationContext context) {
        Idempotency idempotency = context.getBean(Idempotency.class);
        assertThat(EngineStores.of(idempotency)).isInstanceOf(JdbcIdempotencyStore.class);
        AtomicInteger runs = new AtomicInteger();
        Scope scope = Scope.of("schema-test", "charge");
        IdempotencyKey key = IdempotencyKey.of("k-" + UUID.randomUUID());
        for (int i = 0; i < 2; i++) {
            String result = idempotency.once(scope, key, new byte[] {1}, ResultCodec.utf8(),
                    () -> "receipt-" + runs.incrementAndGet());
            assertThat(result).isEqualTo("receipt-1");
        }
        assertThat(runs).hasValue(1);
    }

    /**
     * A DataSource over the shared test database whose connections work in a fresh schema
     * (PostgreSQL) or database (MariaDB); the pool resets schema and catalog when a connection returns.
     */
    static final class IsolatedSchema implements DataSource, AutoCloseable {
        private final DataSource shared;
        private final boolean postgres;
        private final String name = "semel_schema_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

        private IsolatedSchema(DataSource shared, boolean postgres) throws SQLException {
            this.shared = shared;
            this.postgres = postgres;
            execute((postgres ? "CREATE SCHEMA " : "CREATE DATABASE ") + name);
        }

        static IsolatedSchema on(String database) throws SQLException {
            return database.equals("postgresql") ? new IsolatedSchema(TestDatabases.postgres(), true)
                    : new IsolatedSchema(TestDatabases.mariadb(), false);
        }

        List<String> tables() throws SQLException {
            try (Connection c = getConnection()) {
                DatabaseMetaData meta = c.getMetaData();
                try (ResultSet rs = postgres ? meta.getTables(null, name, "%", new String[] {"TABLE"})
                        : meta.getTables(name, null, "%", new String[] {"TABLE"})) {
                    List<String> tables = new java.util.ArrayList<>();
                    while (rs.next()) {
                        tables.add(rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
                    }
                    return tables;
                }
            }
        }

        /** A pooled connection in this schema; closing it restores the pool's schema first (shared pool). */
        @Override
        public Connection getConnection() throws SQLException {
            Connection c = shared.getConnection();
            String schemaBefore = postgres ? c.getSchema() : c.getCatalog();
            if (postgres) {
                c.setSchema(name);
            } else {
                c.setCatalog(name);
            }
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close") && !c.isClosed()) {
                            if (postgres) {
                                c.setSchema(schemaBefore);
                            } else {
                                c.setCatalog(schemaBefore);
                            }
                        }
                        try {
                            return method.invoke(c, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLException("not supported");
        }

        private void execute(String sql) throws SQLException {
            try (Connection c = shared.getConnection(); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        @Override
        public void close() throws SQLException {
            execute(postgres ? "DROP SCHEMA IF EXISTS " + name + " CASCADE" : "DROP DATABASE IF EXISTS " + name);
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            if (iface.isInstance(this)) {
                return iface.cast(this);
            }
            throw new SQLException("not a wrapper for " + iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return iface.isInstance(this);
        }
    }
}
