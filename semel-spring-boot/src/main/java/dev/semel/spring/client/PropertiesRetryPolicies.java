package dev.semel.spring.client;

import dev.semel.client.IdempotencyKeys;
import dev.semel.client.RetryPolicy;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@link RetryPolicies} from {@link SemelClientProperties}: each name's policy is built once
 * (a second build would replace the first's Retry in the registry), the configured instances
 * at startup so that a bad setting stops the application with the property's name.
 */
final class PropertiesRetryPolicies implements RetryPolicies {
    private final SemelClientProperties properties;
    private final RetryRegistry registry;
    private final List<RetryPolicyCustomizer> customizers;
    private final Map<String, RetryPolicy> policies = new ConcurrentHashMap<>();

    PropertiesRetryPolicies(SemelClientProperties properties, RetryRegistry registry,
            List<RetryPolicyCustomizer> customizers) {
        this.properties = properties;
        this.registry = registry;
        this.customizers = List.copyOf(customizers);
        properties.getInstances().keySet().forEach(this::get);
    }

    RetryRegistry registry() {
        return registry;
    }

    @Override
    public RetryPolicy get(String name) {
        if (Objects.requireNonNull(name, "name").isBlank()) {
            throw new IllegalArgumentException("client name is blank");
        }
        return policies.computeIfAbsent(name, this::build);
    }

    private RetryPolicy build(String name) {
        ClientRetrySettings instance = properties.getInstances().get(name);
        String prefix = instance != null ? "semel.client.instances." + name : "semel.client";
        RetryPolicy.Builder builder = RetryPolicy.custom();
        try {
            apply(properties, instance, builder);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(prefix + ": " + e.getMessage(), e);
        }
        builder.name(RETRY_NAME_PREFIX + name).retryRegistry(registry);
        customizers.forEach(c -> c.customize(name, builder));
        return builder.build();
    }

    /** The instance's settings over the defaults; what neither sets stays at RetryPolicy's default. */
    static void apply(ClientRetrySettings defaults, ClientRetrySettings instance, RetryPolicy.Builder builder) {
        ClientRetrySettings own = instance != null ? instance : new ClientRetrySettings();
        set(own.getMaxAttempts(), defaults.getMaxAttempts(), builder::maxAttempts);
        Duration initial = first(own.getBackoff().getInitial(), defaults.getBackoff().getInitial(),
                RetryPolicy.DEFAULT_INITIAL_BACKOFF);
        Duration max = first(own.getBackoff().getMax(), defaults.getBackoff().getMax(), RetryPolicy.DEFAULT_MAX_BACKOFF);
        builder.backoff(initial, max);
        set(own.getDeadline(), defaults.getDeadline(), builder::deadline);
        set(own.getMaxRetryAfter(), defaults.getMaxRetryAfter(), builder::maxRetryAfter);
        set(own.getRetryableStatuses(), defaults.getRetryableStatuses(), builder::retryableStatuses);
        set(own.getRetryOnServerError(), defaults.getRetryOnServerError(), builder::retryOnServerError);
        set(own.getKeyedMethods(), defaults.getKeyedMethods(), methods -> builder.keyedMethods(methods.toArray(String[]::new)));
        set(own.getHeaderName(), defaults.getHeaderName(), builder::headerName);
        // UUIDv7 is RetryPolicy's own default, made on the policy's clock: only v4 needs setting
        set(own.getKeyGenerator(), defaults.getKeyGenerator(), generator -> {
            if (generator == ClientRetrySettings.KeyGenerator.UUID_V4) {
                builder.keyGenerator(IdempotencyKeys.uuidV4());
            }
        });
    }

    private static <T> void set(T own, T fallback, Consumer<T> setter) {
        T value = own != null ? own : fallback;
        if (value != null) {
            setter.accept(value);
        }
    }

    private static <T> T first(T own, T fallback, T last) {
        return own != null ? own : fallback != null ? fallback : last;
    }
}
