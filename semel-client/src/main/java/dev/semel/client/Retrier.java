package dev.semel.client;

import dev.semel.client.RetryListener.Attempt;
import dev.semel.client.RetryListener.Next;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The loop both adapters share: one key for all attempts, Resilience4j decides whether and
 * after how long to retry, the deadline bounds it, the {@link Sleeper} waits.
 *
 * @param <R> the adapter's response type
 */
final class Retrier<R> {
    static final String REPLAYED_HEADER = "Idempotent-Replayed";
    private static final System.Logger LOG = System.getLogger("dev.semel.client");

    /** One attempt of the adapter. */
    interface Exchange<R> {
        /**
         * @param timeLeft the time left before the deadline, positive
         * @return the response
         */
        R attempt(Duration timeLeft) throws IOException, InterruptedException;
    }

    /** How the loop reads the adapter's responses. */
    interface Responses<R> {
        int status(R response);

        /** @return the first value of a header, or {@code null} */
        String header(R response, String name);

        /** Frees a response that is not returned (a retried one). */
        void discard(R response);
    }

    /** The final response and how many attempts it took. */
    record Result<R>(R response, int attempts, boolean replayed) {
    }

    private final RetryPolicy policy;
    private final Responses<R> responses;

    Retrier(RetryPolicy policy, Responses<R> responses) {
        this.policy = policy;
        this.responses = responses;
    }

    static boolean replayed(String headerValue) {
        // Stripe sends "true"; an RFC 8941 boolean is "?1"
        return headerValue != null && ("true".equalsIgnoreCase(headerValue.trim()) || "?1".equals(headerValue.trim()));
    }

    Result<R> run(String method, URI uri, String key, Exchange<R> exchange)
            throws IOException, InterruptedException {
        boolean safe = key != null || RetryPolicy.IDEMPOTENT_METHODS.contains(method.toUpperCase(Locale.ROOT));
        Instant deadline = policy.clock().instant().plus(policy.deadline());
        Retry.AsyncContext<RetryPolicy.AttemptResult> context = policy.retry().asyncContext();
        List<IOException> earlierFailures = new ArrayList<>();
        for (int number = 1; ; number++) {
            Duration timeLeft = Duration.between(policy.clock().instant(), deadline);
            if (timeLeft.isNegative() || timeLeft.isZero()) {
                timeLeft = Duration.ofMillis(1);
            }
            R response = null;
            IOException failure = null;
            try {
                response = exchange.attempt(timeLeft);
            } catch (IOException e) {
                failure = e;
            }
            int status = failure == null ? responses.status(response) : -1;
            boolean replayed = failure == null && replayed(responses.header(response, REPLAYED_HEADER));
            boolean retryable = failure == null
                    ? policy.retryableStatuses().contains(status)
                    : policy.retriesException(failure);
            long delayMillis = -1;
            Next next;
            if (!retryable) {
                next = Next.DONE;
                if (failure == null) {
                    context.onResult(new RetryPolicy.AttemptResult(status, null));
                    context.onComplete();
                } else {
                    context.onError(failure);
                }
            } else if (!safe) {
                next = Next.UNSAFE_TO_RETRY;
            } else {
                String retryAfter = failure == null ? responses.header(response, "Retry-After") : null;
                delayMillis = failure == null
                        ? context.onResult(new RetryPolicy.AttemptResult(status, retryAfter))
                        : context.onError(failure);
                if (delayMillis < 0) {
                    next = Next.ATTEMPTS_EXHAUSTED;
                } else if (policy.retryAfterTooLong(retryAfter)) {
                    next = Next.RETRY_AFTER_TOO_LONG;
                } else if (policy.clock().instant().plusMillis(delayMillis).isAfter(deadline)) {
                    next = Next.DEADLINE_EXCEEDED;
                } else {
                    next = Next.RETRY;
                }
            }
            Duration delay = next == Next.RETRY ? Duration.ofMillis(delayMillis) : Duration.ZERO;
            Attempt attempt = new Attempt(method, uri, key, number, status, failure, replayed, next, delay);
            log(attempt);
            policy.listener().onAttempt(attempt);
            switch (next) {
                case RETRY -> {
                    if (failure == null) {
                        responses.discard(response);
                    } else {
                        earlierFailures.add(failure);
                    }
                    policy.sleeper().sleep(delay);
                }
                case DONE, UNSAFE_TO_RETRY -> {
                    if (failure != null) {
                        throw failure;
                    }
                    return new Result<>(response, number, replayed);
                }
                case ATTEMPTS_EXHAUSTED, DEADLINE_EXCEEDED, RETRY_AFTER_TOO_LONG -> {
                    if (failure == null) {
                        return new Result<>(response, number, replayed);
                    }
                    RetriesExhaustedException exhausted = new RetriesExhaustedException(
                            method + " " + uri + " failed after " + number + " attempt" + (number == 1 ? "" : "s")
                                    + (next == Next.DEADLINE_EXCEEDED ? " (deadline " + policy.deadline() + ")" : "")
                                    + (key == null ? "" : "; retry later with " + policy.headerName() + ": " + key),
                            failure, number, key);
                    earlierFailures.forEach(exhausted::addSuppressed);
                    throw exhausted;
                }
                default -> throw new AssertionError(next);
            }
        }
    }

    private void log(Attempt a) {
        System.Logger.Level level = switch (a.next()) {
            case RETRY -> System.Logger.Level.INFO;
            case DONE -> a.number() == 1 ? System.Logger.Level.DEBUG : System.Logger.Level.INFO;
            case ATTEMPTS_EXHAUSTED, DEADLINE_EXCEEDED, RETRY_AFTER_TOO_LONG, UNSAFE_TO_RETRY -> System.Logger.Level.WARNING;
        };
        if (!LOG.isLoggable(level)) {
            return;
        }
        String what = switch (a.next()) {
            case RETRY -> "retrying in " + a.delay().toMillis() + " ms";
            case DONE -> a.replayed() ? "done (replayed)" : "done";
            case ATTEMPTS_EXHAUSTED -> "giving up: no attempts left";
            case DEADLINE_EXCEEDED -> "giving up: next attempt would pass the deadline";
            case RETRY_AFTER_TOO_LONG -> "giving up: Retry-After is longer than " + policy.maxRetryAfter().orElseThrow();
            case UNSAFE_TO_RETRY -> "not retried: no idempotency key and " + a.method() + " is not idempotent";
        };
        LOG.log(level, "{0} {1} attempt {2} key={3}: {4}, {5}",
                a.method(), a.uri(), a.number(), a.idempotencyKey(), a.outcome(), what);
    }
}
