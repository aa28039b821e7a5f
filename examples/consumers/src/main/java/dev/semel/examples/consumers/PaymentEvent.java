package dev.semel.examples.consumers;

/**
 * A payment to book, as producers publish it.
 *
 * @param paymentId the producer's identifier for this payment: every retry of the same payment carries it
 * @param account the account to charge
 * @param cents the amount
 */
public record PaymentEvent(String paymentId, String account, long cents) {
}
