package dev.semel;

import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The small value types users configure and query with: what they accept, compare and match. */
class PolicyAndQueryTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void rejectAnswersAtOnceAndWaitingNeedsAPositiveBound() {
        WaitPolicy reject = WaitPolicy.reject();
        assertThat(reject.waits()).isFalse();
        assertThat(reject.maxWait()).isZero();
        assertThat(reject).hasToString("reject").isEqualTo(WaitPolicy.reject());

        WaitPolicy wait = WaitPolicy.waitUpTo(Duration.ofSeconds(5));
        assertThat(wait.waits()).isTrue();
        assertThat(wait.maxWait()).isEqualTo(Duration.ofSeconds(5));
        assertThat(wait).hasToString("wait up to PT5S");

        assertThatThrownBy(() -> WaitPolicy.waitUpTo(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WaitPolicy.waitUpTo(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WaitPolicy.waitUpTo(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void inProgressPoliciesAreEqualByTheirBound() {
        WaitPolicy five = WaitPolicy.waitUpTo(Duration.ofSeconds(5));
        assertThat(five).isEqualTo(WaitPolicy.waitUpTo(Duration.ofMillis(5000)))
                .hasSameHashCodeAs(WaitPolicy.waitUpTo(Duration.ofMillis(5000)))
                .isNotEqualTo(WaitPolicy.waitUpTo(Duration.ofSeconds(6)))
                .isNotEqualTo(WaitPolicy.reject())
                .isNotEqualTo("wait up to PT5S");
        assertThat(five.hashCode()).isNotEqualTo(WaitPolicy.waitUpTo(Duration.ofSeconds(6)).hashCode());
    }

    @Test
    void theDefaultPolicyAnswersADuplicateWithoutWaiting() {
        java.util.List<IdempotencyEvent.Type> types = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore(), IdempotencyConfig.custom()
                .listener(new IdempotencyListener() {
                    @Override
                    public void onEvent(IdempotencyEvent event) {
                        types.add(event.type());
                    }
                }).build())) {
            Scope scope = Scope.of("alice", "POST /payments");
            IdempotencyKey key = IdempotencyKey.of("k");
            Fingerprint fp = Fingerprint.of(new byte[] {1});
            engine.begin(scope, key, fp);
            assertThat(engine.begin(scope, key, fp)).isInstanceOf(Decision.InProgress.class);
            assertThat(types).doesNotContain(IdempotencyEvent.Type.WAITED);
        }
    }

    @Test
    void queryLimitIsBounded() {
        assertThat(RecordQuery.all().limit()).isEqualTo(RecordQuery.DEFAULT_LIMIT);
        assertThat(RecordQuery.all().withLimit(1).limit()).isOne();
        assertThat(RecordQuery.all().withLimit(RecordQuery.MAX_LIMIT).limit()).isEqualTo(RecordQuery.MAX_LIMIT);
        assertThatThrownBy(() -> RecordQuery.all().withLimit(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RecordQuery.all().withLimit(RecordQuery.MAX_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void queryFiltersByKeyPrefixStateAndCreationWindow() {
        IdempotencyRecord order = record("order-1", RecordState.COMPLETED, T0);
        IdempotencyRecord refund = record("refund-1", RecordState.IN_PROGRESS, T0.plusSeconds(10));
        IdempotencyRecord anonymousKey = record(null, RecordState.COMPLETED, T0);

        assertThat(RecordQuery.all().matches(order)).isTrue();
        assertThat(RecordQuery.all().matches(anonymousKey)).isTrue();

        RecordQuery orders = RecordQuery.all().withKeyPrefix("order-");
        assertThat(orders.keyPrefix()).isEqualTo("order-");
        assertThat(orders.matches(order)).isTrue();
        assertThat(orders.matches(refund)).isFalse();
        assertThat(orders.matches(anonymousKey)).isFalse();

        RecordQuery running = RecordQuery.all().withState(RecordState.IN_PROGRESS);
        assertThat(running.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(running.matches(refund)).isTrue();
        assertThat(running.matches(order)).isFalse();

        // after is inclusive, before exclusive
        RecordQuery window = RecordQuery.all().withCreated(T0, T0.plusSeconds(10));
        assertThat(window.createdAfter()).isEqualTo(T0);
        assertThat(window.createdBefore()).isEqualTo(T0.plusSeconds(10));
        assertThat(window.matches(order)).isTrue();
        assertThat(window.matches(refund)).isFalse();
        assertThat(RecordQuery.all().withCreated(T0.plusSeconds(1), null).matches(order)).isFalse();
        assertThat(RecordQuery.all().withCreated(null, T0.plusSeconds(11)).matches(refund)).isTrue();

        // the copies keep the other filters
        RecordQuery all = RecordQuery.all().withKeyPrefix("refund-").withState(RecordState.IN_PROGRESS)
                .withCreated(T0, T0.plusSeconds(60)).withLimit(7);
        assertThat(all).isEqualTo(new RecordQuery("refund-", RecordState.IN_PROGRESS, T0, T0.plusSeconds(60), 7));
        assertThat(all.matches(refund)).isTrue();
        assertThat(all.matches(order)).isFalse();
    }

    @Test
    void aLeaseIsLiveOnlyWhileInProgressAndBeforeItsDeadline() {
        IdempotencyRecord running = record("k", RecordState.IN_PROGRESS, T0);
        assertThat(running.isLeaseLive(T0)).isTrue();
        assertThat(running.isLeaseLive(T0.plusSeconds(30))).isFalse();
        assertThat(running.isLeaseLive(T0.plusSeconds(31))).isFalse();
        assertThat(record("k", RecordState.COMPLETED, T0).isLeaseLive(T0)).isFalse();
    }

    @Test
    void scopesAreEqualByCallerAndOperation() {
        Scope alice = Scope.of("alice", "POST /payments");
        assertThat(alice.caller()).contains("alice");
        assertThat(alice.operation()).isEqualTo("POST /payments");
        assertThat(alice).isEqualTo(Scope.of("alice", "POST /payments"))
                .hasSameHashCodeAs(Scope.of("alice", "POST /payments"))
                .isNotEqualTo(Scope.of("bob", "POST /payments"))
                .isNotEqualTo(Scope.of("alice", "POST /refunds"))
                .isNotEqualTo(Scope.anonymous("POST /payments"))
                .isNotEqualTo("alice POST /payments");
        assertThat(alice.hashCode()).isNotEqualTo(Scope.of("bob", "POST /payments").hashCode());
    }

    /** A record created at {@code created}; in progress ones hold a 30 s lease from then. */
    private static IdempotencyRecord record(String key, RecordState state, Instant created) {
        boolean done = state == RecordState.COMPLETED;
        return new IdempotencyRecord("id-" + key, key, "alice POST /payments", state, new byte[Fingerprint.LENGTH], 1,
                done ? null : "owner", done ? null : created.plusSeconds(30), created, done ? created : null,
                created.plusSeconds(3600), done ? StoredResponse.of(200, java.util.List.of(), new byte[0]) : null);
    }
}
