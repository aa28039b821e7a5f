package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Equality, printing and delegation contracts users and store wrappers rely on. */
class ValueContractsTest {
    private static final Instant T0 = Instant.parse("2031-01-01T00:00:00Z");

    @Test
    void storedResponsesAreEqualByStatusHeadersBodyAndRetention() {
        List<StoredResponse.Header> json = List.of(new StoredResponse.Header("Content-Type", "application/json"));
        StoredResponse ok = StoredResponse.of(200, json, "{}".getBytes(StandardCharsets.UTF_8));
        StoredResponse same = StoredResponse.of(200, json, "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(ok).isEqualTo(same).hasSameHashCodeAs(same)
                .isNotEqualTo(StoredResponse.of(201, json, "{}".getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(StoredResponse.of(200, List.of(), "{}".getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(StoredResponse.of(200, json, "[]".getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(StoredResponse.withoutBody(200, json))
                .isNotEqualTo("200");
        assertThat(ok.hashCode()).isNotEqualTo(StoredResponse.of(200, json, "[]".getBytes(StandardCharsets.UTF_8))
                .hashCode());
        assertThat(ok).hasToString("StoredResponse[status=200, headers=1, body=2 bytes]");
        assertThat(StoredResponse.withoutBody(204, List.of()))
                .hasToString("StoredResponse[status=204, headers=0, body=0 bytes (not retained)]");
    }

    @Test
    void aResultNotRetainedKeepsAShortPrintableReason() {
        String reason = "a\u001fb c~d\u007fe" + "x".repeat(400);
        StoredResponse response = StoredResponse.ofResultNotRetained(reason);
        String kept = response.headers().get(0).value();
        assertThat(response.headers().get(0).name()).isEqualTo(StoredResponse.NOT_RETAINED_HEADER);
        assertThat(kept).hasSize(300).startsWith("a b c~d e");
        assertThat(StoredResponse.ofResultNotRetained(null).headers().get(0).value()).isEqualTo("unknown reason");
    }

    @Test
    void recordsOnlyMoveForwardFromInProgress() {
        assertThat(RecordState.IN_PROGRESS.canMoveTo(RecordState.COMPLETED)).isTrue();
        assertThat(RecordState.IN_PROGRESS.canMoveTo(RecordState.IN_PROGRESS)).isTrue();
        assertThat(RecordState.COMPLETED.canMoveTo(RecordState.IN_PROGRESS)).isFalse();
        assertThat(RecordState.COMPLETED.canMoveTo(RecordState.COMPLETED)).isFalse();
    }

    @Test
    void keysAreEqualByValueAndNameTheBadCharactersPosition() {
        assertThat(IdempotencyKey.of("k-1")).isEqualTo(IdempotencyKey.of("k-1"))
                .hasSameHashCodeAs(IdempotencyKey.of("k-1"))
                .isNotEqualTo(IdempotencyKey.of("k-2"))
                .isNotEqualTo("k-1");
        assertThat(IdempotencyKey.of("k-1").hashCode()).isNotEqualTo(IdempotencyKey.of("k-2").hashCode());
        assertThatThrownBy(() -> IdempotencyKey.of("ab\u0007"))
                .isInstanceOf(InvalidIdempotencyKeyException.class).hasMessageContaining("at position 3 ");
    }

    @Test
    void aForwardingStoreReturnsWhatItsDelegateSays() throws Exception {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        ForwardingIdempotencyStore store = new ForwardingIdempotencyStore(memory) {
        };
        byte[] fp = Fingerprint.of(new byte[] {1}).bytes();
        store.claim(new ClaimRequest("a", "k", "s", fp, "o", 1, T0.plusSeconds(30), T0.plusSeconds(60), T0));
        store.claim(new ClaimRequest("b", "k", "s", fp, "o", 2, T0.plusSeconds(30), T0.plusSeconds(60), T0));
        assertThat(store.renew("a", 99, T0.plusSeconds(40), T0)).isFalse();
        assertThat(store.complete("a", 99, StoredResponse.withoutBody(200, List.of()), T0.plusSeconds(60), T0))
                .isFalse();
        assertThat(store.release("a", 99)).isFalse();
        assertThat(store.delete("missing")).isFalse();
        assertThat(store.query(RecordQuery.all(), T0)).hasSize(2);
        assertThat(store.usesOwnClock()).isEqualTo(memory.usesOwnClock());
        assertThat(store.purgeExpired(T0.plusSeconds(61), 10)).isEqualTo(2);
        assertThat(memory.size()).isZero();

        // a waiter on a record in progress waits in the delegate, until the delegate signals
        store.claim(new ClaimRequest("c", "k", "s", fp, "o", 3, T0.plusSeconds(30), T0.plusSeconds(60), T0));
        Thread waiter = new Thread(() -> {
            try {
                store.awaitChange("c", Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        while (waiter.getState() != Thread.State.TIMED_WAITING && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        assertThat(waiter.isAlive()).as("the delegate made the waiter wait").isTrue();
        memory.release("c", 3);
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
    }
}
