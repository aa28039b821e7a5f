package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.jdbc.JdbcIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.test.jdbc.TestDatabases;
import java.util.List;

/**
 * The behaviour table through the WebFlux filter with a store that has only blocking calls (JDBC,
 * on an in-memory H2): the engine runs them on its bounded store executor, never on an event loop.
 */
class JdbcWebFilterTest extends WebFilterContract {
    @Override
    IdempotencyStore newStore() {
        return JdbcIdempotencyStore.builder(TestDatabases.h2("webflux")).tableName("semel_webflux")
                .createTableIfMissing(true).build();
    }

    @Override
    void assertBlockingStoreCallsOfRequests(List<String> calls) {
        assertThat(calls).as("blocking store calls of requests run on the engine's store executor")
                .allMatch(call -> call.contains(" on semel-store-"));
    }
}
