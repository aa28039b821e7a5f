package dev.semel.examples.payments;

import java.nio.file.Path;
import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The API suite on the default database: an H2 file. */
class H2PaymentsApiTest extends PaymentsApiContract {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> TestDatabases.h2File(Path.of("target", "test-data", "api-" + UUID.randomUUID())));
    }
}
