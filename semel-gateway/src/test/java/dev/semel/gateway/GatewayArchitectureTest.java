package dev.semel.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The gateway filter is an adapter over the WebFlux filter: it knows no store, no SPI, no
 * Servlet, and no Spring Boot; only the runnable application wires stores and properties.
 */
class GatewayArchitectureTest {
    private static final JavaClasses GATEWAY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.semel.gateway");

    @Test
    void theFilterKnowsNoStoreNoSpiNoServletAndNoSpringBoot() {
        noClasses().that().resideInAPackage("dev.semel.gateway")
                .and().doNotHaveSimpleName("SemelGatewayApplication")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.jdbc..", "dev.semel.redis..",
                        "dev.semel.spi..", "dev.semel.internal..", "dev.semel.servlet..", "dev.semel.spring..",
                        "jakarta.servlet..", "org.springframework.boot..")
                .check(GATEWAY);
    }
}
