package dev.semel.gateway;

import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;

/**
 * The runnable Semel gateway: Spring Cloud Gateway with the {@code Idempotency} filter, the
 * engine and its store from the {@code semel.*} properties (Redis or PostgreSQL), so that a
 * service in any language gets Idempotency-Key support without a code change.
 *
 * <pre>{@code
 * java -jar semel-gateway.jar --semel.gateway.upstream=http://127.0.0.1:8000 \
 *     --semel.store.type=redis --spring.data.redis.url=redis://127.0.0.1:6379
 * }</pre>
 *
 * <p>Routes are Spring Cloud Gateway's ({@code spring.cloud.gateway.server.webflux.routes}, with
 * {@code filters: - Idempotency}); {@code semel.gateway.upstream} is a shortcut for one upstream:
 * the paths of {@code semel.gateway.protected-paths} (default every path) are protected, every
 * other request is proxied as it is. The caller of a keyed request is its principal, else
 * {@code semel.gateway.caller-header} when set, else a keyed hash of
 * {@code semel.web.credential-headers} under {@code semel.web.caller-secret}. The filter itself comes
 * from {@link dev.semel.gateway.autoconfigure.SemelGatewayAutoConfiguration}, as in any gateway.
 */
@SpringBootApplication
public class SemelGatewayApplication {
    /** The id of the shortcut's protected route: part of every key's scope, the same on every instance. */
    static final String PROTECTED_ROUTE_ID = "semel-protected";
    /** The id of the shortcut's route for everything else. */
    static final String UPSTREAM_ROUTE_ID = "semel-upstream";

    private static final String DATA_SOURCE_AUTO_CONFIGURATIONS = String.join(",",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.health.DataSourceHealthContributorAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.metrics.DataSourcePoolMetricsAutoConfiguration");

    /** Created by Spring. */
    public SemelGatewayApplication() {
    }

    /**
     * Starts the gateway.
     *
     * @param args Spring Boot arguments, e.g. {@code --semel.gateway.upstream=http://127.0.0.1:8000}
     */
    public static void main(String[] args) {
        application().run(args);
    }

    /** The application with the gateway's defaults. */
    static SpringApplication application() {
        SpringApplication application = new SpringApplication(SemelGatewayApplication.class);
        application.setDefaultProperties(Map.of(
                // the gateway filter protects routes; the application-wide WebFlux filter would scope without them
                "semel.web.enabled", "false",
                // a reactive request cannot run inside a JDBC transaction
                "semel.store.jdbc.transactional", "false"));
        application.addListeners((ApplicationListener<ApplicationEnvironmentPreparedEvent>) event -> {
            ConfigurableEnvironment environment = event.getEnvironment();
            if (!"jdbc".equals(environment.getProperty("semel.store.type"))) {
                // PostgreSQL is on the class path for semel.store.type=jdbc; other stores need no DataSource
                environment.getPropertySources().addLast(new MapPropertySource("semelGatewayWithoutDataSource",
                        Map.of("spring.autoconfigure.exclude", DATA_SOURCE_AUTO_CONFIGURATIONS)));
            }
        });
        return application;
    }

    /**
     * The shortcut for one upstream: {@code semel.gateway.protected-paths} (default {@code /**})
     * through the filter ({@code semel.gateway.key-required}, default {@code false}), every other
     * path proxied as it is.
     *
     * @param routes the gateway's route builder
     * @param factory the filter factory
     * @param environment the {@code semel.gateway.*} properties
     * @return the two routes
     */
    @Bean
    @ConditionalOnProperty(prefix = "semel.gateway", name = "upstream")
    RouteLocator semelGatewayRoutes(RouteLocatorBuilder routes, IdempotencyGatewayFilterFactory factory,
            Environment environment) {
        Binder binder = Binder.get(environment);
        String upstream = environment.getRequiredProperty("semel.gateway.upstream");
        List<String> paths = binder.bind("semel.gateway.protected-paths", Bindable.listOf(String.class))
                .orElse(List.of("/**"));
        IdempotencyGatewayFilterFactory.Config config = new IdempotencyGatewayFilterFactory.Config();
        config.setKeyRequired(binder.bind("semel.gateway.key-required", Boolean.class).orElse(false));
        return routes.routes()
                .route(PROTECTED_ROUTE_ID, r -> r.order(0)
                        .path(paths.toArray(String[]::new))
                        .filters(f -> f.filter(factory.apply(config)))
                        .uri(upstream))
                .route(UPSTREAM_ROUTE_ID, r -> r.order(1).path("/**").uri(upstream))
                .build();
    }
}
