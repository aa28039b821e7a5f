package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * A simulated payment provider with sandbox recipients, in the spirit of card-network test
 * numbers, so every retry situation can be shown on demand:
 *
 * <ul>
 *   <li>{@code flaky-…}: the first charge for that recipient fails (provider unavailable,
 *       answered 503); later ones succeed.</li>
 *   <li>{@code declined-…}: always declined (answered 402, a final outcome).</li>
 *   <li>{@code slow-…}: succeeds after about 2 seconds ({@code payments.provider.slow-latency}).</li>
 *   <li>anything else: succeeds after a few milliseconds ({@code payments.provider.latency}).</li>
 * </ul>
 */
@Component
public class PaymentProvider {
    private final ProviderProperties properties;
    /** Flaky recipients that already failed once; in memory, as a real outage would be. */
    private final Set<String> failedOnce = ConcurrentHashMap.newKeySet();

    PaymentProvider(ProviderProperties properties) {
        this.properties = properties;
    }

    /**
     * Charges an amount, returning when the provider accepted it.
     *
     * @param amount the amount
     * @param currency its currency
     * @param recipient who gets paid; sandbox prefixes change the answer
     * @throws ProviderUnavailableException for the first charge to a {@code flaky-…} recipient
     * @throws PaymentDeclinedException for a {@code declined-…} recipient
     */
    public void charge(BigDecimal amount, String currency, String recipient) {
        String name = recipient.toLowerCase(Locale.ROOT);
        if (name.startsWith("flaky-") && failedOnce.add(recipient)) {
            throw new ProviderUnavailableException("The payment provider is unavailable; retry the request.");
        }
        if (name.startsWith("declined-")) {
            throw new PaymentDeclinedException("The provider declined the payment to " + recipient + ".");
        }
        pause(name.startsWith("slow-") ? properties.slowLatency() : properties.latency());
    }

    private static void pause(Duration latency) {
        if (latency.isZero() || latency.isNegative()) {
            return;
        }
        try {
            // The simulation: a real provider spends this time on the network.
            Thread.sleep(latency.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderUnavailableException("Interrupted while waiting for the payment provider.");
        }
    }

    /** The provider could not be reached or failed: a retry may succeed (503). */
    public static final class ProviderUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProviderUnavailableException(String message) {
            super(message);
        }
    }

    /** The provider refused the payment: a final answer (402). */
    public static final class PaymentDeclinedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PaymentDeclinedException(String message) {
            super(message);
        }
    }
}
