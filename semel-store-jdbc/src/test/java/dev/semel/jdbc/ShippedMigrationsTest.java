package dev.semel.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Flyway migrations shipped per vendor (Boot's {@code {vendor}} names) are the dialects'
 * schema scripts, so the two ways to create the table never drift apart. The migrations are run
 * against PostgreSQL and MariaDB by semel-spring-boot's SchemaInitializationTest.
 */
class ShippedMigrationsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"postgresql, POSTGRESQL", "mysql, MYSQL", "mariadb, MYSQL", "h2, H2", "sqlite, SQLITE"})
    void theFlywayMigrationOfEachVendorIsItsDialectsSchemaScript(String vendor, JdbcDialect dialect)
            throws IOException {
        assertThat(read("META-INF/semel/flyway/" + vendor + "/R__semel_idempotency.sql"))
                .isEqualTo(JdbcIdempotencyStore.schemaScript(dialect));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"postgresql", "mysql", "h2", "sqlite"})
    void theLiquibaseChangelogRunsTheScriptOfEachDialect(String script) throws IOException {
        assertThat(read("META-INF/semel/liquibase/semel-changelog.xml"))
                .contains("path=\"META-INF/semel/schema/" + script + ".sql\"");
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = ShippedMigrationsTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
