package dev.semel.spring.jdbc;

import dev.semel.test.jdbc.TestDatabases;
import javax.sql.DataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

@SpringBootTest(classes = TransactionalJdbcOnH2HttpTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "semel.store.jdbc.table-name=semel_spring_h2",
            "management.endpoints.web.exposure.include=health",
            "management.endpoint.health.show-details=always"
        })
class TransactionalJdbcOnH2HttpTest extends TransactionalJdbcHttpTest {
    @Override
    String recordsTable() {
        return "semel_spring_h2";
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({dev.semel.spring.PermitAllSecurity.class, Orders.class, OrderService.class})
    static class App {
        @Bean(destroyMethod = "") // shared by the JVM's tests, closed at exit
        DataSource dataSource() {
            return TestDatabases.h2("semel-spring-boot");
        }
    }
}
