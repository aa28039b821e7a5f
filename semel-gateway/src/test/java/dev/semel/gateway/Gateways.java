package dev.semel.gateway;

import dev.semel.test.redis.TestRedis;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts the gateway application in this JVM on a free port, and talks HTTP to it. */
final class Gateways {
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private Gateways() {
    }

    /**
     * The arguments of a gateway on the test Redis with the routes every test uses: the YAML-style
     * routes of {@code spring.cloud.gateway.server.webflux.routes} in front of {@code upstream} and
     * {@code dying}, and the {@code semel.gateway.upstream} shortcut for everything else.
     */
    static List<String> arguments(String upstream, String dying, String keyPrefix) {
        return arguments(upstream, dying, List.of(
                "--semel.store.type=redis",
                "--spring.data.redis.url=" + TestRedis.url(),
                "--semel.store.redis.key-prefix=" + keyPrefix));
    }

    /** As {@link #arguments(String, String, String)}, with other store arguments. */
    static List<String> arguments(String upstream, String dying, List<String> store) {
        return arguments(upstream, dying, store, List.of());
    }

    /**
     * As {@link #arguments(String, String, List)}, with more routes after the common ones: each
     * {@code id|uri|predicate...|meta:name=value...} with its filters (each a shortcut, or
     * {@code Name:arg=value,...} for arguments by name).
     */
    static List<String> arguments(String upstream, String dying, List<String> store,
            List<Map.Entry<String, List<String>>> extraRoutes) {
        String routes = "--spring.cloud.gateway.server.webflux.routes";
        List<String> args = new ArrayList<>(store);
        args.addAll(List.of(
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--semel.web.caller-secret=a-test-secret-of-32-characters!!",
                "--semel.gateway.caller-header=X-Caller",
                "--semel.gateway.upstream=" + upstream,
                "--semel.gateway.protected-paths=/shortcut/**"));
        List<Map.Entry<String, List<String>>> defs = List.of(
                Map.entry("payments|" + upstream + "|Path=/payments/**", List.of("Idempotency")),
                Map.entry("flaky|" + upstream + "|Path=/flaky/**", List.of("Idempotency")),
                Map.entry("held|" + upstream + "|Path=/held/**", List.of("Idempotency")),
                Map.entry("dying|" + dying + "|Path=/dying/**", List.of("Idempotency")),
                Map.entry("tenant-a|" + upstream + "|Path=/orders/**|Header=X-Tenant, a", List.of("Idempotency")),
                Map.entry("tenant-b|" + upstream + "|Path=/orders/**|Header=X-Tenant, b", List.of("Idempotency")),
                Map.entry("required|" + upstream + "|Path=/required/**", List.of("StripPrefix=1",
                        "Idempotency=true, 1h, 30s")),
                Map.entry("size|" + upstream + "|Path=/size", List.of("Idempotency")),
                Map.entry("stream|" + upstream + "|Path=/stream/**", List.of("Idempotency")));
        defs = new ArrayList<>(defs);
        defs.addAll(extraRoutes);
        for (int i = 0; i < defs.size(); i++) {
            String[] parts = defs.get(i).getKey().split("\\|");
            String route = routes + "[" + i + "]";
            args.add(route + ".id=" + parts[0]);
            args.add(route + ".uri=" + parts[1]);
            int predicate = 0;
            for (int p = 2; p < parts.length; p++) {
                if (parts[p].startsWith("meta:")) {
                    args.add(route + ".metadata." + parts[p].substring("meta:".length()));
                } else {
                    args.add(route + ".predicates[" + predicate++ + "]=" + parts[p]);
                }
            }
            List<String> filters = defs.get(i).getValue();
            for (int f = 0; f < filters.size(); f++) {
                String filter = filters.get(f);
                if (filter.contains(":")) { // Name:arg=value,arg=value: arguments by name
                    String[] nameAndArgs = filter.split(":", 2);
                    args.add(route + ".filters[" + f + "].name=" + nameAndArgs[0]);
                    for (String arg : nameAndArgs[1].split(",")) {
                        args.add(route + ".filters[" + f + "].args." + arg);
                    }
                } else {
                    args.add(route + ".filters[" + f + "]=" + filter);
                }
            }
        }
        return args;
    }

    static ConfigurableApplicationContext start(List<String> arguments) {
        return SemelGatewayApplication.application().run(arguments.toArray(String[]::new));
    }

    static String url(ConfigurableApplicationContext context) {
        return "http://127.0.0.1:" + context.getEnvironment().getRequiredProperty("local.server.port");
    }

    static HttpRequest.Builder post(String url, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer alice-token")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return request;
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
