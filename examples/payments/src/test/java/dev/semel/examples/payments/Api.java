package dev.semel.examples.payments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real HTTP client for the running example, as a user's program would call it. */
final class Api {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final String base;
    private final String authorization;

    private Api(String base, String authorization) {
        this.base = base;
        this.authorization = authorization;
    }

    static Api onPort(int port) {
        return new Api("http://127.0.0.1:" + port, null);
    }

    /** The API of an application started by {@link #startService}. */
    static Api of(org.springframework.context.ConfigurableApplicationContext context) {
        return onPort(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }

    /**
     * Starts the whole service on a random port and the given database, as {@code java -jar} would,
     * with further command-line settings (e.g. {@code --semel.store.type=redis}).
     */
    static org.springframework.context.ConfigurableApplicationContext startService(String database,
            String... settings) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                "--server.port=0", "--spring.main.banner-mode=off", "--payments.provider.latency=0ms",
                "--spring.datasource.url=" + database));
        args.addAll(java.util.List.of(settings));
        return new org.springframework.boot.builder.SpringApplicationBuilder(PaymentsApplication.class)
                .run(args.toArray(String[]::new));
    }

    /** The same API signed in as a demo user (password = user name). */
    Api as(String user) {
        String token = Base64.getEncoder().encodeToString((user + ":" + user).getBytes(StandardCharsets.UTF_8));
        return new Api(base, "Basic " + token);
    }

    Api withPassword(String user, String password) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new Api(base, "Basic " + token);
    }

    Reply get(String path) {
        return send(request(path).GET());
    }

    Reply post(String path, String json, String key) {
        HttpRequest.Builder request = request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return send(request);
    }

    Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request;
    }

    static String payment(String amount, String currency, String recipient) {
        return "{\"amount\": " + amount + ", \"currency\": \"" + currency + "\", \"recipient\": \"" + recipient + "\"}";
    }

    /** A response: status, headers and the exact body bytes. */
    record Reply(HttpResponse<byte[]> response) {
        int status() {
            return response.statusCode();
        }

        byte[] bytes() {
            return response.body();
        }

        String body() {
            return new String(response.body(), StandardCharsets.UTF_8);
        }

        JsonNode json() {
            return JSON.readTree(response.body());
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status() + " " + body();
        }
    }
}
