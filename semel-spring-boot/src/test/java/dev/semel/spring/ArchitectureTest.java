package dev.semel.spring;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering the modules promise, checked on their compiled classes (this module's class
 * path holds every library module): core depends on the JDK alone, stores and adapters do not
 * reach into each other, only this module knows Spring Boot, no package cycles, the adapters
 * keep out of the SPI and nobody outside core uses {@code dev.semel.internal}. A change that
 * breaks one of these is a visible decision, not an accident.
 */
class ArchitectureTest {
    private static final String[] CORE = {"dev.semel", "dev.semel.spi", "dev.semel.encryption", "dev.semel.internal"};
    private static JavaClasses semel;

    @BeforeAll
    static void importClasses() {
        semel = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.semel");
        // the rules below pass on nothing: make sure every module's classes are there
        assertThat(List.of("dev.semel.Idempotency", "dev.semel.spi.IdempotencyStore", "dev.semel.http.IdempotencyProblem",
                "dev.semel.servlet.IdempotencyFilter", "dev.semel.webflux.IdempotencyWebFilter",
                "dev.semel.jdbc.JdbcIdempotencyStore", "dev.semel.redis.RedisIdempotencyStore",
                "dev.semel.micrometer.IdempotencyObservations", "dev.semel.client.RetryPolicy",
                "dev.semel.nearcache.NearCachingIdempotencyStore"))
                .allMatch(semel::contain);
    }

    /** Besides the JDK, core names the JSpecify annotations, which the JVM ignores when they are absent. */
    @Test
    void coreDependsOnTheJdkAlone() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideOutsideOfPackages(
                        Stream.concat(Stream.of("java..", "javax.crypto..", "org.jspecify.annotations"),
                                Stream.of(CORE)).toArray(String[]::new))
                .check(semel);
    }

    @Test
    void storesKnowNoAdapterAndNoFramework() {
        noClasses().that().resideInAnyPackage("dev.semel.jdbc", "dev.semel.redis", "dev.semel.nearcache")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.servlet..", "dev.semel.webflux..",
                        "dev.semel.spring..",
                        "dev.semel.micrometer..", "dev.semel.client..", "org.springframework..", "jakarta.servlet..")
                .check(semel);
    }

    /** The near cache decorates any store through the SPI alone. */
    @Test
    void theNearCacheKnowsNoParticularStore() {
        noClasses().that().resideInAPackage("dev.semel.nearcache")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.jdbc..", "dev.semel.redis..",
                        "dev.semel.encryption..")
                .check(semel);
    }

    @Test
    void libraryModulesDoNotKnowSpringBoot() {
        noClasses().that().resideInAnyPackage(Stream.concat(Stream.of(CORE), Stream.of("dev.semel.http",
                        "dev.semel.servlet", "dev.semel.webflux", "dev.semel.jdbc", "dev.semel.redis", "dev.semel.nearcache", "dev.semel.micrometer", "dev.semel.client"))
                        .toArray(String[]::new))
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.boot..", "dev.semel.spring..")
                .check(semel);
    }

    @Test
    void theServletFilterKnowsNoStore() {
        noClasses().that().resideInAPackage("dev.semel.servlet")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.jdbc..", "dev.semel.redis..",
                        "dev.semel.webflux..", "org.springframework..")
                .check(semel);
    }

    /** The WebFlux filter reaches stores through the engine alone, and never through the Servlet filter. */
    @Test
    void theWebFluxFilterKnowsNoStoreAndNoServlet() {
        noClasses().that().resideInAPackage("dev.semel.webflux")
                .should().dependOnClassesThat().resideInAnyPackage("dev.semel.jdbc..", "dev.semel.redis..",
                        "dev.semel.servlet..", "jakarta.servlet..")
                .check(semel);
    }

    /** What the HTTP adapters share is server-neutral: no Servlet, no Spring, no store. */
    @Test
    void theSharedHttpPiecesKnowNoServerAndNoStore() {
        noClasses().that().resideInAPackage("dev.semel.http")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.servlet..", "org.springframework..",
                        "reactor..", "io.netty..", "dev.semel.servlet..", "dev.semel.webflux..", "dev.semel.jdbc..",
                        "dev.semel.redis..")
                .check(semel);
    }

    /**
     * Each Semel package is a slice of its own, so a cycle between {@code dev.semel} and
     * {@code dev.semel.spi} counts as much as one between two modules.
     */
    @Test
    void noPackageCycles() {
        slices().assignedFrom(EACH_PACKAGE).should().beFreeOfCycles().check(semel);
    }

    private static final SliceAssignment EACH_PACKAGE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            return javaClass.getPackageName().startsWith("dev.semel")
                    ? SliceIdentifier.of(javaClass.getPackageName()) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "each package under dev.semel";
        }
    };

    /**
     * What adapters (the servlet filter, the Micrometer listener, and semel-spring-boot outside the
     * packages that build stores) may use of the SPI: its values. The stored response is the one
     * value both sides share: the adapter captures it and writes it back on a replay, the store
     * keeps it ({@code IdempotencyStore.complete} takes it). The record, its state and the query
     * are what {@code Idempotency.admin()} lists for the Actuator endpoint. The rest of the SPI is
     * the store contract, for store authors: adapters reach stores through the engine.
     */
    static final Set<String> SPI_TYPES_ADAPTERS_MAY_USE = Set.of("dev.semel.spi.StoredResponse",
            "dev.semel.spi.IdempotencyRecord", "dev.semel.spi.RecordState", "dev.semel.spi.RecordQuery");

    /**
     * Where the rules below are broken on purpose; an entry that no longer occurs fails the test
     * too, so the list only shrinks.
     */
    static final Set<String> KNOWN_SPI_USE_BY_ADAPTERS = Set.of(
            // the meters' store tag can be named from the store object when the listener is built
            // (before the engine that would otherwise tell it): MicrometerIdempotencyListener.Builder.store
            "dev.semel.micrometer.MicrometerIdempotencyListener -> dev.semel.spi.IdempotencyStore");

    /** The packages of semel-spring-boot that build stores: the auto-configuration and the JDBC transaction boundary. */
    static final Set<String> SPRING_PACKAGES_THAT_BUILD_STORES = Set.of("dev.semel.spring", "dev.semel.spring.jdbc");

    static final Set<String> KNOWN_SPI_USE_IN_SPRING = Set.of();

    @Test
    void adaptersDoNotReachIntoTheSpi() {
        Set<String> found = dependencies(
                origin -> origin.getPackageName().equals("dev.semel.servlet") || origin.getPackageName().equals("dev.semel.webflux")
                        || origin.getPackageName().equals("dev.semel.micrometer"),
                ArchitectureTest::isSpiBeyondWhatAdaptersMayUse);
        assertThat(found).as("dependencies of semel-servlet, semel-webflux and semel-micrometer on dev.semel.spi"
                + " (besides SPI_TYPES_ADAPTERS_MAY_USE), expected to be KNOWN_SPI_USE_BY_ADAPTERS: remove an entry once fixed")
                .containsExactlyInAnyOrderElementsOf(KNOWN_SPI_USE_BY_ADAPTERS);
    }

    @Test
    void springBootUsesTheSpiOnlyWhereItBuildsStores() {
        Set<String> found = dependencies(
                origin -> origin.getPackageName().startsWith("dev.semel.spring")
                        && !SPRING_PACKAGES_THAT_BUILD_STORES.contains(origin.getPackageName()),
                ArchitectureTest::isSpiBeyondWhatAdaptersMayUse);
        assertThat(found).as("dependencies on dev.semel.spi (besides SPI_TYPES_ADAPTERS_MAY_USE) outside "
                        + SPRING_PACKAGES_THAT_BUILD_STORES
                        + ", expected to be KNOWN_SPI_USE_IN_SPRING: remove an entry once fixed")
                .containsExactlyInAnyOrderElementsOf(KNOWN_SPI_USE_IN_SPRING);
    }

    @Test
    void onlyCoreUsesItsInternalPackage() {
        noClasses().that().resideOutsideOfPackages(CORE)
                .should().dependOnClassesThat().resideInAPackage("dev.semel.internal..")
                .because("dev.semel.internal makes no promise to other modules")
                .check(semel);
    }

    private static boolean isSpiBeyondWhatAdaptersMayUse(JavaClass target) {
        return target.getPackageName().startsWith("dev.semel.spi")
                && !SPI_TYPES_ADAPTERS_MAY_USE.contains(topLevel(target).getName());
    }

    /** "Origin -> Target" for each dependency between the classes matched, by top-level class. */
    private static Set<String> dependencies(Predicate<JavaClass> origin, Predicate<JavaClass> target) {
        Set<String> found = new TreeSet<>();
        for (JavaClass javaClass : semel) {
            if (!origin.test(javaClass)) {
                continue;
            }
            for (Dependency dependency : javaClass.getDirectDependenciesFromSelf()) {
                JavaClass to = dependency.getTargetClass().getBaseComponentType();
                if (target.test(to)) {
                    found.add(topLevel(javaClass).getName() + " -> " + topLevel(to).getName());
                }
            }
        }
        return found;
    }

    private static JavaClass topLevel(JavaClass javaClass) {
        JavaClass top = javaClass;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top;
    }
}
