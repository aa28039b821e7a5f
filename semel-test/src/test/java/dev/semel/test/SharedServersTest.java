package dev.semel.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(InMemoryStoreExtension.class)
class SharedServersTest {

    @Test
    void startsEachServerOncePerJvm() {
        AtomicInteger starts = new AtomicInteger();
        AutoCloseable first = SharedServers.getOrStart("counting", () -> {
            starts.incrementAndGet();
            return () -> { };
        });
        AutoCloseable second = SharedServers.getOrStart("counting", () -> {
            starts.incrementAndGet();
            return () -> { };
        });
        assertThat(second).isSameAs(first);
        assertThat(starts).hasValue(1);
    }

    @Test
    void reportsAServerThatCannotStartByName() {
        assertThatThrownBy(() -> SharedServers.getOrStart("broken", () -> {
            throw new IllegalArgumentException("no binary");
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("broken").hasMessageContaining("no binary");
    }

    @Test
    void injectsAFreshInMemoryStore(IdempotencyStore a, IdempotencyStore b) {
        assertThat(a).isInstanceOf(InMemoryIdempotencyStore.class).isNotSameAs(b);
    }

    @Test
    void systemPropertyOverridesTheEnvironment() {
        System.setProperty("SEMEL_TEST_EXAMPLE_URL", " redis://127.0.0.1:1 ");
        try {
            assertThat(TestEnvironment.variable("SEMEL_TEST_EXAMPLE_URL")).contains("redis://127.0.0.1:1");
        } finally {
            System.clearProperty("SEMEL_TEST_EXAMPLE_URL");
        }
        assertThat(TestEnvironment.variable("SEMEL_TEST_EXAMPLE_URL")).isEmpty();
    }
}
