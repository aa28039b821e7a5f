package dev.semel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The policy's rules and the small parsers, without a server. */
class RetryPolicyTest {
    private static final Instant NOW = Instant.parse("2026-11-28T16:00:00Z");

    @Test
    void defaultsRetryTheStatusesARetryCanChange() {
        RetryPolicy policy = RetryPolicy.ofDefaults();

        assertThat(policy.retryableStatuses()).containsExactly(409, 425, 429, 502, 503, 504);
        assertThat(policy.keyedMethods()).containsExactlyInAnyOrder("POST", "PATCH");
        assertThat(RetryPolicy.custom().retryOnServerError(true).build().retryableStatuses())
                .containsExactly(409, 425, 429, 500, 502, 503, 504);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {200, 201, 400, 401, 403, 404, 410, 422})
    void refusesToRetryAFinalAnswer(int status) {
        assertThatThrownBy(() -> RetryPolicy.custom().retryableStatuses(Set.of(503, status)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("status " + status + " is a final answer");
    }

    @Test
    void refusesSettingsThatCannotWork() {
        assertThatThrownBy(() -> RetryPolicy.custom().maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> RetryPolicy.custom().deadline(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadline");
        assertThatThrownBy(() -> RetryPolicy.custom().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorter");
    }

    @Test
    void eachNamedPolicyHasItsOwnRetryInTheRegistry() {
        RetryRegistry registry = RetryRegistry.ofDefaults();
        RetryPolicy payments = RetryPolicy.custom().name("semel-client-payments").retryRegistry(registry).build();
        RetryPolicy ledger = RetryPolicy.custom().name("semel-client-ledger").retryRegistry(registry).build();

        assertThat(payments.name()).isEqualTo("semel-client-payments");
        assertThat(registry.getAllRetries()).extracting(Retry::getName)
                .containsExactlyInAnyOrder("semel-client-payments", "semel-client-ledger");
        assertThat(registry.retry("semel-client-payments")).isSameAs(payments.retry());
        assertThat(registry.retry("semel-client-ledger")).isSameAs(ledger.retry());
        assertThat(RetryPolicy.ofDefaults().name()).isEqualTo(RetryPolicy.DEFAULT_NAME);
    }

    @Test
    void aRetryTheRegistryAlreadyHadUnderThatNameIsReplacedByThePolicys() {
        RetryRegistry registry = RetryRegistry.ofDefaults();
        Retry before = registry.retry("semel-client-payments");
        List<String> replaced = new ArrayList<>();
        registry.getEventPublisher().onEntryReplaced(e -> replaced.add(e.getNewEntry().getName()));

        RetryPolicy policy = RetryPolicy.custom().name("semel-client-payments").maxAttempts(7)
                .retryRegistry(registry).build();

        assertThat(policy.retry()).isNotSameAs(before);
        assertThat(registry.retry("semel-client-payments")).isSameAs(policy.retry());
        assertThat(policy.retry().getRetryConfig().getMaxAttempts()).isEqualTo(7);
        assertThat(replaced).containsExactly("semel-client-payments");
    }

    @Test
    void maxRetryAfterMustBePositiveAndIsUnsetByDefault() {
        assertThat(RetryPolicy.ofDefaults().maxRetryAfter()).isEmpty();
        assertThat(RetryPolicy.custom().maxRetryAfter(Duration.ofSeconds(5)).build().maxRetryAfter())
                .contains(Duration.ofSeconds(5));
        assertThatThrownBy(() -> RetryPolicy.custom().maxRetryAfter(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetryAfter");
    }

    @Test
    void keysAreMadeOnlyForKeyedMethods() {
        RetryPolicy policy = RetryPolicy.custom().keyedMethods("post", "put").keyGenerator(() -> "k").build();

        assertThat(policy.newKeyFor("POST")).isEqualTo("k");
        assertThat(policy.newKeyFor("PUT")).isEqualTo("k");
        assertThat(policy.newKeyFor("PATCH")).isNull();
        assertThat(policy.newKeyFor("GET")).isNull();
    }

    @Test
    void backoffCapsDoubleUpToTheMaximum() {
        RetryPolicy policy = RetryPolicy.custom()
                .backoff(Duration.ofMillis(100), Duration.ofMillis(350))
                .random(new java.util.Random() {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public double nextDouble() {
                        return 0.5;
                    }
                })
                .build();

        assertThat(policy.backoff(1)).isEqualTo(Duration.ofMillis(50));
        assertThat(policy.backoff(2)).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.backoff(3)).isEqualTo(Duration.ofMillis(175));
        assertThat(policy.backoff(30)).isEqualTo(Duration.ofMillis(175));
    }

    @Test
    void readsRetryAfterAsSecondsOrHttpDate() {
        assertThat(RetryAfter.parse("120", NOW)).isEqualTo(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse(" 0 ", NOW)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse("Sat, 28 Nov 2026 16:01:30 GMT", NOW)).isEqualTo(Duration.ofSeconds(90));
        assertThat(RetryAfter.parse("Sat, 28 Nov 2026 15:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse(null, NOW)).isNull();
        assertThat(RetryAfter.parse("soon", NOW)).isNull();
        assertThat(RetryAfter.parse("-5", NOW)).isNull();
        assertThat(RetryAfter.parse("99999999999999999999", NOW)).as("too large to count, still a wait")
                .isEqualTo(RetryAfter.LONGEST);
    }

    @Test
    void uuidV7KeysCarryTheTimeAndSortByIt() {
        Supplier<String> keys = IdempotencyKeys.uuidV7(java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC));
        UUID key = UUID.fromString(keys.get());

        assertThat(key.version()).isEqualTo(7);
        assertThat(key.variant()).isEqualTo(2);
        assertThat(key.getMostSignificantBits() >>> 16).isEqualTo(NOW.toEpochMilli());
        assertThat(IdempotencyKeys.uuidV7At(1000).toString())
                .isLessThan(IdempotencyKeys.uuidV7At(1001).toString());
        assertThat(keys.get()).isNotEqualTo(keys.get());
        assertThat(UUID.fromString(IdempotencyKeys.uuidV4().get()).version()).isEqualTo(4);
    }

    @Test
    void readsIdempotentReplayedAsTrueOrAStructuredBoolean() {
        assertThat(Retrier.replayed("true")).isTrue();
        assertThat(Retrier.replayed("TRUE")).isTrue();
        assertThat(Retrier.replayed("?1")).isTrue();
        assertThat(Retrier.replayed("false")).isFalse();
        assertThat(Retrier.replayed("?0")).isFalse();
        assertThat(Retrier.replayed(null)).isFalse();
    }
}
