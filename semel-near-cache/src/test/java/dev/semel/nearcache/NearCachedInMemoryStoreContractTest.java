package dev.semel.nearcache;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.tck.IdempotencyStoreContract;

/** The in-memory store keeps the whole contract behind a near cache, at its default staleness. */
class NearCachedInMemoryStoreContractTest extends IdempotencyStoreContract {
    @Override
    protected IdempotencyStore createStore() {
        return NearCachingIdempotencyStore.builder(new InMemoryIdempotencyStore()).build();
    }
}
