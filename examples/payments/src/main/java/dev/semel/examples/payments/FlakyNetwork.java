package dev.semel.examples.payments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Starts the retry demo's {@link FaultInjectingProxy} in front of this service once its web
 * server listens, for the checkout page's "flaky network" switch, and tells the page where it is
 * ({@code GET /demo/flaky-network}: {@code {"port": …, "dropRate": …}}, 404 when switched off).
 *
 * <p>The proxy listens on a port of its own, on the same address as the service, so the page
 * calls it cross-origin under the host name it was loaded from; the proxy answers CORS only
 * for pages served on this service's port.
 */
@Component
class FlakyNetwork implements ApplicationListener<WebServerInitializedEvent>, DisposableBean {
    private final FlakyNetworkProperties properties;
    private final Environment environment;
    private volatile FaultInjectingProxy proxy;

    FlakyNetwork(FlakyNetworkProperties properties, Environment environment) {
        this.properties = properties;
        this.environment = environment;
        if (properties.dropRate() < 0 || properties.dropRate() >= 1) {
            throw new IllegalArgumentException("payments.flaky-network.drop-rate must be in [0, 1), was " + properties.dropRate());
        }
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        // Only the application's own server (not a separate management server).
        if (!properties.enabled() || event.getApplicationContext().getServerNamespace() != null || proxy != null) {
            return;
        }
        int port = event.getWebServer().getPort();
        String address = environment.getProperty("server.address");
        try {
            InetSocketAddress bind = address == null ? new InetSocketAddress(0) : new InetSocketAddress(InetAddress.getByName(address), 0);
            String targetHost = address == null || InetAddress.getByName(address).isAnyLocalAddress() ? "127.0.0.1" : address;
            long seed = properties.seed() != null ? properties.seed() : System.nanoTime();
            proxy = new FaultInjectingProxy(bind, URI.create("http://" + hostLiteral(targetHost) + ":" + port),
                    properties.dropRate(), seed, port);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the flaky-network proxy", e);
        }
    }

    private static String hostLiteral(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** The running proxy, or null when switched off or not started yet. */
    FaultInjectingProxy proxy() {
        return proxy;
    }

    @Override
    public void destroy() {
        FaultInjectingProxy running = proxy;
        if (running != null) {
            running.close();
        }
    }

    /** Where the page finds the proxy. */
    @RestController
    static class Endpoint {
        private final FlakyNetwork network;
        private final FlakyNetworkProperties properties;

        Endpoint(FlakyNetwork network, FlakyNetworkProperties properties) {
            this.network = network;
            this.properties = properties;
        }

        @GetMapping("/demo/flaky-network")
        ResponseEntity<Map<String, Object>> describe() {
            FaultInjectingProxy running = network.proxy();
            if (running == null) {
                return ResponseEntity.notFound().build();
            }
            return ResponseEntity.ok(Map.of("port", running.port(), "dropRate", properties.dropRate(),
                    "forwarded", running.forwarded(), "dropped", running.dropped()));
        }
    }
}
