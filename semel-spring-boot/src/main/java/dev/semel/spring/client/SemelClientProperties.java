package dev.semel.spring.client;

import dev.semel.client.RetryPolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of Semel's retrying clients ({@code semel.client.*}): the defaults of every
 * client, starting at {@link RetryPolicy}'s own ({@code DEFAULT_*}), and per named client
 * under {@code semel.client.instances.<name>.*}.
 *
 * <pre>{@code
 * semel:
 *   client:
 *     deadline: 20s
 *     instances:
 *       payments:
 *         max-attempts: 6
 *         max-retry-after: 1m
 * }</pre>
 */
@ConfigurationProperties(prefix = "semel.client")
public class SemelClientProperties extends ClientRetrySettings {

    /** Settings per named client, over the defaults above; a name not listed gets the defaults. */
    private Map<String, ClientRetrySettings> instances = new LinkedHashMap<>();

    /** Retries on the RestClient.Builder that Spring Boot provides. */
    private final RestClient restClient = new RestClient();

    /** Created by Spring, with {@link RetryPolicy}'s defaults. */
    public SemelClientProperties() {
        setMaxAttempts(RetryPolicy.DEFAULT_MAX_ATTEMPTS);
        getBackoff().setInitial(RetryPolicy.DEFAULT_INITIAL_BACKOFF);
        getBackoff().setMax(RetryPolicy.DEFAULT_MAX_BACKOFF);
        setDeadline(RetryPolicy.DEFAULT_DEADLINE);
        setRetryableStatuses(new TreeSet<>(RetryPolicy.DEFAULT_RETRYABLE_STATUSES));
        setRetryOnServerError(false);
        setKeyedMethods(new TreeSet<>(RetryPolicy.DEFAULT_KEYED_METHODS));
        setHeaderName(RetryPolicy.DEFAULT_HEADER_NAME);
        setKeyGenerator(KeyGenerator.UUID_V7);
    }

    /** @return the settings per client name */
    public Map<String, ClientRetrySettings> getInstances() {
        return instances;
    }

    /** @param instances the settings per client name */
    public void setInstances(Map<String, ClientRetrySettings> instances) {
        this.instances = instances;
    }

    /** @return the settings of Boot's RestClient.Builder */
    public RestClient getRestClient() {
        return restClient;
    }

    /** Retries on the {@code RestClient.Builder} that Spring Boot provides. */
    public static class RestClient {

        /**
         * Whether every RestClient built from Spring Boot's RestClient.Builder retries: keys POST and PATCH,
         * retries keyed requests and idempotent methods on connection failures, 409, 425, 429, 502, 503, 504.
         * Off by default: a server that ignores Idempotency-Key runs a retried POST again.
         */
        private boolean enabled;

        /** Client name whose settings (semel.client.instances.NAME) and Resilience4j Retry it uses. */
        private String name = "rest-client";

        /** Created by Spring. */
        public RestClient() {
        }

        /** @return whether Boot's RestClient.Builder retries */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether Boot's RestClient.Builder retries */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the client name of Boot's RestClient.Builder */
        public String getName() {
            return name;
        }

        /** @param name the client name of Boot's RestClient.Builder */
        public void setName(String name) {
            this.name = name;
        }
    }
}
