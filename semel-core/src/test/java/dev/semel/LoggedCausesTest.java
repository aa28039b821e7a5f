package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the engine logs when it runs a request unprotected or cannot release a key carries the
 * store's failure itself, stack trace included, not only its key: an operator must see why.
 */
class LoggedCausesTest {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(Idempotency.class.getPackageName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        logger.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(handler);
    }

    @Test
    void aFailOpenRunIsLoggedWithTheStoresFailure() {
        IllegalStateException down = new IllegalStateException("connection refused");
        ForwardingIdempotencyStore failing = new ForwardingIdempotencyStore(new InMemoryIdempotencyStore()) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw down;
            }
        };
        try (Idempotency engine = Idempotency.create(failing,
                IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN).build())) {
            engine.begin(Scope.of("alice", "POST /x"), IdempotencyKey.of("k-1"), Fingerprint.of(new byte[0]));
        }
        LogRecord logged = records.stream().filter(r -> r.getMessage() != null
                && r.getMessage().contains("UNPROTECTED")).findFirst().orElseThrow();
        assertThat(logged.getMessage()).contains("'k-1'");
        assertThat(logged.getThrown()).isSameAs(down);
    }
}
