package dev.semel.examples.payments;

import java.math.BigDecimal;

/**
 * The body of {@code POST /payments/{id}/refunds}: {@code {"amount": 5.00}}.
 *
 * @param amount greater than 0, at most two decimals, and with earlier refunds at most the payment
 */
public record RefundRequest(BigDecimal amount) {
}
