package dev.semel.examples.payments;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the simulated payment provider ({@code payments.provider.*}).
 *
 * @param latency how long an ordinary charge takes; default 5 ms
 * @param slowLatency how long a charge to a {@code slow-…} recipient takes; default 2 s
 */
@ConfigurationProperties("payments.provider")
public record ProviderProperties(
        @DefaultValue("5ms") Duration latency,
        @DefaultValue("2s") Duration slowLatency) {
}
