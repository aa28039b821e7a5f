package dev.semel.gateway;

import static dev.semel.gateway.Gateways.post;
import static dev.semel.gateway.Gateways.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway killed with SIGKILL after a completed request, and started again on the same
 * Redis: the retry is replayed without reaching the upstream. The gateway runs in a child JVM
 * (its main class, on this test's class path) that only this test starts and kills.
 */
class GatewayKillTest {
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killWhatThisTestStarted() throws InterruptedException {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRetryAfterTheGatewayWasKilledAndRestartedIsReplayed() throws Exception {
        try (CountingUpstream upstream = new CountingUpstream(); DyingUpstream dying = new DyingUpstream()) {
            String prefix = "semel-gateway-kill-" + UUID.randomUUID() + ":";
            String key = UUID.randomUUID().toString();

            Gateway before = startGateway(upstream, dying, prefix, "before");
            HttpResponse<byte[]> first = send(post(before.url() + "/payments/k1", key, "{\"amount\":7}"));
            assertThat(first.statusCode()).isEqualTo(201);
            before.process().destroyForcibly(); // SIGKILL: no shutdown hook, no graceful close
            assertThat(before.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(before.process().exitValue()).isEqualTo(137); // 128 + SIGKILL

            Gateway after = startGateway(upstream, dying, prefix, "after");
            HttpResponse<byte[]> retry = send(post(after.url() + "/payments/k1", key, "{\"amount\":7}"));

            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retry.body()).isEqualTo(first.body());
            assertThat(upstream.executions("/payments/k1", key)).isEqualTo(1);
        }
    }

    private record Gateway(Process process, String url) {
    }

    private Gateway startGateway(CountingUpstream upstream, DyingUpstream dying, String prefix, String name)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                SemelGatewayApplication.class.getName()));
        for (String argument : Gateways.arguments(upstream.url(), dying.url(), prefix)) {
            command.add(argument.equals("--server.port=0") ? "--server.port=" + port : argument);
        }
        Path log = Files.createDirectories(Path.of("target", "gateway-kill")).resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        started.add(process);
        String url = "http://127.0.0.1:" + port;
        awaitReady(process, url, log);
        return new Gateway(process, url);
    }

    /** Polls until the child answers HTTP (any status), within a bound; it fails fast if the child died. */
    private static void awaitReady(Process process, String url, Path log) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                Gateways.CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/ready")).timeout(Duration.ofSeconds(2))
                        .GET().build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the gateway did not answer within 90 s:\n" + Files.readString(log));
    }
}
