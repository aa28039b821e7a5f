package dev.semel.examples.payments;

import java.math.BigDecimal;

/**
 * The body of {@code POST /payments}: {@code {"amount": 12.50, "currency": "EUR", "recipient": "bob"}}.
 *
 * @param amount greater than 0, at most two decimals
 * @param currency a three-letter ISO 4217 code in capitals
 * @param recipient not blank, at most 200 characters; some prefixes are sandbox recipients
 */
public record PaymentRequest(BigDecimal amount, String currency, String recipient) {
}
