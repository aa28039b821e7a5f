package dev.semel.webflux;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;

/** The behaviour table through the WebFlux filter with the in-memory store. */
class InMemoryWebFilterTest extends WebFilterContract {
    @Override
    IdempotencyStore newStore() {
        return new InMemoryIdempotencyStore();
    }
}
