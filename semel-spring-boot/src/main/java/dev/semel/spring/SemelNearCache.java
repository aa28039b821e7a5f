package dev.semel.spring;

import java.time.Duration;

/**
 * The near cache in front of the engine's store while {@code semel.near-cache.enabled=true}: a
 * bean through which the meters ({@code cache.*} tagged {@code cache=semel-near-cache}), the
 * {@code semel} health details and the application read its bounds and what it has done. The
 * figures are those of {@code NearCachingIdempotencyStore.stats()}, counted since the start; they
 * stay zero until the engine has been built around the cache. Its methods name no class of
 * semel-near-cache, so that code which reads them runs without that module too.
 *
 * <pre>{@code
 * double hitRate = (double) nearCache.hits() / Math.max(1, nearCache.hits() + nearCache.misses());
 * }</pre>
 */
public interface SemelNearCache {
    /** @return the most records kept ({@code semel.near-cache.max-entries}) */
    int maxEntries();

    /** @return how long a cached record is replayed at most ({@code semel.near-cache.max-staleness}) */
    Duration maxStaleness();

    /** @return claims answered from memory, without a store round trip */
    long hits();

    /**
     * Claims that went to the store: every new key and key in progress, and every replay the cache
     * could not answer (its first one on this instance, one after max-staleness, one of a record
     * evicted or too large).
     *
     * @return the claims that went to the store
     */
    long misses();

    /** @return completed records cached: found by a claim in the store, or completed here */
    long puts();

    /** @return records dropped to stay within max-entries (not those that reached max-staleness) */
    long evictions();

    /** @return completed records not cached because their body was larger than max-body-size */
    long oversized();

    /** @return records cached now (an estimate, which may still count a few that went stale) */
    long entries();
}
