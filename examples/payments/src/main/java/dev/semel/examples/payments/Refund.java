package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A refund of part or all of a payment.
 *
 * @param id the refund's id
 * @param paymentId the payment it gives money back from
 * @param amount the amount refunded, two decimals
 * @param createdAt when the refund was made
 */
public record Refund(String id, String paymentId, BigDecimal amount, Instant createdAt) {
}
