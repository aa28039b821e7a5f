package dev.semel.examples.consumers;

import dev.semel.test.SharedServers;
import dev.semel.test.TestEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.qpid.server.SystemLauncher;
import org.springframework.util.FileSystemUtils;

/** An AMQP 0-9-1 broker for tests: the one {@code SEMEL_TEST_RABBITMQ_URL} names, else embedded Qpid. */
final class TestBrokers {
    private TestBrokers() {
    }

    static String amqpUri() {
        return TestEnvironment.variable("SEMEL_TEST_RABBITMQ_URL")
                .orElseGet(() -> SharedServers.getOrStart("qpid", EmbeddedQpid::start).uri());
    }

    /** Qpid Broker-J in this JVM: in-memory store, PLAIN auth as guest/guest, 127.0.0.1 only. */
    static final class EmbeddedQpid implements AutoCloseable {
        private static final String CONFIG = """
                {
                  "name": "semel-test",
                  "modelVersion": "8.0",
                  "authenticationproviders": [{
                    "name": "plain", "type": "Plain", "secureOnlyMechanisms": [],
                    "users": [{"name": "guest", "type": "managed", "password": "guest"}]
                  }],
                  "ports": [{
                    "name": "AMQP", "port": "${qpid.amqp_port}", "bindingAddress": "127.0.0.1",
                    "protocols": ["AMQP_0_9_1"], "authenticationProvider": "plain",
                    "virtualhostaliases": [{"name": "nameAlias", "type": "nameAlias"},
                                           {"name": "defaultAlias", "type": "defaultAlias"}]
                  }],
                  "virtualhostnodes": [{
                    "name": "default", "type": "Memory", "defaultVirtualHostNode": "true",
                    "virtualHostInitialConfiguration": "{\\"type\\": \\"Memory\\"}"
                  }]
                }
                """;

        private final SystemLauncher launcher;
        private final Path workDir;
        private final int port;

        private EmbeddedQpid(SystemLauncher launcher, Path workDir, int port) {
            this.launcher = launcher;
            this.workDir = workDir;
            this.port = port;
        }

        static EmbeddedQpid start() throws Exception {
            Path workDir = Files.createTempDirectory("semel-qpid");
            Path config = workDir.resolve("initial-config.json");
            Files.writeString(config, CONFIG, StandardCharsets.UTF_8);
            int port = freePort();
            Map<String, Object> attributes = new HashMap<>();
            attributes.put("type", "Memory");
            attributes.put("initialConfigurationLocation", config.toUri().toString());
            attributes.put("startupLoggedToSystemOut", false);
            attributes.put("context", Map.of(
                    "qpid.amqp_port", String.valueOf(port),
                    "qpid.work_dir", workDir.toString(),
                    "qpid.home_dir", workDir.toString()));
            SystemLauncher launcher = new SystemLauncher();
            launcher.startup(attributes);
            return new EmbeddedQpid(launcher, workDir, port);
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }

        String uri() {
            return "amqp://guest:guest@127.0.0.1:" + port;
        }

        @Override
        public void close() {
            launcher.shutdown();
            try {
                FileSystemUtils.deleteRecursively(workDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
