package dev.semel.examples.payments;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The API suite on PostgreSQL (SEMEL_TEST_POSTGRES_URL, else embedded), in a schema of its own. */
class PostgresPaymentsApiTest extends PaymentsApiContract {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        String url = TestDatabases.postgresSchema("payments_api");
        registry.add("spring.datasource.url", () -> url);
    }
}
