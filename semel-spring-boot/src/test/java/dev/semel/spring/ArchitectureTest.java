package dev.semel.spring;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering the modules promise, checked on their compiled classes (this module's class
 * path holds every library module): core depends on the JDK alone, stores and adapters do not
 * reach into each other, and only this module knows Spring Boot. A change that breaks one of
 * these is a visible decision, not an accident.
 */
class ArchitectureTest {
    private static final String[] CORE = {"dev.semel", "dev.semel.spi", "dev.semel.encryption", "dev.semel.internal"};
    private static JavaClasses semel;

    @BeforeAll
    static void importClasses() {
        semel = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.semel");
        // the rules below pass on nothing: make sure every module's classes are there
        assertThat(List.of("dev.semel.Idempotency", "dev.semel.spi.IdempotencyStore", "dev.semel.servlet.IdempotencyFilter",
                "dev.semel.jdbc.JdbcIdempotencyStore", "dev.semel.redis.RedisIdempotencyStore",
                "dev.semel.micrometer.IdempotencyObservations", "dev.semel.client.RetryPolicy"))
                .allMatch(semel::contain);
    }

    @Test
    void coreDependsOnTheJdkAlone() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideOutsideOfPackages(
                        Stream.concat(Stream.of("java..", "javax.crypto.."), Stream.of(CORE)).toArray(String[]::new))
                .check(semel);
    }

    @Test
    void storesKnowNoAdapterAndNoFramework() {
        noClasses().that().resideInAnyPackage("dev.semel.jdbc", "dev.semel.redis")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.servlet..", "dev.semel.spring..",
                        "dev.semel.micrometer..", "dev.semel.client..", "org.springframework..", "jakarta.servlet..")
                .check(semel);
    }

    @Test
    void libraryModulesDoNotKnowSpringBoot() {
        noClasses().that().resideInAnyPackage(Stream.concat(Stream.of(CORE), Stream.of("dev.semel.servlet",
                        "dev.semel.jdbc", "dev.semel.redis", "dev.semel.micrometer", "dev.semel.client"))
                        .toArray(String[]::new))
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.boot..", "dev.semel.spring..")
                .check(semel);
    }

    @Test
    void theServletFilterKnowsNoStore() {
        noClasses().that().resideInAPackage("dev.semel.servlet")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.jdbc..", "dev.semel.redis..",
                        "org.springframework..")
                .check(semel);
    }
}
