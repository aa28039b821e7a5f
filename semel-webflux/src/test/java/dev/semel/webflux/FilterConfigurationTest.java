package dev.semel.webflux;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Idempotency;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FilterConfigurationTest {
    @Test
    void anEngineThatCompletesInTheStoresTransactionIsRefused() {
        try (Idempotency engine = Idempotency.create(new InTransaction())) {
            assertThatThrownBy(() -> IdempotencyWebFilter.builder(engine))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transaction");
        }
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        try (Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore())) {
            IdempotencyWebFilter.Builder builder = IdempotencyWebFilter.builder(engine);
            assertThatThrownBy(() -> builder.inProgressRetryAfter(Duration.ofMillis(500)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.maxRequestBodyBytes(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.callerSecret(new byte[15])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.route("payments")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.headerName(" ")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** A store whose engine runs claim, operation and completion in its transaction (JDBC transactional mode). */
    static final class InTransaction extends ForwardingIdempotencyStore implements TransactionalIdempotencyStore {
        InTransaction() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            return work.run();
        }
    }
}
