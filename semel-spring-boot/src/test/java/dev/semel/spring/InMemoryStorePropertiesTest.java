package dev.semel.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.IdempotencyKey;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.StoredResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@code semel.store.memory.*} bound the in-memory store the auto-configuration makes. */
class InMemoryStorePropertiesTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SemelAutoConfiguration.class))
            .withPropertyValues("semel.store.type=memory");

    @Test
    void theDefaultsAreTheStoresOwn() {
        runner.run(context -> assertThat(context.getBean(InMemoryIdempotencyStore.class)).hasToString(
                "InMemoryIdempotencyStore[maxRecords=" + InMemoryIdempotencyStore.DEFAULT_MAX_RECORDS + ", maxBytes="
                        + InMemoryIdempotencyStore.DEFAULT_MAX_BYTES + "]"));
    }

    @Test
    void maxRecordsAndMaxBytesBoundTheStoreWhichThenEvictsTheOldestCompletedRecord() {
        runner.withPropertyValues("semel.store.memory.max-records=2", "semel.store.memory.max-bytes=128KB")
                .run(context -> {
                    InMemoryIdempotencyStore store = context.getBean(InMemoryIdempotencyStore.class);
                    assertThat(store).hasToString("InMemoryIdempotencyStore[maxRecords=2, maxBytes=131072]");
                    Instant now = Instant.parse("2031-01-01T00:00:00Z");
                    for (String key : List.of("a", "b", "c")) {
                        String id = Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of(key));
                        ClaimResult claimed = store.claim(new ClaimRequest(id, key, "alice POST /payments",
                                new byte[32], "owner", 7, now.plusSeconds(30), now.plusSeconds(3600), now));
                        assertThat(claimed).isInstanceOf(ClaimResult.Claimed.class);
                        assertThat(store.complete(id, 7, StoredResponse.ofResult(new byte[] {1}),
                                now.plusSeconds(3600), now)).isTrue();
                    }
                    assertThat(store.size()).isEqualTo(2);
                    assertThat(store.evictions()).isEqualTo(1);
                });
    }

    @Test
    void aByteBoundTooSmallForOneRecordStopsTheApplicationWithTheReason() {
        runner.withPropertyValues("semel.store.memory.max-bytes=1KB").run(context -> assertThat(context)
                .getFailure().rootCause().hasMessageContaining("maxBytes must be at least 65536"));
    }
}
