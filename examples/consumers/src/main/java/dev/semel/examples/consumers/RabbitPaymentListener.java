package dev.semel.examples.consumers;

import dev.semel.spring.Idempotent;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Component;

/**
 * Books payments delivered by RabbitMQ, once each. The key is the AMQP {@code message-id}
 * the producer sets; the payload is the fingerprint, so a redelivery (its
 * {@code redelivered} flag set) still matches. A duplicate is acknowledged without booking;
 * a failure releases the key and the message is requeued and booked on redelivery.
 */
@Component
public class RabbitPaymentListener {
    private final Ledger ledger;

    RabbitPaymentListener(Ledger ledger) {
        this.ledger = ledger;
    }

    /**
     * Books one payment.
     *
     * @param event the payment, converted from JSON
     * @param messageId the producer's message id
     */
    @RabbitListener(id = "rabbit-payments", queues = "${consumers.rabbit.queue:payments}")
    @Idempotent(key = "#messageId")
    public void onPayment(@Payload PaymentEvent event, @Header(AmqpHeaders.MESSAGE_ID) String messageId) {
        ledger.book(event);
    }
}
