/**
 * A near cache for completed idempotency records: {@link dev.semel.nearcache.NearCachingIdempotencyStore}
 * answers the replay of a recently completed key from this process's memory, without a store round trip.
 */
@NullMarked
package dev.semel.nearcache;

import org.jspecify.annotations.NullMarked;
