package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API of every published module, compared with the listing committed in
 * {@code <module>/api/<module>.api}: a change of what users can see and link against shows in the
 * diff of a pull request and fails the build until the listing is rewritten, so it is always a
 * decision (Kotlin's binary-compatibility-validator, without a released version to compare to).
 * This module's test class path holds every published module, so one test covers them all.
 *
 * <p>To accept a change: {@value #UPDATE_COMMAND}, then commit the rewritten files.
 */
class PublicApiTest {
    static final String UPDATE_COMMAND = "./mvnw -B -pl semel-spring-boot -am test -Dtest=PublicApiTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dsemel.api.update=true";

    /** The modules deployed with the release (semel-bom lists them) that hold classes. */
    static final Set<String> PUBLISHED = Set.of("semel-core", "semel-store-tck", "semel-test", "semel-http", "semel-http-tck", "semel-servlet", "semel-webflux",
            "semel-gateway", "semel-store-jdbc", "semel-store-redis", "semel-near-cache", "semel-micrometer", "semel-spring-boot", "semel-client");
    /**
     * Published modules that depend on this one, so they cannot be on its test class path: each
     * checks its own listing with {@link #check} in a test of its own (semel-gateway's
     * GatewayPublicApiTest).
     */
    static final Set<String> CHECKED_BY_OWN_MODULE = Set.of("semel-gateway");
    /** Modules with classes that are never deployed (maven.deploy.skip). */
    static final Set<String> NOT_PUBLISHED = Set.of("semel-benchmarks");

    private static final Path ROOT = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .toAbsolutePath().getParent();

    @Test
    void publicApiOfEveryPublishedModuleMatchesItsCommittedListing() throws IOException {
        Map<String, List<Class<?>>> classesByModule = classesByModule();
        Set<String> here = new TreeSet<>(PUBLISHED);
        here.removeAll(CHECKED_BY_OWN_MODULE);
        assertThat(classesByModule.keySet())
                .as("published modules found on the test class path (run with -am so they come from this checkout)")
                .containsExactlyInAnyOrderElementsOf(here);

        boolean update = Boolean.getBoolean("semel.api.update");
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, List<Class<?>>> module : classesByModule.entrySet()) {
            failures.addAll(check(module.getKey(), module.getValue(), update, UPDATE_COMMAND));
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures) + "\nIf the change is intended, rewrite the listings with\n  "
                    + UPDATE_COMMAND + "\nand commit them: the diff is the API change reviewers see.");
        }
    }

    @Test
    void everyModuleWithClassesIsEitherPublishedOrExcludedOnPurpose() throws IOException {
        Set<String> modules = new TreeSet<>();
        try (Stream<Path> children = Files.list(ROOT)) {
            children.filter(dir -> Files.exists(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("src/main/java")))
                    .forEach(dir -> modules.add(dir.getFileName().toString()));
        }
        modules.removeAll(NOT_PUBLISHED);
        assertThat(modules).as("modules with classes not in PublicApiTest.PUBLISHED nor NOT_PUBLISHED")
                .containsExactlyInAnyOrderElementsOf(PUBLISHED);
    }

    /**
     * Compares a module's public API with its committed listing, or rewrites the listing.
     *
     * @param update whether to rewrite the listing instead
     * @param command the command that rewrites it, named in the listing
     * @return the differences, none when they match or when rewritten
     */
    static List<String> check(String name, List<Class<?>> classes, boolean update, String command)
            throws IOException {
        List<String> expected = listing(name, classes, command);
        Path file = apiFile(name);
        if (update) {
            Files.createDirectories(file.getParent());
            Files.write(file, expected, StandardCharsets.UTF_8);
            return List.of();
        }
        if (!Files.exists(file)) {
            return List.of(ROOT.relativize(file) + " is missing.");
        }
        List<String> committed = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (!committed.equals(expected)) {
            return List.of("The public API of " + name + " differs from " + ROOT.relativize(file) + ":\n"
                    + UnifiedDiff.of(committed, expected, "committed", "compiled"));
        }
        return List.of();
    }

    static Path apiFile(String module) {
        return ROOT.resolve(module).resolve("api").resolve(module + ".api");
    }

    static List<String> listing(String module, List<Class<?>> classes) {
        return listing(module, classes, UPDATE_COMMAND);
    }

    static List<String> listing(String module, List<Class<?>> classes, String command) {
        PublicApi.Counts counts = PublicApi.count(classes);
        List<String> lines = new ArrayList<>();
        lines.add("// The public API of " + module + ", generated from its classes by PublicApiTest; do not edit.");
        lines.add("// Rewrite: " + command);
        lines.add("// " + counts.topLevel() + " public top-level types (" + counts.internalTopLevel() + " internal), "
                + counts.nested() + " public or protected nested types (" + counts.internalNested() + " internal)");
        lines.addAll(PublicApi.render(classes));
        return lines;
    }

    /**
     * The main classes of each published module on the test class path, by module directory name:
     * every class path root holding {@code dev/semel} that is a module's {@code target/classes} or
     * its jar, never its test classes.
     */
    static Map<String, List<Class<?>>> classesByModule() throws IOException {
        return classesByModule(module -> true);
    }

    /** As {@link #classesByModule()}, loading only the classes of the modules {@code wanted} accepts. */
    static Map<String, List<Class<?>>> classesByModule(java.util.function.Predicate<String> wanted)
            throws IOException {
        ClassLoader loader = PublicApiTest.class.getClassLoader();
        Map<String, List<Class<?>>> result = new TreeMap<>();
        for (URL url : Collections.list(loader.getResources("dev/semel"))) {
            Root root = Root.of(url);
            if (root.isTestClasses()) {
                continue;
            }
            String module = root.module();
            if (NOT_PUBLISHED.contains(module) || !wanted.test(module)) {
                continue;
            }
            List<Class<?>> classes = new ArrayList<>();
            for (String name : root.classNames()) {
                try {
                    classes.add(Class.forName(name, false, loader));
                } catch (ClassNotFoundException e) {
                    throw new IllegalStateException("listed but not loadable: " + name, e);
                }
            }
            if (result.put(module, classes) != null) {
                throw new IllegalStateException(module + " is twice on the class path");
            }
        }
        return result;
    }

    /** A class path root: a folder or a jar. */
    private record Root(Path location, boolean jar) {
        static Root of(URL packageUrl) {
            try {
                String text = packageUrl.toString();
                if (text.startsWith("jar:")) {
                    return new Root(Path.of(new URI(text.substring(4, text.indexOf("!/")))), true);
                }
                // .../target/classes/dev/semel
                return new Root(Path.of(packageUrl.toURI()).getParent().getParent(), false);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        boolean isTestClasses() {
            return location.getFileName().toString().equals("test-classes");
        }

        String module() {
            Path target = location.getParent();
            if (!target.getFileName().toString().equals("target") || !target.getParent().getParent().equals(ROOT)) {
                throw new IllegalStateException(location + " is not a module of " + ROOT
                        + ": build with -am so the classes come from this checkout");
            }
            return target.getParent().getFileName().toString();
        }

        List<String> classNames() throws IOException {
            if (jar) {
                try (FileSystem fs = FileSystems.newFileSystem(location)) {
                    return classNames(fs.getPath("/"));
                }
            }
            return classNames(location);
        }

        private static List<String> classNames(Path base) throws IOException {
            try (Stream<Path> files = Files.walk(base)) {
                return files.map(base::relativize).map(Path::toString)
                        .filter(p -> p.endsWith(".class") && !p.endsWith("module-info.class") && !p.endsWith("package-info.class"))
                        .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.').replace('\\', '.'))
                        .sorted().toList();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }
}
