package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A payment as the API shows it.
 *
 * @param id the payment's id, used in {@code /payments/{id}}
 * @param amount the amount charged, two decimals
 * @param currency the ISO 4217 currency code
 * @param recipient who was paid
 * @param status the provider's answer
 * @param createdAt when the payment was made
 */
public record Payment(String id, BigDecimal amount, String currency, String recipient, Status status, Instant createdAt) {

    /** What the provider made of a payment. Declined charges are answered 402 and kept no row. */
    public enum Status {
        /** The provider charged the amount. */
        SUCCEEDED
    }
}
