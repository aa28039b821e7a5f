package dev.semel.examples.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Kafka listener against a real broker (KRaft, started in the test): every way a record
 * comes twice still books the payment once. spring-kafka 4 starts {@code EmbeddedKafkaKraftBroker}
 * for {@code @EmbeddedKafka}: KRaft is its only mode.
 */
@SpringBootTest(properties = {
        "consumers.kafka.topic=" + KafkaConsumerTest.TOPIC,
        "consumers.kafka.group=" + KafkaConsumerTest.GROUP,
        "spring.rabbitmq.listener.simple.auto-startup=false"})
@EmbeddedKafka(partitions = 1, topics = KafkaConsumerTest.TOPIC,
        bootstrapServersProperty = "spring.kafka.bootstrap-servers")
class KafkaConsumerTest {
    static final String TOPIC = "semel-payments";
    static final String GROUP = "semel-ledger";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    @Autowired
    KafkaTemplate<String, String> kafka;
    @Autowired
    Ledger ledger;
    @Autowired
    JsonMapper json;
    @Autowired
    KafkaListenerEndpointRegistry registry;
    @Autowired
    EmbeddedKafkaBroker broker;

    private static Admin admin;

    @BeforeAll
    static void noAdminYet() {
        admin = null;
    }

    @AfterAll
    static void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    private Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()));
        }
        return admin;
    }

    private void publish(String paymentId, long cents) throws Exception {
        String value = json.writeValueAsString(new PaymentEvent(paymentId, "acc-1", cents));
        kafka.send(TOPIC, paymentId, value).get(30, TimeUnit.SECONDS);
    }

    private PaymentEvent awaitBooked(String paymentId) throws Exception {
        return ledger.booked(paymentId).get(60, TimeUnit.SECONDS);
    }

    private long committedOffset() throws Exception {
        OffsetAndMetadata committed = admin().listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).get(PARTITION);
        return committed == null ? 0 : committed.offset();
    }

    private long endOffset() throws Exception {
        return admin().listOffsets(Map.of(PARTITION, OffsetSpec.latest())).partitionResult(PARTITION)
                .get(30, TimeUnit.SECONDS).offset();
    }

    @Test
    void aRecordTheProducerSentTwiceIsAcknowledgedWithoutBookingTwice() throws Exception {
        publish("k-dup", 1250);
        publish("k-dup", 1250);
        publish("k-dup-next", 1);
        awaitBooked("k-dup-next");

        assertThat(ledger.bookingsOf("k-dup")).isEqualTo(1);
        assertThat(ledger.attempts("k-dup")).as("the duplicate never reached the handler body").isEqualTo(1);
        long end = endOffset();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(committedOffset())
                .as("the duplicate's offset was committed like any other").isEqualTo(end));
    }

    @Test
    void aFailedHandlerReleasesTheKeyAndTheRedeliveryBooksThePayment() throws Exception {
        ledger.failNextAttempt("k-fail");
        publish("k-fail", 990);
        awaitBooked("k-fail");

        assertThat(ledger.attempts("k-fail")).as("failed once, then ran again on redelivery").isEqualTo(2);
        assertThat(ledger.bookingsOf("k-fail")).isEqualTo(1);
    }

    @Test
    void aConsumerThatRestartsBeforeCommittingReReadsRecordsAndSkipsThem() throws Exception {
        publish("k-restart", 4200);
        awaitBooked("k-restart");
        MessageListenerContainer container = registry.getListenerContainer("kafka-payments");
        container.stop();
        // As if the offsets were never committed: the restarted consumer reads every record again.
        admin().alterConsumerGroupOffsets(GROUP, Map.of(PARTITION, new OffsetAndMetadata(0))).all()
                .get(30, TimeUnit.SECONDS);
        container.start();
        publish("k-restart-next", 1);
        awaitBooked("k-restart-next");

        assertThat(ledger.attempts("k-restart")).isEqualTo(1);
        assertThat(ledger.bookings()).as("every payment of this class booked once, whatever was re-read")
                .extracting(PaymentEvent::paymentId).doesNotHaveDuplicates();
    }
}
