package dev.semel.spring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Why no store could be built, or why the in-memory fallback would be a silent mistake: the
 * {@link SemelConfigurationException}s that {@link SemelFailureAnalyzer} explains.
 */
final class StoreChoice {
    static final String JDBC_STORE = "dev.semel.jdbc.JdbcIdempotencyStore";
    static final String REDIS_STORE = "dev.semel.redis.RedisIdempotencyStore";
    static final String DATA_SOURCE = "javax.sql.DataSource";
    static final String LETTUCE_CLIENT = "io.lettuce.core.AbstractRedisClient";
    static final String REDIS_CONNECTION_FACTORY = "org.springframework.data.redis.connection.RedisConnectionFactory";
    static final String LETTUCE_CONNECTION_FACTORY =
            "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory";

    private static final String OTHER_STORES = "or set semel.store.type to another store (memory protects one "
            + "instance only), or declare an IdempotencyStore bean";

    private StoreChoice() {
    }

    /**
     * The store was chosen automatically and would be memory: fails if the application clearly
     * has a shared store that Semel cannot pick by itself.
     */
    static void checkInMemoryFallback(ListableBeanFactory beans) {
        ClassLoader loader = classLoader(beans);
        if (ClassUtils.isPresent(JDBC_STORE, loader) && ClassUtils.isPresent(DATA_SOURCE, loader)) {
            List<String> dataSources = beanNames(beans, DATA_SOURCE);
            if (dataSources.size() > 1) {
                throw severalDataSources(dataSources, true);
            }
        }
        if (ClassUtils.isPresent(REDIS_STORE, loader)) {
            List<String> unusable = nonLettuceConnectionFactories(beans);
            if (!unusable.isEmpty()) {
                throw nonLettuce(beans, unusable, true);
            }
        }
    }

    /** No store bean came out of the configurations for {@code semel.store.type}: say why. */
    static SemelConfigurationException noStore(SemelProperties properties, ListableBeanFactory beans) {
        ClassLoader loader = classLoader(beans);
        List<String> stores = beanNames(beans, "dev.semel.spi.IdempotencyStore");
        if (stores.size() > 1) {
            return new SemelConfigurationException("Semel found " + stores.size() + " IdempotencyStore beans "
                    + stores + " and none is @Primary, so it cannot tell which one holds the records.",
                    "Mark one of them @Primary, or declare the Idempotency bean yourself over the one you mean.");
        }
        SemelProperties.StoreType type = properties.getStore().getType();
        if (type == SemelProperties.StoreType.JDBC) {
            if (!ClassUtils.isPresent(JDBC_STORE, loader)) {
                return new SemelConfigurationException("semel.store.type=jdbc, but semel-store-jdbc is not on "
                        + "the class path.", "Add the dependency dev.semel:semel-store-jdbc, " + OTHER_STORES + ".");
            }
            List<String> dataSources = ClassUtils.isPresent(DATA_SOURCE, loader) ? beanNames(beans, DATA_SOURCE)
                    : List.of();
            if (dataSources.size() > 1) {
                return severalDataSources(dataSources, false);
            }
            return new SemelConfigurationException("semel.store.type=jdbc, but the application has no DataSource.",
                    "Configure one (spring.datasource.url and a JDBC driver), " + OTHER_STORES + ".");
        }
        if (type == SemelProperties.StoreType.REDIS) {
            if (!ClassUtils.isPresent(REDIS_STORE, loader)) {
                return new SemelConfigurationException("semel.store.type=redis, but semel-store-redis is not on "
                        + "the class path.", "Add the dependency dev.semel:semel-store-redis, " + OTHER_STORES + ".");
            }
            if (!ClassUtils.isPresent(LETTUCE_CLIENT, loader)) {
                return new SemelConfigurationException("semel.store.type=redis, but Lettuce (io.lettuce:lettuce-core) "
                        + "is not on the class path: Semel's Redis store runs its scripts and waits on Lettuce.",
                        "Add io.lettuce:lettuce-core (do not exclude it from spring-boot-starter-data-redis), "
                                + OTHER_STORES + ".");
            }
            List<String> unusable = nonLettuceConnectionFactories(beans);
            if (!unusable.isEmpty()) {
                return nonLettuce(beans, unusable, false);
            }
            return new SemelConfigurationException("semel.store.type=redis, but the application has no Redis "
                    + "connection: neither a Lettuce RedisClient/RedisClusterClient bean nor Spring Data Redis's "
                    + "LettuceConnectionFactory.", "Add spring-boot-starter-data-redis and set spring.data.redis.* "
                    + "(e.g. spring.data.redis.url), or declare a Lettuce RedisClient bean, " + OTHER_STORES + ".");
        }
        return new SemelConfigurationException("No idempotency store could be built for semel.store.type="
                + (type == null ? "(unset)" : type.name().toLowerCase()) + ".",
                "Declare an IdempotencyStore bean, or set semel.store.type=memory, jdbc or redis.");
    }

    private static SemelConfigurationException severalDataSources(List<String> names, boolean fallback) {
        return new SemelConfigurationException("Semel found " + names.size() + " DataSource beans " + names
                + " and none is @Primary, so it cannot tell which database holds the idempotency records"
                + (fallback ? "; it will not fall back to memory, which would protect one instance only." : "."),
                "Mark the DataSource for the records @Primary, or declare a JdbcIdempotencyStore bean over the one "
                        + "you mean (JdbcIdempotencyStore.builder(dataSource)...), or set semel.store.type=memory "
                        + "or redis.");
    }

    private static SemelConfigurationException nonLettuce(ListableBeanFactory beans, List<String> names,
            boolean fallback) {
        List<String> described = new ArrayList<>();
        for (String name : names) {
            Class<?> type = beans.getType(name);
            described.add(name + " (" + (type == null ? "?" : type.getSimpleName()) + ")");
        }
        return new SemelConfigurationException("The application's Redis connection " + described + " is not Lettuce "
                + "(Jedis?), and Semel's Redis store works on Lettuce only"
                + (fallback ? "; Semel will not fall back to memory, which would protect one instance only."
                        : "."),
                "Use Lettuce: remove spring.data.redis.client-type=jedis (Lettuce is Spring Boot's default) or "
                        + "declare a Lettuce RedisClient bean next to Jedis, or set semel.store.type=memory or jdbc.");
    }

    /** RedisConnectionFactory beans that are not Lettuce's, when there is no Lettuce client Semel could use. */
    private static List<String> nonLettuceConnectionFactories(ListableBeanFactory beans) {
        ClassLoader loader = classLoader(beans);
        if (!ClassUtils.isPresent(REDIS_CONNECTION_FACTORY, loader)
                || (ClassUtils.isPresent(LETTUCE_CLIENT, loader) && !beanNames(beans, LETTUCE_CLIENT).isEmpty())) {
            return List.of();
        }
        List<String> factories = beanNames(beans, REDIS_CONNECTION_FACTORY);
        if (factories.isEmpty()) {
            return List.of();
        }
        List<String> lettuce = ClassUtils.isPresent(LETTUCE_CONNECTION_FACTORY, loader)
                ? beanNames(beans, LETTUCE_CONNECTION_FACTORY) : List.of();
        return lettuce.isEmpty() ? factories : List.of();
    }

    /** The application's class loader (the one conditions see), not necessarily Semel's. */
    private static ClassLoader classLoader(ListableBeanFactory beans) {
        if (beans instanceof ConfigurableListableBeanFactory configurable && configurable.getBeanClassLoader() != null) {
            return configurable.getBeanClassLoader();
        }
        return StoreChoice.class.getClassLoader();
    }

    private static List<String> beanNames(ListableBeanFactory beans, String className) {
        Class<?> type = ClassUtils.resolveClassName(className, classLoader(beans));
        String[] names = beans.getBeanNamesForType(type, true, false);
        if (names.length > 1 && beans instanceof ConfigurableListableBeanFactory configurable) {
            for (String name : names) {
                if (configurable.containsBeanDefinition(name) && configurable.getBeanDefinition(name).isPrimary()) {
                    return List.of(name);
                }
            }
        }
        return Arrays.asList(names);
    }
}
