package dev.semel.examples.consumers;

import dev.semel.spring.Idempotent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Books payments published to Kafka, once each. The record key is the payment id, so a
 * producer that retries a send, or a consumer that re-reads records after a rebalance or a
 * restart before committing its offset, gets the same key: the duplicate is acknowledged
 * (the offset moves on) without booking again. A failure releases the key, so the
 * container's retry books it.
 */
@Component
public class KafkaPaymentListener {
    private final Ledger ledger;
    private final JsonMapper json;

    KafkaPaymentListener(Ledger ledger, JsonMapper json) {
        this.ledger = ledger;
        this.json = json;
    }

    /**
     * Books one payment.
     *
     * @param record the Kafka record: key = payment id, value = the event as JSON
     */
    @KafkaListener(id = "kafka-payments", topics = "${consumers.kafka.topic:payments}",
            groupId = "${consumers.kafka.group:ledger}")
    @Idempotent(key = "'payment:' + #record.key()", scope = "#record.topic()")
    public void onPayment(ConsumerRecord<String, String> record) {
        ledger.book(json.readValue(record.value(), PaymentEvent.class));
    }
}
