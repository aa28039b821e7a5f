package dev.semel.examples.payments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The payments service as a separate JVM, started as {@code java -cp … PaymentsApplication} from
 * the test class path, so a test can kill it for real: {@link #kill()} is SIGKILL (no shutdown
 * hook, no flush), {@link #terminate()} is SIGTERM (Spring Boot's graceful shutdown).
 *
 * <p>The working directory is the one given, so the default {@code ./data} H2 file lands there;
 * the port stays the same across restarts so clients keep their address.
 */
final class ChildService implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(180);
    private static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path workDir;
    private final int port;
    private final List<String> settings;
    private final String name;
    private Process process;
    private int starts;

    private ChildService(String name, Path workDir, int port, List<String> settings) {
        this.name = name;
        this.workDir = workDir;
        this.port = port;
        this.settings = settings;
    }

    /**
     * Starts the service and waits until it answers HTTP.
     *
     * @param name a name for its log files (target/child-logs/name-N.log)
     * @param workDir its working directory
     * @param settings Spring Boot command-line settings on top of the defaults
     */
    static ChildService start(String name, Path workDir, String... settings) {
        ChildService service = new ChildService(name, workDir, freePort(), List.of(settings));
        service.start();
        return service;
    }

    /** The port it listens on (the same after every restart). */
    int port() {
        return port;
    }

    /** A client for it, as the demo user alice (a caller with a credential). */
    Api api() {
        return Api.onPort(port).as("alice");
    }

    /** Whether the JVM runs. */
    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** Starts (again) on the same port and working directory, and waits until it answers. */
    synchronized void start() {
        if (alive()) {
            throw new IllegalStateException(name + " is already running");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classPath(),
                PaymentsApplication.class.getName(),
                "--server.port=" + port,
                "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off",
                "--spring.jmx.enabled=false"));
        command.addAll(settings);
        Path logs = Path.of("target", "child-logs");
        try {
            Files.createDirectories(logs);
            Files.createDirectories(workDir);
            Path log = logs.resolve(name + "-" + (++starts) + ".log").toAbsolutePath();
            process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name, e);
        }
        awaitReady();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/payments?limit=1"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting; see "
                        + Path.of("target", "child-logs").toAbsolutePath());
            }
            try {
                if (PROBE.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (ConnectException e) {
                // not listening yet
            } catch (IOException e) {
                // starting up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not answer within " + START_LIMIT);
            }
            pause(100);
        }
    }

    /** SIGKILL: the JVM dies at once, without shutdown hooks or flushes. Waits until it is gone. */
    synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** SIGTERM: Spring Boot shuts down gracefully. Waits until the JVM has exited; returns its exit code. */
    synchronized int terminate() {
        process.destroy();
        return waitFor();
    }

    private int waitFor() {
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (alive()) {
            kill();
        }
    }

    /** The test class path: surefire's real one when it runs the tests through a manifest-only jar. */
    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
