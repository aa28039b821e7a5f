package dev.semel.spring.client;

import dev.semel.client.RetryPolicy;
import java.time.Duration;
import java.util.Set;

/**
 * The retry settings of one client, as bound from {@code semel.client.*} (the defaults of
 * every client) or {@code semel.client.instances.<name>.*} (one client). A setting left unset
 * on an instance takes the value under {@code semel.client}, whose defaults are
 * {@link RetryPolicy}'s own (the defaults named in each setting's description).
 */
public class ClientRetrySettings {

    /** Attempts in all, the first included; 1 turns retries off. Default 4 (RetryPolicy.DEFAULT_MAX_ATTEMPTS). */
    private Integer maxAttempts;

    /** Exponential backoff with full jitter between attempts, replaced by a server's Retry-After. */
    private final Backoff backoff = new Backoff();

    /** Time one logical operation may take, all attempts and waits together. Default 30s. */
    private Duration deadline;

    /**
     * Longest Retry-After the client waits for; a retryable response asking for longer is returned at once
     * instead. Unset: only the deadline bounds the wait.
     */
    private Duration maxRetryAfter;

    /** Statuses retried; only 408, 409, 425, 429 and 5xx are accepted. Default 409, 425, 429, 502, 503, 504. */
    private Set<Integer> retryableStatuses;

    /** Whether 500 is retried too (the server may have done part of the work). Default false. */
    private Boolean retryOnServerError;

    /** Methods that get a generated Idempotency-Key when the request carries none. Default POST, PATCH. */
    private Set<String> keyedMethods;

    /** Header that carries the key. Default Idempotency-Key. */
    private String headerName;

    /** How new keys are made. Default uuid-v7. */
    private KeyGenerator keyGenerator;

    /** Created by Spring. */
    public ClientRetrySettings() {
    }

    /** @return attempts in all, or {@code null} to inherit */
    public Integer getMaxAttempts() {
        return maxAttempts;
    }

    /** @param maxAttempts attempts in all, the first included */
    public void setMaxAttempts(Integer maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    /** @return the backoff */
    public Backoff getBackoff() {
        return backoff;
    }

    /** @return the deadline, or {@code null} to inherit */
    public Duration getDeadline() {
        return deadline;
    }

    /** @param deadline the time all attempts and waits of one operation must fit in */
    public void setDeadline(Duration deadline) {
        this.deadline = deadline;
    }

    /** @return the longest Retry-After waited for, or {@code null} to inherit */
    public Duration getMaxRetryAfter() {
        return maxRetryAfter;
    }

    /** @param maxRetryAfter the longest Retry-After waited for */
    public void setMaxRetryAfter(Duration maxRetryAfter) {
        this.maxRetryAfter = maxRetryAfter;
    }

    /** @return the statuses retried, or {@code null} to inherit */
    public Set<Integer> getRetryableStatuses() {
        return retryableStatuses;
    }

    /** @param retryableStatuses the statuses retried */
    public void setRetryableStatuses(Set<Integer> retryableStatuses) {
        this.retryableStatuses = retryableStatuses;
    }

    /** @return whether 500 is retried, or {@code null} to inherit */
    public Boolean getRetryOnServerError() {
        return retryOnServerError;
    }

    /** @param retryOnServerError whether 500 is retried too */
    public void setRetryOnServerError(Boolean retryOnServerError) {
        this.retryOnServerError = retryOnServerError;
    }

    /** @return the keyed methods, or {@code null} to inherit */
    public Set<String> getKeyedMethods() {
        return keyedMethods;
    }

    /** @param keyedMethods the methods that get a generated key */
    public void setKeyedMethods(Set<String> keyedMethods) {
        this.keyedMethods = keyedMethods;
    }

    /** @return the key header, or {@code null} to inherit */
    public String getHeaderName() {
        return headerName;
    }

    /** @param headerName the header that carries the key */
    public void setHeaderName(String headerName) {
        this.headerName = headerName;
    }

    /** @return the key generator, or {@code null} to inherit */
    public KeyGenerator getKeyGenerator() {
        return keyGenerator;
    }

    /** @param keyGenerator how new keys are made */
    public void setKeyGenerator(KeyGenerator keyGenerator) {
        this.keyGenerator = keyGenerator;
    }

    /** Bounds of the full-jitter backoff: the wait before retry n is random in [0, min(max, initial × 2^(n-1))]. */
    public static class Backoff {

        /** Upper bound of the first wait. Default 500ms. */
        private Duration initial;

        /** Upper bound of every wait. Default 10s. */
        private Duration max;

        /** Created by Spring. */
        public Backoff() {
        }

        /** @return the upper bound of the first wait, or {@code null} to inherit */
        public Duration getInitial() {
            return initial;
        }

        /** @param initial the upper bound of the first wait */
        public void setInitial(Duration initial) {
            this.initial = initial;
        }

        /** @return the upper bound of every wait, or {@code null} to inherit */
        public Duration getMax() {
            return max;
        }

        /** @param max the upper bound of every wait */
        public void setMax(Duration max) {
            this.max = max;
        }
    }

    /** How a client makes the key of a new logical operation. */
    public enum KeyGenerator {
        /** Time-ordered UUIDs (version 7): servers that index keys get inserts in order. */
        UUID_V7,
        /** Random UUIDs (version 4). */
        UUID_V4
    }
}
