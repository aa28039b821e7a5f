package dev.semel.spring.method;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.Ordered;
import org.springframework.util.unit.DataSize;

/**
 * Settings of {@link dev.semel.spring.Idempotent @Idempotent} on Spring bean methods
 * ({@code semel.method.*}).
 */
@ConfigurationProperties(prefix = "semel.method")
public class SemelMethodProperties {

    /** Whether @Idempotent is applied to bean methods (controllers are handled by the web support). */
    private boolean enabled = true;

    /** Largest encoded result that is stored; a larger one fails the first call, never the replay. */
    private DataSize maxResultSize = DataSize.ofMegabytes(1);

    /**
     * Exception types (fully qualified class names) that are final business outcomes: stored and rethrown on
     * every replay instead of releasing the key. Each needs a public (String) constructor.
     */
    private List<String> storedExceptions = new ArrayList<>();

    /**
     * Argument types (fully qualified class names, subtypes included) left out of the payload fingerprint:
     * broker handles such as Kafka's Acknowledgment and Consumer, and RabbitMQ's Channel, by default.
     */
    private List<String> fingerprintIgnoredTypes = new ArrayList<>(List.of(
            "org.springframework.kafka.support.Acknowledgment",
            "org.apache.kafka.clients.consumer.Consumer",
            "com.rabbitmq.client.Channel"));

    /**
     * Order of the @Idempotent advisor. The default runs it just outside @Transactional (whose order is
     * the lowest precedence), so that a record completes only after the method's transaction committed,
     * or, with a transactional store, in that same transaction.
     */
    private int order = Ordered.LOWEST_PRECEDENCE - 100;

    /** Created by Spring. */
    public SemelMethodProperties() {
    }

    /** @return whether @Idempotent is applied to bean methods */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether @Idempotent is applied to bean methods */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the largest encoded result that is stored */
    public DataSize getMaxResultSize() {
        return maxResultSize;
    }

    /** @param maxResultSize the largest encoded result that is stored */
    public void setMaxResultSize(DataSize maxResultSize) {
        this.maxResultSize = maxResultSize;
    }

    /** @return exception class names stored and rethrown on replay */
    public List<String> getStoredExceptions() {
        return storedExceptions;
    }

    /** @param storedExceptions exception class names stored and rethrown on replay */
    public void setStoredExceptions(List<String> storedExceptions) {
        this.storedExceptions = storedExceptions;
    }

    /** @return argument class names left out of the payload fingerprint */
    public List<String> getFingerprintIgnoredTypes() {
        return fingerprintIgnoredTypes;
    }

    /** @param fingerprintIgnoredTypes argument class names left out of the payload fingerprint */
    public void setFingerprintIgnoredTypes(List<String> fingerprintIgnoredTypes) {
        this.fingerprintIgnoredTypes = fingerprintIgnoredTypes;
    }

    /** @return the advisor's order */
    public int getOrder() {
        return order;
    }

    /** @param order the advisor's order */
    public void setOrder(int order) {
        this.order = order;
    }
}
