package dev.semel.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The container image the build makes (jib, see pom.xml), read back from its tarball: the
 * build's image check puts it on an empty base, as no container registry is reachable here, so
 * this proves the layers, the entry point and the settings, not that the JRE base runs it.
 */
class ContainerImageIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static JsonNode manifest;
    private static JsonNode config;
    /** Every file of every layer, by its path in the container, with its content. */
    private static final Map<String, byte[]> FILES = new HashMap<>();

    @BeforeAll
    static void readImage() throws IOException {
        Path tar = Path.of(System.getProperty("payments.image.tar"));
        Map<String, byte[]> entries = entries(Files.newInputStream(tar), false);
        manifest = JSON.readTree(entries.get("manifest.json")).get(0);
        config = JSON.readTree(entries.get(manifest.get("Config").asString()));
        for (JsonNode layer : manifest.get("Layers")) {
            FILES.putAll(entries(new java.io.ByteArrayInputStream(entries.get(layer.asString())), true));
        }
    }

    @Test
    void isTaggedWithTheImageNameTheComposeFileRuns() throws IOException {
        String image = System.getProperty("payments.image");
        assertThat(manifest.get("RepoTags").get(0).asString()).isEqualTo(image);

        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("compose.yaml")));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        List<String> instances = new ArrayList<>();
        services.forEach((name, service) -> {
            if (image.equals(service.get("image"))) {
                instances.add(name);
                @SuppressWarnings("unchecked")
                Map<String, String> env = (Map<String, String>) service.get("environment");
                assertThat(env.get("SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://postgres:");
                assertThat(env).containsEntry("SEMEL_STORE_TYPE", "redis");
                assertThat(env.get("SPRING_DATA_REDIS_URL")).startsWith("redis://redis:");
            }
        });
        assertThat(instances).as("two instances on one PostgreSQL and one Redis").hasSize(2);
        assertThat(services).containsKeys("postgres", "redis");
    }

    @Test
    void startsTheApplicationOnItsPortInAppWithItsDataOnAVolume() {
        JsonNode container = config.get("config");
        assertThat(container.get("Entrypoint").toString())
                .contains("java").contains(PaymentsApplication.class.getName());
        assertThat(container.get("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(container.get("WorkingDir").asString()).isEqualTo("/app");
        assertThat(container.get("Volumes").has("/app/data")).isTrue();
    }

    @Test
    void holdsTheApplicationItsMigrationsAndEveryLibraryOnItsClassPath() {
        String main = "/app/classes/" + PaymentsApplication.class.getName().replace('.', '/') + ".class";
        assertThat(FILES).containsKeys(main, "/app/resources/application.properties",
                "/app/resources/db/migration/V1__payments.sql", "/app/resources/static/index.html");
        assertThat(new String(FILES.get("/app/resources/application.properties"), StandardCharsets.UTF_8))
                .contains("spring.flyway.locations=classpath:db/migration,classpath:META-INF/semel/flyway/{vendor}");

        String classPath = new String(FILES.get("/app/jib-classpath-file"), StandardCharsets.UTF_8).strip();
        List<String> jars = List.of(classPath.split(":")).stream().filter(p -> p.endsWith(".jar")).toList();
        assertThat(jars).anyMatch(j -> j.contains("semel-spring-boot-0.1.0-SNAPSHOT.jar"))
                .anyMatch(j -> j.contains("postgresql-")).anyMatch(j -> j.contains("flyway-database-postgresql-"));
        assertThat(jars).allSatisfy(jar -> assertThat(FILES).containsKey(jar));
    }

    private static Map<String, byte[]> entries(InputStream in, boolean gzipped) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(gzipped ? new GzipCompressorInputStream(in) : in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    String name = entry.getName();
                    files.put(gzipped && !name.startsWith("/") ? "/" + name : name, tar.readAllBytes());
                }
            }
        }
        return files;
    }
}
