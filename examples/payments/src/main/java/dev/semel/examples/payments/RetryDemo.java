package dev.semel.examples.payments;

import dev.semel.client.RetriedResponse;
import dev.semel.client.RetryPolicy;
import dev.semel.client.RetryingHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Sends payments with Semel's {@link RetryingHttpClient} through a proxy that drops some answers
 * after the server processed them; the client retries each with the same {@code Idempotency-Key},
 * and the demo shows that the server still holds
 * exactly one payment per request.
 *
 * <pre>{@code
 * java -jar examples/payments/target/payments.jar retry-demo                 # starts its own server
 * java -jar examples/payments/target/payments.jar retry-demo --url=http://localhost:8080 --payments=50 --drop-rate=0.5
 * }</pre>
 */
public final class RetryDemo {
    private static final int MAX_ATTEMPTS = 10;

    private RetryDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param args {@code --url=…} of a running service (else one is started in this process),
     *             {@code --payments=N} (1–100, default 20), {@code --drop-rate=0.3},
     *             {@code --seed=…} for a repeatable run
     * @throws Exception if the demo cannot run
     */
    public static void main(String[] args) throws Exception {
        String url = option(args, "url", null);
        int payments = Integer.parseInt(option(args, "payments", "20"));
        double dropRate = Double.parseDouble(option(args, "drop-rate", "0.3"));
        long seed = Long.parseLong(option(args, "seed", String.valueOf(System.nanoTime())));
        if (payments < 1 || payments > PaymentsController.MAX_PAGE_SIZE || dropRate < 0 || dropRate >= 1) {
            throw new IllegalArgumentException("--payments must be 1.." + PaymentsController.MAX_PAGE_SIZE
                    + " and --drop-rate in [0, 1)");
        }
        ConfigurableApplicationContext local = null;
        if (url == null) {
            local = startLocalService();
            url = "http://127.0.0.1:" + local.getEnvironment().getProperty("local.server.port");
        }
        try (FaultInjectingProxy proxy = new FaultInjectingProxy(URI.create(url), dropRate, seed)) {
            Result result = run(URI.create(url), proxy, payments);
            System.out.println(result.report(dropRate));
            if (!result.matches()) {
                System.exit(1);
            }
        } finally {
            if (local != null) {
                local.close();
                deleteRecursively(Path.of(local.getEnvironment().getProperty("payments.demo.data-dir")));
            }
        }
    }

    /** What one run saw. */
    record Result(int requested, int attempts, int dropped, int replayed, long onServer) {
        boolean matches() {
            return onServer == requested;
        }

        String report(double dropRate) {
            return String.format(Locale.ROOT, """

                    Payments requested:    %d
                    Attempts sent:         %d  (the proxy dropped %d answers after the server had processed them, drop rate %.0f%%)
                    Answers replayed:      %d  (Idempotent-Replayed: true: a retry got the first attempt's answer)
                    Payments on server:    %d  %s
                    """, requested, attempts, dropped, dropRate * 100, replayed, onServer,
                    matches() ? "= requested: every retry reused its key, nothing was charged twice"
                            : "!= requested: retries were charged again");
        }
    }

    static Result run(URI server, FaultInjectingProxy proxy, int payments) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // Every attempt is reported here: the demo checks that each one carried its operation's key.
        Map<String, Integer> attemptsByKey = new ConcurrentHashMap<>();
        RetryingHttpClient client = RetryingHttpClient.builder(http)
                .retryPolicy(RetryPolicy.custom()
                        .maxAttempts(MAX_ATTEMPTS)
                        .backoff(Duration.ofMillis(20), Duration.ofMillis(500))
                        .listener(attempt -> attempt.key().ifPresent(key -> attemptsByKey.merge(key, 1, Integer::sum)))
                        .build())
                .build();
        String recipient = "demo-" + UUID.randomUUID().toString().substring(0, 8);
        System.out.printf(Locale.ROOT, "Sending %d payments to %s through %s (server %s)%n", payments, recipient, proxy.uri(), server);
        int attempts = 0;
        int replayed = 0;
        for (int i = 1; i <= payments; i++) {
            String body = String.format(Locale.ROOT, "{\"amount\": %d.%02d, \"currency\": \"EUR\", \"recipient\": \"%s\"}",
                    i, i % 100, recipient);
            // No key set here: the client makes one for this payment and sends it on every attempt.
            RetriedResponse<String> response = client.send(HttpRequest.newBuilder(proxy.uri().resolve("/payments"))
                            .timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            String key = response.idempotencyKey().orElseThrow();
            int tries = response.attempts();
            if (attemptsByKey.getOrDefault(key, 0) != tries) {
                throw new IllegalStateException("an attempt of payment " + i + " did not carry its key " + key);
            }
            attempts += tries;
            if (response.replayed()) {
                replayed++;
            }
            System.out.printf(Locale.ROOT, "payment %3d  key %s  %d after %d attempt%s%s%n", i, key,
                    response.statusCode(), tries, tries == 1 ? "" : "s",
                    response.replayed() ? "  (replayed: every attempt sent this key)" : "");
        }
        HttpResponse<String> list = http.send(HttpRequest.newBuilder(server.resolve("/payments?limit=100&recipient=" + recipient)).build(),
                HttpResponse.BodyHandlers.ofString());
        long onServer = list.body().chars().filter(c -> c == '{').count();
        return new Result(payments, attempts, proxy.dropped(), replayed, onServer);
    }

    private static ConfigurableApplicationContext startLocalService() throws IOException {
        Path data = Files.createTempDirectory("payments-demo");
        System.out.println("No --url given: starting the payments service in this process (H2 file in " + data + ")");
        return new SpringApplication(PaymentsApplication.class).run(
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN",
                "--payments.demo.data-dir=" + data,
                "--spring.datasource.url=" + "jdbc:h2:file:" + data.resolve("payments").toAbsolutePath());
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static String option(String[] args, String name, String fallback) {
        for (String arg : args) {
            if (arg.startsWith("--" + name + "=")) {
                return arg.substring(name.length() + 3);
            }
        }
        return fallback;
    }
}
