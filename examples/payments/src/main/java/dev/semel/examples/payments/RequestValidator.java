package dev.semel.examples.payments;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks request bodies against the API's rules, collecting every broken rule so one 400
 * answer names all the fields to fix.
 */
final class RequestValidator {
    /** The largest amount the simulated provider takes; NUMERIC(19,2) holds it with room. */
    static final BigDecimal MAX_AMOUNT = new BigDecimal("1000000000.00");
    static final int MAX_RECIPIENT_LENGTH = 200;

    private RequestValidator() {
    }

    static void check(PaymentRequest request) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (request == null) {
            throw new InvalidRequestException(Map.of("body", "must be a JSON object"));
        }
        checkAmount(request.amount(), errors);
        String currency = request.currency();
        if (currency == null) {
            errors.put("currency", "must not be null");
        } else if (!currency.matches("[A-Z]{3}") || !isIsoCurrency(currency)) {
            errors.put("currency", "must be a three-letter ISO 4217 code such as EUR");
        }
        String recipient = request.recipient();
        if (recipient == null || recipient.isBlank()) {
            errors.put("recipient", "must not be blank");
        } else if (recipient.length() > MAX_RECIPIENT_LENGTH) {
            // UTF-16 units, as Java and H2 count them: a value that passes always fits the column.
            errors.put("recipient", "must be at most " + MAX_RECIPIENT_LENGTH + " characters");
        }
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
    }

    static void check(RefundRequest request) {
        if (request == null) {
            throw new InvalidRequestException(Map.of("body", "must be a JSON object"));
        }
        Map<String, String> errors = new LinkedHashMap<>();
        checkAmount(request.amount(), errors);
        if (!errors.isEmpty()) {
            throw new InvalidRequestException(errors);
        }
    }

    private static void checkAmount(BigDecimal amount, Map<String, String> errors) {
        if (amount == null) {
            errors.put("amount", "must not be null");
        } else if (amount.signum() <= 0) {
            errors.put("amount", "must be greater than 0");
        } else if (amount.compareTo(MAX_AMOUNT) > 0) {
            // Compared before any rescaling: 1e999999999 must not be expanded.
            errors.put("amount", "must be at most " + MAX_AMOUNT.toPlainString());
        } else if (amount.stripTrailingZeros().scale() > 2) {
            errors.put("amount", "must have at most 2 decimals");
        }
    }

    private static boolean isIsoCurrency(String code) {
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
