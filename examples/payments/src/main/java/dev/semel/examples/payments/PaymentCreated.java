package dev.semel.examples.payments;

/**
 * Published inside the payment's transaction right after the payment is written, for
 * listeners that must succeed or undo it (an outbox, an audit log). A listener that throws
 * rolls the payment back, and in Semel's transactional mode its idempotency record too.
 *
 * @param payment the payment just written
 */
public record PaymentCreated(Payment payment) {
}
