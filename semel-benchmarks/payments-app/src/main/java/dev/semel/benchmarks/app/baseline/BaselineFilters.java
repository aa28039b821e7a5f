package dev.semel.benchmarks.app.baseline;

import io.lettuce.core.RedisClient;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Registers the BASELINE filter the profile names ({@code bench.naive=redis|postgres}) on {@code /payments}. */
@Configuration(proxyBeanMethods = false)
public class BaselineFilters {
    @Bean(destroyMethod = "shutdown")
    @ConditionalOnProperty(name = "bench.naive", havingValue = "redis")
    RedisClient naiveRedisClient(@Value("${spring.data.redis.url:redis://127.0.0.1:6379}") String url) {
        return RedisClient.create(url);
    }

    @Bean
    @ConditionalOnProperty(name = "bench.naive", havingValue = "redis")
    FilterRegistrationBean<NaiveFilter> naiveRedisFilter(RedisClient naiveRedisClient) {
        return register(new NaiveRedisFilter(naiveRedisClient));
    }

    @Bean
    @ConditionalOnProperty(name = "bench.naive", havingValue = "postgres")
    FilterRegistrationBean<NaiveFilter> naiveJdbcFilter(DataSource dataSource) {
        return register(new NaiveJdbcFilter(dataSource));
    }

    private static FilterRegistrationBean<NaiveFilter> register(NaiveFilter filter) {
        FilterRegistrationBean<NaiveFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/payments");
        return registration;
    }
}
