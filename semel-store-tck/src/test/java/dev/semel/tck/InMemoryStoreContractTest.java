package dev.semel.tck;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;

/** The in-memory store keeps the whole contract. */
class InMemoryStoreContractTest extends IdempotencyStoreContract {
    @Override
    protected IdempotencyStore createStore() {
        return new InMemoryIdempotencyStore();
    }
}
