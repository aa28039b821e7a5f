package dev.semel.spring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;

/**
 * The near cache's figures as Micrometer's standard cache meters, tagged
 * {@code cache=semel-near-cache}: {@code cache.gets} ({@code result=hit|miss}), {@code cache.puts},
 * {@code cache.evictions}, {@code cache.size}, and {@code cache.oversized} of its own.
 *
 * <p>Why the {@code cache.*} names rather than {@code semel.near.cache.*}: Spring Boot and
 * Micrometer report every cache so (Caffeine, JCache, Spring's cache managers), so the dashboards
 * and hit-ratio alerts an operator already has for caches show this one with no new query, next to
 * the others. The figures mean what Micrometer's names say: a get is a claim, a hit is a claim
 * answered from memory. Evictions are only those for room ({@code max-entries}): unlike Caffeine's
 * own binder, records that reached {@code max-staleness} are not counted, as their expiry is the
 * design, not a sign of a cache too small. Spring's cache managers' meters also carry a
 * {@code cache.manager} tag; these have none, as no cache manager holds this cache (Micrometer 1.17
 * exports meters of one name with different tag keys to Prometheus).
 */
final class NearCacheMetrics extends CacheMeterBinder<SemelNearCache> {
    /** The {@code cache} tag's value. */
    static final String CACHE_NAME = "semel-near-cache";

    private final SemelNearCache nearCache;

    NearCacheMetrics(SemelNearCache nearCache) {
        super(nearCache, CACHE_NAME, Tags.empty());
        this.nearCache = nearCache;
    }

    @Override
    protected Long size() {
        return nearCache.entries();
    }

    @Override
    protected long hitCount() {
        return nearCache.hits();
    }

    @Override
    protected Long missCount() {
        return nearCache.misses();
    }

    @Override
    protected Long evictionCount() {
        return nearCache.evictions();
    }

    @Override
    protected long putCount() {
        return nearCache.puts();
    }

    @Override
    protected void bindImplementationSpecificMetrics(MeterRegistry registry) {
        FunctionCounter.builder("cache.oversized", nearCache, SemelNearCache::oversized)
                .tags(getTagsWithCacheName())
                .description("Completed records not cached because their response body was larger than "
                        + "semel.near-cache.max-body-size; their replays go to the store.")
                .register(registry);
    }
}
