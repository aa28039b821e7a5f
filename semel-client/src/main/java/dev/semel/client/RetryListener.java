package dev.semel.client;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Told about every attempt of a logical operation: its number, what came back, and what
 * the client does next. Every attempt is also logged through {@link System.Logger}
 * (logger {@code dev.semel.client}): retries at {@code INFO}, a first-time answer at
 * {@code DEBUG}, giving up at {@code WARNING}; a listener is for metrics or tests.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.custom()
 *         .listener(attempt -> metrics.counter("payments.attempts", "next", attempt.next().name()).increment())
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface RetryListener {
    /** Does nothing. */
    RetryListener NONE = attempt -> { };

    /**
     * Called after each attempt, before any wait: on the calling thread, or with
     * {@link RetryingWebClientFilter} on the thread the response arrived on (an event loop,
     * so it must not block).
     *
     * @param attempt what happened
     */
    void onAttempt(Attempt attempt);

    /** What the client does after an attempt. */
    enum Next {
        /** The answer is final (success or an answer a retry cannot change): returned. */
        DONE,
        /** The outcome is retryable: the client waits {@link Attempt#delay()} and tries again. */
        RETRY,
        /** Retryable, but it was the last attempt allowed. */
        ATTEMPTS_EXHAUSTED,
        /** Retryable, but the next attempt would start after the total deadline. */
        DEADLINE_EXCEEDED,
        /**
         * Retryable, but its {@code Retry-After} asks for a longer wait than
         * {@link RetryPolicy#maxRetryAfter()} allows: the response is returned instead.
         */
        RETRY_AFTER_TOO_LONG,
        /** Retryable outcome of a request that carries no key and whose method is not idempotent. */
        UNSAFE_TO_RETRY
    }

    /**
     * One attempt.
     *
     * @param method the HTTP method
     * @param uri the target
     * @param idempotencyKey the key sent, or {@code null} when the request carries none
     * @param number the attempt number, from 1
     * @param status the response status, or {@code -1} when the attempt failed with an exception
     * @param failure the exception, or {@code null} when a response came back
     * @param replayed whether the response said {@code Idempotent-Replayed: true}
     * @param next what the client does now
     * @param delay the wait before the next attempt ({@link Duration#ZERO} unless {@link Next#RETRY})
     */
    record Attempt(String method, URI uri, String idempotencyKey, int number, int status, Throwable failure,
            boolean replayed, Next next, Duration delay) {
        /** Checks the required parts. */
        public Attempt {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(next, "next");
            Objects.requireNonNull(delay, "delay");
        }

        /** @return the key, when the request carried one */
        public Optional<String> key() {
            return Optional.ofNullable(idempotencyKey);
        }

        /** @return the status, when a response came back */
        public OptionalInt statusCode() {
            return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
        }

        /** @return {@code 503}, or the exception's class and message */
        public String outcome() {
            if (failure == null) {
                return Integer.toString(status);
            }
            return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        }
    }
}
