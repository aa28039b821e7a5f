package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyConfig;
import dev.semel.http.JsonBodyNormalizer;
import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.nearcache.NearCachingIdempotencyStore;
import dev.semel.redis.RedisIdempotencyStore;
import dev.semel.servlet.IdempotencyFilter;
import org.junit.jupiter.api.Test;

/**
 * The defaults of {@code semel.*} restate the library's {@code DEFAULT_*} constants as literals,
 * because Spring Boot's metadata processor documents a default only when it can read it from the
 * field's initializer. This keeps the two from drifting apart: a changed library default fails here
 * until the property (and the generated documentation) says the same.
 */
class PropertyDefaultsTest {
    private final SemelProperties properties = new SemelProperties();

    @Test
    void engineDefaultsMatchTheLibrary() {
        assertThat(properties.getTtl()).isEqualTo(IdempotencyConfig.DEFAULT_TTL);
        assertThat(properties.getLease()).isEqualTo(IdempotencyConfig.DEFAULT_LEASE_DURATION);
        assertThat(properties.getFailurePolicy()).isEqualTo(IdempotencyConfig.DEFAULT_FAILURE_POLICY);
        assertThat(properties.getStoreFailureRetryAfter())
                .isEqualTo(IdempotencyConfig.DEFAULT_STORE_FAILURE_RETRY_AFTER);
    }

    @Test
    void httpDefaultsMatchTheFilter() {
        assertThat(properties.getHeaderName()).isEqualTo(IdempotencyFilter.DEFAULT_HEADER_NAME);
        assertThat(properties.getWeb().getInProgressRetryAfter())
                .isEqualTo(IdempotencyFilter.DEFAULT_IN_PROGRESS_RETRY_AFTER);
        assertThat(properties.getCapture().getMaxRequestBodySize().toBytes())
                .isEqualTo(IdempotencyFilter.DEFAULT_MAX_BODY_BYTES);
        assertThat(properties.getFingerprint().getJsonMaxNestingDepth())
                .isEqualTo(JsonBodyNormalizer.DEFAULT_MAX_NESTING_DEPTH);
        assertThat(properties.getFingerprint().getJsonMaxNumberLength())
                .isEqualTo(JsonBodyNormalizer.DEFAULT_MAX_NUMBER_LENGTH);
    }

    @Test
    void storeDefaultsMatchTheStores() {
        assertThat(properties.getStore().getJdbc().getTableName()).isEqualTo(JdbcIdempotencyStore.DEFAULT_TABLE_NAME);
        assertThat(properties.getStore().getJdbc().isReadFirst()).isEqualTo(JdbcIdempotencyStore.DEFAULT_READ_FIRST);
        assertThat(properties.getStore().getRedis().getKeyPrefix()).isEqualTo(RedisIdempotencyStore.DEFAULT_KEY_PREFIX);
    }

    @Test
    void nearCacheDefaultsMatchTheNearCache() {
        assertThat(properties.getNearCache().isEnabled()).isFalse();
        assertThat(properties.getNearCache().getMaxEntries()).isEqualTo(NearCachingIdempotencyStore.DEFAULT_MAX_ENTRIES);
        assertThat(properties.getNearCache().getMaxStaleness()).isEqualTo(NearCachingIdempotencyStore.DEFAULT_MAX_STALENESS);
        assertThat(properties.getNearCache().getMaxBodySize().toBytes())
                .isEqualTo(NearCachingIdempotencyStore.DEFAULT_MAX_BODY_BYTES);
    }
}
