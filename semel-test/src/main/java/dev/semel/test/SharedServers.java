package dev.semel.test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts each test server once per JVM and stops every one at JVM exit, so a test suite
 * pays a server's start-up once however many test classes use it.
 */
public final class SharedServers {
    private static final Map<String, Object> SERVERS = new ConcurrentHashMap<>();
    private static final Deque<AutoCloseable> TO_CLOSE = new ArrayDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(SharedServers::closeAll, "semel-test-servers-stop"));
    }

    private SharedServers() {
    }

    /**
     * Returns the server registered under {@code name}, starting it on first use.
     *
     * @param name a unique name, e.g. {@code "postgres"}
     * @param starter starts the server; called at most once per name
     * @param <T> the server type
     * @return the running server
     * @throws IllegalStateException if the server cannot be started
     */
    @SuppressWarnings("unchecked")
    public static <T extends AutoCloseable> T getOrStart(String name, Callable<T> starter) {
        return (T) SERVERS.computeIfAbsent(name, n -> {
            try {
                T server = starter.call();
                synchronized (TO_CLOSE) {
                    TO_CLOSE.push(server);
                }
                return server;
            } catch (Exception e) {
                throw new IllegalStateException("Could not start the test server '" + n + "': " + e.getMessage(), e);
            }
        });
    }

    private static void closeAll() {
        synchronized (TO_CLOSE) {
            while (!TO_CLOSE.isEmpty()) {
                try {
                    TO_CLOSE.pop().close();
                } catch (Exception e) {
                    System.err.println("semel-test: could not stop a test server: " + e);
                }
            }
        }
    }
}
