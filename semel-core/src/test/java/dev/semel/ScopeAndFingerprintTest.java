package dev.semel;

import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScopeAndFingerprintTest {
    private static final IdempotencyKey KEY = IdempotencyKey.of("k-1");

    @Test
    void recordIdIsAFixedLengthHexHash() {
        assertThat(Scope.of("alice", "POST /payments").recordId(IdempotencyKey.of("x".repeat(255))))
                .hasSize(64).matches("[0-9a-f]{64}");
    }

    @Test
    void sameKeyUnderDifferentCallersOrOperationsNeverCollides() {
        Set<String> ids = new HashSet<>();
        for (Scope scope : List.of(
                Scope.of("alice", "POST /payments"),
                Scope.of("bob", "POST /payments"),
                Scope.of("alice", "POST /refunds"),
                Scope.anonymous("POST /payments"),
                Scope.of("", "POST /payments"),
                Scope.of("alice POST", "/payments"),
                Scope.of("alice", "POST /payments k-1"))) {
            assertThat(ids.add(scope.recordId(KEY))).as(scope.toString()).isTrue();
        }
        assertThat(Scope.of("alice", "POST /payments").recordId(KEY))
                .isEqualTo(Scope.of("alice", "POST /payments").recordId(IdempotencyKey.parse("\"k-1\"")));
    }

    @Test
    void scopeNeedsAnOperation() {
        assertThatThrownBy(() -> Scope.of("a", "")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Scope.anonymous("op").caller()).isEmpty();
        assertThat(Scope.anonymous("op")).hasToString("- op");
    }

    @Test
    void fingerprintPartsAreLengthPrefixedAndOrdered() {
        Fingerprint ab = Fingerprint.builder().add("p", "ab").add("q", "c").build();
        Fingerprint a = Fingerprint.builder().add("p", "a").add("q", "bc").build();
        Fingerprint swapped = Fingerprint.builder().add("q", "c").add("p", "ab").build();
        Fingerprint nullValue = Fingerprint.builder().add("p", (String) null).build();
        Fingerprint emptyValue = Fingerprint.builder().add("p", "").build();
        assertThat(Set.of(ab, a, swapped, nullValue, emptyValue)).hasSize(5);
        assertThat(Fingerprint.builder().add("p", "ab").add("q", "c").build()).isEqualTo(ab);
    }

    @Test
    void fingerprintUsesTheNormalizedBody() {
        BodyNormalizer lowerCase = (type, body) ->
                new String(body, StandardCharsets.UTF_8).toLowerCase().getBytes(StandardCharsets.UTF_8);
        Fingerprint upper = Fingerprint.builder().body("text/plain", "ABC".getBytes(StandardCharsets.UTF_8), lowerCase)
                .build();
        Fingerprint lower = Fingerprint.builder().body("text/plain", "abc".getBytes(StandardCharsets.UTF_8), lowerCase)
                .build();
        Fingerprint raw = Fingerprint.builder()
                .body("text/plain", "ABC".getBytes(StandardCharsets.UTF_8), BodyNormalizer.RAW).build();
        assertThat(upper).isEqualTo(lower).isNotEqualTo(raw);
        assertThat(upper.matches(lower.bytes())).isTrue();
        assertThat(Fingerprint.fromBytes(upper.bytes())).isEqualTo(upper);
        assertThatThrownBy(() -> Fingerprint.fromBytes(new byte[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void headersCannotSplitAReplayedResponse() {
        assertThatThrownBy(() -> new StoredResponse.Header("X-A", "1\r\nSet-Cookie: x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StoredResponse.Header("", "v")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void storedResponsesCompareByValueAndProtectTheirBody() {
        byte[] body = {1, 2, 3};
        StoredResponse response = StoredResponse.of(201, List.of(new StoredResponse.Header("A", "1")), body);
        body[0] = 9;
        assertThat(response.body()).containsExactly(1, 2, 3);
        response.body()[1] = 9;
        assertThat(response).isEqualTo(StoredResponse.of(201, List.of(new StoredResponse.Header("A", "1")),
                new byte[] {1, 2, 3}));
        assertThat(response.headerValues("a")).containsExactly("1");
        assertThat(StoredResponse.withoutBody(200, List.of()).bodyRetained()).isFalse();
    }

    @Test
    void defaultOutcomePolicyStoresFinalAnswersOnly() {
        OutcomePolicy policy = OutcomePolicy.DEFAULT;
        assertThat(policy.shouldStore(201)).isTrue();
        assertThat(policy.shouldStore(402)).isTrue();
        assertThat(policy.shouldStore(404)).isTrue();
        for (int retryable : new int[] {408, 409, 425, 429, 500, 502, 503}) {
            assertThat(policy.shouldStore(retryable)).as("status %d", retryable).isFalse();
        }
        assertThat(OutcomePolicy.includingServerErrors().shouldStore(500)).isTrue();
        assertThat(OutcomePolicy.includingServerErrors().shouldStore(429)).isFalse();
    }

    @Test
    void recordStatesListEveryLegalMove() {
        assertThat(RecordState.IN_PROGRESS.canMoveTo(RecordState.COMPLETED)).isTrue();
        assertThat(RecordState.IN_PROGRESS.canMoveTo(RecordState.IN_PROGRESS)).isTrue();
        assertThat(RecordState.COMPLETED.next()).isEmpty();
    }

    @Test
    void configurationRejectsNonsense() {
        assertThatThrownBy(() -> IdempotencyConfig.custom().ttl(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyConfig.custom().leaseDuration(java.time.Duration.ofSeconds(1))
                .leaseRenewInterval(java.time.Duration.ofSeconds(2)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most half");
        assertThatThrownBy(() -> WaitPolicy.waitUpTo(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        IdempotencyConfig defaults = IdempotencyConfig.ofDefaults();
        assertThat(defaults.ttl()).isEqualTo(IdempotencyConfig.DEFAULT_TTL);
        assertThat(defaults.leaseRenewInterval()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(defaults.failurePolicy()).isEqualTo(FailurePolicy.FAIL_CLOSED);
    }
}
