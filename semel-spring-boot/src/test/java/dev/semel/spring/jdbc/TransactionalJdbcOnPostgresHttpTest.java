package dev.semel.spring.jdbc;

import dev.semel.test.jdbc.TestDatabases;
import javax.sql.DataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

@SpringBootTest(classes = TransactionalJdbcOnPostgresHttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.jdbc.table-name=semel_spring_pg",
            "semel.store.jdbc.initialize-schema=always",
            "management.endpoints.web.exposure.include=health",
            "logging.level.root=warn",
            "management.endpoint.health.show-details=always"
        })
class TransactionalJdbcOnPostgresHttpTest extends TransactionalJdbcHttpTest {
    @Override
    String recordsTable() {
        return "semel_spring_pg";
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({dev.semel.spring.PermitAllSecurity.class, Orders.class, OrderService.class})
    static class App {
        @Bean(destroyMethod = "") // shared by the JVM's tests, closed at exit
        DataSource dataSource() {
            return TestDatabases.postgres();
        }
    }
}
