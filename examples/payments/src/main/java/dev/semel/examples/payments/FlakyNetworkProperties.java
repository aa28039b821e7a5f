package dev.semel.examples.payments;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the checkout page's "flaky network" switch ({@code payments.flaky-network.*}): a
 * {@link FaultInjectingProxy} in front of this service that the page can send its payments through.
 *
 * @param enabled whether the proxy is started with the service; default true
 * @param dropRate the share of payment answers the proxy drops after the server processed them; default 0.3
 * @param seed the seed of the proxy's random drops, for a repeatable sequence; default a new one per start
 */
@ConfigurationProperties("payments.flaky-network")
public record FlakyNetworkProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("0.3") double dropRate,
        Long seed) {
}
