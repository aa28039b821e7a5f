package dev.semel.spring;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.semel.Idempotency;
import dev.semel.nearcache.NearCachingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * {@code semel.near-cache.enabled=true}: the engine's store, whatever it is (encrypted or not), is
 * wrapped outermost in a {@link NearCachingIdempotencyStore}, so that the Actuator endpoint's
 * deletes go through it and take effect on this instance at once. Needs semel-near-cache (and
 * Caffeine) on the class path; without it the startup fails and says so. The wrapper is also the
 * {@link SemelNearCache} bean that the meters and the health details read.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "semel.near-cache", name = "enabled", havingValue = "true")
class SemelNearCacheConfiguration {
    static final String NEAR_CACHE = "dev.semel.nearcache.NearCachingIdempotencyStore";
    static final String CAFFEINE = "com.github.benmanes.caffeine.cache.Caffeine";

    /**
     * Wraps the engine's store, once, when the engine is built, and then reports on the near cache
     * it built; a bean so that the engine's configuration never names a near-cache class.
     */
    interface Wrapper extends SemelNearCache {
        IdempotencyStore wrap(IdempotencyStore store);
    }

    /**
     * The wrapper {@code semel.near-cache.*} describes. None when the application builds its own
     * engine (which wraps its store itself, if it wants to): nothing would call it, and its figures
     * would read zero for ever.
     *
     * @param properties the properties
     * @param beanFactory whose class loader says whether semel-near-cache is there
     * @return the wrapper
     * @throws SemelConfigurationException if semel-near-cache or Caffeine is missing
     */
    @Bean
    @ConditionalOnMissingBean({Wrapper.class, Idempotency.class})
    Wrapper semelNearCache(SemelProperties properties, ConfigurableListableBeanFactory beanFactory) {
        ClassLoader loader = beanFactory.getBeanClassLoader();
        if (!ClassUtils.isPresent(NEAR_CACHE, loader) || !ClassUtils.isPresent(CAFFEINE, loader)) {
            // asked for: fail rather than run without the cache the operator counts on
            throw new SemelConfigurationException("semel.near-cache.enabled=true, but semel-near-cache (and "
                    + "Caffeine, which it brings) is not on the class path.",
                    "Add the dependency dev.semel:semel-near-cache, or set semel.near-cache.enabled=false.");
        }
        return Factory.wrapper(properties);
    }

    /** Names the near cache's classes; loaded only once they are known to be there. */
    static final class Factory {
        private Factory() {
        }

        static Wrapper wrapper(SemelProperties properties) {
            return wrapper(properties, Ticker.systemTicker());
        }

        /**
         * The wrapper the properties describe.
         *
         * @param properties {@code semel.near-cache.*}
         * @param ticker the staleness bound's time source (tests move it by hand)
         * @return the wrapper
         */
        static Wrapper wrapper(SemelProperties properties, Ticker ticker) {
            return new NearCacheWrapper(properties.getNearCache(), ticker);
        }

        /** The wrapper, which keeps the near cache it built to report its figures. */
        static final class NearCacheWrapper implements Wrapper {
            private static final NearCachingIdempotencyStore.Stats NONE =
                    new NearCachingIdempotencyStore.Stats(0, 0, 0, 0, 0, 0);

            private final SemelProperties.NearCache settings;
            private final Ticker ticker;
            private volatile @Nullable NearCachingIdempotencyStore built;

            NearCacheWrapper(SemelProperties.NearCache settings, Ticker ticker) {
                this.settings = settings;
                this.ticker = ticker;
            }

            @Override
            public IdempotencyStore wrap(IdempotencyStore store) {
                if (store instanceof TransactionalIdempotencyStore) {
                    throw new SemelConfigurationException("semel.near-cache.enabled=true, but the idempotency "
                            + "store is transactional (" + store + "): inside the business transaction a claim may "
                            + "find a completed record that the same transaction wrote and may still roll back, "
                            + "which a near cache must never replay.", "Set semel.store.jdbc.transactional=false "
                            + "(the records then commit on their own), use Redis, or set "
                            + "semel.near-cache.enabled=false.");
                }
                NearCachingIdempotencyStore nearCache = NearCachingIdempotencyStore.builder(store)
                        .maxEntries(settings.getMaxEntries())
                        .maxStaleness(settings.getMaxStaleness())
                        .maxBodyBytes((int) settings.getMaxBodySize().toBytes())
                        .ticker(ticker)
                        .build();
                built = nearCache;
                return nearCache;
            }

            @Override
            public int maxEntries() {
                NearCachingIdempotencyStore nearCache = built;
                return nearCache == null ? settings.getMaxEntries() : nearCache.maxEntries();
            }

            @Override
            public Duration maxStaleness() {
                NearCachingIdempotencyStore nearCache = built;
                return nearCache == null ? settings.getMaxStaleness() : nearCache.maxStaleness();
            }

            @Override
            public long hits() {
                return stats().hits();
            }

            @Override
            public long misses() {
                return stats().misses();
            }

            @Override
            public long puts() {
                return stats().puts();
            }

            @Override
            public long evictions() {
                return stats().evictions();
            }

            @Override
            public long oversized() {
                return stats().oversized();
            }

            @Override
            public long entries() {
                return stats().entries();
            }

            /** A snapshot per figure: read by a scrape or a health check, never by a request. */
            private NearCachingIdempotencyStore.Stats stats() {
                NearCachingIdempotencyStore nearCache = built;
                return nearCache == null ? NONE : nearCache.stats();
            }

            @Override
            public String toString() {
                NearCachingIdempotencyStore nearCache = built;
                return nearCache == null ? "NearCacheWrapper(not built yet)" : nearCache.toString();
            }
        }
    }
}
