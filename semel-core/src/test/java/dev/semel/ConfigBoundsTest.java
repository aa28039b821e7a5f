package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The engine configuration's bounds, at their edges. */
class ConfigBoundsTest {

    @Test
    void aRenewalIntervalOfExactlyHalfTheLeaseIsAllowed() {
        IdempotencyConfig config = IdempotencyConfig.custom().leaseDuration(Duration.ofSeconds(30))
                .leaseRenewInterval(Duration.ofSeconds(15)).build();
        assertThat(config.leaseRenewInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThatThrownBy(() -> IdempotencyConfig.custom().leaseDuration(Duration.ofSeconds(30))
                .leaseRenewInterval(Duration.ofMillis(15_001)).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oneCompletionAttemptIsAllowedNoneIsNot() {
        assertThat(IdempotencyConfig.custom().completeAttempts(1).build().completeAttempts()).isOne();
        assertThatThrownBy(() -> IdempotencyConfig.custom().completeAttempts(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOwnerIdNamesTheProcessUnlessSet() {
        String owner = IdempotencyConfig.ofDefaults().ownerId();
        assertThat(owner).matches("semel-" + ProcessHandle.current().pid() + "-[0-9a-f]{1,8}");
        assertThat(IdempotencyConfig.custom().ownerId("pod-7").build().ownerId()).isEqualTo("pod-7");
        assertThatThrownBy(() -> IdempotencyConfig.custom().ownerId(" ")).isInstanceOf(IllegalArgumentException.class);
        // what a config is copied to keeps its values
        assertThat(IdempotencyConfig.custom().ownerId("pod-7").ttl(Duration.ofHours(2)).build().toBuilder().build())
                .satisfies(c -> {
                    assertThat(c.ownerId()).isEqualTo("pod-7");
                    assertThat(c.ttl()).isEqualTo(Duration.ofHours(2));
                });
    }
}
