package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Accessors, decision kinds, codecs and the in-memory store's figures that callers read. */
class SmallContractsTest {
    private static final Instant T0 = Instant.parse("2031-01-01T00:00:00Z");
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");

    @Test
    void everyDecisionNamesItsKind() {
        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        try (Idempotency engine = Idempotency.create(store, config)) {
            assertThat(engine.admin().storeType()).isEqualTo(InMemoryIdempotencyStore.class);
            assertThat(engine.config()).isSameAs(config);
            Fingerprint fp = Fingerprint.of(new byte[] {1});
            Decision first = engine.begin(SCOPE, IdempotencyKey.of("k"), fp);
            assertThat(first.kind()).isEqualTo(Decision.Kind.EXECUTE);
            Lease lease = ((Decision.Execute) first).lease();
            assertThat(lease.toString()).contains("k").contains("ACTIVE");
            assertThat(engine.begin(SCOPE, IdempotencyKey.of("k"), fp).kind()).isEqualTo(Decision.Kind.IN_PROGRESS);
            assertThat(engine.begin(SCOPE, IdempotencyKey.of("k"), Fingerprint.of(new byte[] {2})).kind())
                    .isEqualTo(Decision.Kind.MISMATCH);
            lease.complete(StoredResponse.of(200, List.of(), new byte[0]));
            assertThat(engine.begin(SCOPE, IdempotencyKey.of("k"), fp).kind()).isEqualTo(Decision.Kind.REPLAY);
        }
    }

    @Test
    void exceptionsNameTheirKey() {
        assertThat(new IdempotencyMismatchException(IdempotencyKey.of("k-9")).key()).isEqualTo(IdempotencyKey.of("k-9"));
        assertThat(new IdempotencyInProgressException(IdempotencyKey.of("k-9"), Duration.ofSeconds(1)).key())
                .isEqualTo(IdempotencyKey.of("k-9"));
    }

    @Test
    void codecsAndPoliciesDoWhatTheySay() {
        byte[] value = {1, 2, 3};
        byte[] encoded = ResultCodec.bytes().encode(value);
        value[0] = 9;
        assertThat(encoded).containsExactly(1, 2, 3);
        assertThat(ResultCodec.bytes().decode(new byte[] {4})).containsExactly(4);
        assertThat(ExceptionCodec.NONE).hasToString("ExceptionCodec.NONE");
        assertThat(ExceptionCodec.storing(IllegalStateException.class).toString())
                .contains("IllegalStateException");
        OutcomePolicy only201 = OutcomePolicy.of(status -> status == 201);
        assertThat(only201.shouldStore(201)).isTrue();
        assertThat(only201.shouldStore(200)).isFalse();
        assertThat(CallOptions.custom().ttl(Duration.ofHours(2)).build().toString()).contains("ttl=PT2H");
    }

    @Test
    void storesJudgeTimeByTheCallersClockUnlessTheySayOtherwise() {
        InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
        assertThat(memory.usesOwnClock()).isFalse();
        IdempotencyStore ownClock = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean usesOwnClock() {
                return true;
            }
        };
        assertThat(new ForwardingIdempotencyStore(ownClock) {
        }.usesOwnClock()).isTrue();
    }

    @Test
    void aBodyAndItsHeadersCountTowardsTheByteBoundByTheirSize() {
        IdempotencyRecord empty = completed(StoredResponse.of(200, List.of(), new byte[0]));
        IdempotencyRecord body = completed(StoredResponse.of(200, List.of(), new byte[1000]));
        IdempotencyRecord header = completed(StoredResponse.of(200,
                List.of(new StoredResponse.Header("abc", "defgh")), new byte[0]));
        long base = InMemoryIdempotencyStore.estimate(empty);
        assertThat(InMemoryIdempotencyStore.estimate(body) - base).isEqualTo(1000);
        // a header costs a fixed overhead plus its name and value, each a string
        long headerCost = InMemoryIdempotencyStore.estimate(header) - base;
        IdempotencyRecord longerHeader = completed(StoredResponse.of(200,
                List.of(new StoredResponse.Header("abcd", "defghij")), new byte[0]));
        assertThat(InMemoryIdempotencyStore.estimate(longerHeader) - base).isEqualTo(headerCost + 3);
        assertThat(headerCost).isGreaterThan(8);
    }

    @Test
    void aStoreFullOfRecordsInProgressSaysHowManyAndHowLarge() {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maxRecords(3).build();
        claim(store, "a", 1);
        claim(store, "b", 2);
        claim(store, "c", 3);
        assertThat(store.complete("a", 1, StoredResponse.of(200, List.of(), new byte[10]), T0.plusSeconds(3600), T0))
                .isTrue();
        assertThat(store.release("b", 2)).isTrue();
        claim(store, "d", 4);
        assertThat(store.renew("d", 4, T0.plusSeconds(45), T0)).isTrue();
        claim(store, "e", 5); // evicts the completed "a"
        assertThat(store.find("a", T0)).isEmpty();
        long inProgressBytes = 0;
        for (String id : List.of("c", "d", "e")) {
            inProgressBytes += InMemoryIdempotencyStore.estimate(store.find(id, T0).orElseThrow());
        }
        long expected = inProgressBytes;
        assertThatThrownBy(() -> claim(store, "f", 6)).isInstanceOf(StoreCapacityExceededException.class)
                .hasMessageContaining("(3 records, about " + expected + " bytes;");
    }

    private static void claim(InMemoryIdempotencyStore store, String id, long token) {
        store.claim(new ClaimRequest(id, "key-" + id, SCOPE.toString(),
                Fingerprint.of(id.getBytes(StandardCharsets.UTF_8)).bytes(), "owner", token, T0.plusSeconds(30),
                T0.plusSeconds(3600), T0));
    }

    private static IdempotencyRecord completed(StoredResponse response) {
        return new IdempotencyRecord("id", "k", "s", RecordState.COMPLETED, new byte[Fingerprint.LENGTH], 1, "o",
                T0, T0, T0, T0.plusSeconds(60), response);
    }
}
