package dev.semel.spring;

import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import io.lettuce.core.AbstractRedisClient;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The Redis store over the application's Redis connection: its Lettuce client bean, or the
 * client of the Lettuce connection factory Spring Boot builds from {@code spring.data.redis.*}.
 * Chosen when {@code semel.store.type=redis}, or when it is unset and no JDBC store was chosen.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({RedisIdempotencyStore.class, AbstractRedisClient.class})
@ConditionalOnProperty(prefix = "semel.store", name = "type", havingValue = "redis", matchIfMissing = true)
@Import({RedisStoreConfiguration.FromClient.class, RedisStoreConfiguration.FromConnectionFactory.class})
class RedisStoreConfiguration {

    static RedisIdempotencyStore store(AbstractRedisClient client, SemelProperties properties) {
        SemelProperties.Redis redis = properties.getStore().getRedis();
        return RedisIdempotencyStore.builder(client)
                .keyPrefix(redis.getKeyPrefix())
                .commandTimeout(redis.getCommandTimeout() != null ? redis.getCommandTimeout()
                        : properties.getStore().getTimeout())
                .allowEviction(redis.isAllowEviction())
                .build();
    }

    /** The application declares a Lettuce client itself. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnSingleCandidate(AbstractRedisClient.class)
    @ConditionalOnMissingBean(IdempotencyStore.class)
    static class FromClient {
        @Bean
        RedisIdempotencyStore semelIdempotencyStore(AbstractRedisClient client, SemelProperties properties) {
            return store(client, properties);
        }
    }

    /** Spring Data Redis's Lettuce connection factory (from {@code spring.data.redis.*}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(LettuceConnectionFactory.class)
    @ConditionalOnSingleCandidate(LettuceConnectionFactory.class)
    @ConditionalOnMissingBean(IdempotencyStore.class)
    static class FromConnectionFactory {
        @Bean
        RedisIdempotencyStore semelIdempotencyStore(LettuceConnectionFactory connectionFactory,
                SemelProperties properties) {
            if (!connectionFactory.isRunning()) {
                connectionFactory.start();
            }
            return store(connectionFactory.getRequiredNativeClient(), properties);
        }
    }
}
