package dev.semel.examples.consumers;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Message consumers that skip redeliveries: a Kafka listener and a RabbitMQ listener whose
 * handlers are {@link dev.semel.spring.Idempotent @Idempotent}, so that a duplicate message
 * (a producer retry, a rebalance, a lost acknowledgement) is acknowledged without charging
 * twice, and a failed one is redelivered and runs again.
 */
@SpringBootApplication
public class ConsumersApplication {

    /**
     * Starts the application.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        SpringApplication.run(ConsumersApplication.class, args);
    }
}
