package dev.semel.examples.consumers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The RabbitMQ listener against a real AMQP 0-9-1 broker: the machine's RabbitMQ when
 * {@code SEMEL_TEST_RABBITMQ_URL} names it, else an embedded Qpid Broker-J.
 */
@SpringBootTest(properties = "spring.kafka.listener.auto-startup=false")
class RabbitConsumerTest {
    /** Unique per run: engineers and CI share the machine's broker. */
    private static final String QUEUE = "semel-payments-" + UUID.randomUUID();

    @DynamicPropertySource
    static void broker(DynamicPropertyRegistry registry) {
        registry.add("spring.rabbitmq.addresses", TestBrokers::amqpUri);
        registry.add("consumers.rabbit.queue", () -> QUEUE);
    }

    @Autowired
    RabbitTemplate rabbit;
    @Autowired
    AmqpAdmin amqpAdmin;
    @Autowired
    Ledger ledger;
    @Autowired
    RabbitListenerEndpointRegistry registry;

    /** Leaves nothing behind on a shared broker. */
    @AfterAll
    static void deleteQueue(@Autowired AmqpAdmin admin) {
        admin.deleteQueue(QUEUE);
    }

    private void publish(String messageId, long cents) {
        rabbit.convertAndSend("", QUEUE, new PaymentEvent(messageId, "acc-2", cents), message -> {
            message.getMessageProperties().setMessageId(messageId);
            return message;
        });
    }

    private void awaitBooked(String paymentId) throws Exception {
        ledger.booked(paymentId).get(60, TimeUnit.SECONDS);
    }

    @Test
    void aMessageDeliveredTwiceIsAcknowledgedWithoutBookingTwice() throws Exception {
        publish("m-dup", 1250);
        publish("m-dup", 1250);
        publish("m-dup-next", 1);
        awaitBooked("m-dup-next");

        assertThat(ledger.bookingsOf("m-dup")).isEqualTo(1);
        assertThat(ledger.attempts("m-dup")).as("the duplicate never reached the handler body").isEqualTo(1);
        // Stopping the consumer would return unacknowledged messages to the queue: none come back.
        registry.getListenerContainer("rabbit-payments").stop();
        try {
            assertThat(amqpAdmin.getQueueInfo(QUEUE).getMessageCount()).isZero();
        } finally {
            registry.getListenerContainer("rabbit-payments").start();
        }
    }

    @Test
    void aFailedHandlerReleasesTheKeyAndTheRedeliveryBooksThePayment() throws Exception {
        ledger.failNextAttempt("m-fail");
        publish("m-fail", 990);
        awaitBooked("m-fail");

        assertThat(ledger.attempts("m-fail")).as("failed once, then ran again on redelivery").isEqualTo(2);
        assertThat(ledger.bookingsOf("m-fail")).isEqualTo(1);
    }
}
