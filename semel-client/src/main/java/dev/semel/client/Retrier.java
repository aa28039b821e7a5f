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
 * What every adapter shares: one key for all attempts, Resilience4j decides whether and
 * after how long to retry, the deadline bounds it. {@link Attempts} is that decision, one
 * attempt at a time; {@link #run} is the blocking loop around it (the {@link Sleeper}
 * waits), the reactive filter its non-blocking twin ({@code Mono.delay} waits).
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

    /**
     * The blocking loop: each attempt on the calling thread, the {@link Sleeper} waits.
     */
    Result<R> run(String method, URI uri, String key, Exchange<R> exchange)
            throws IOException, InterruptedException {
        Attempts attempts = start(method, uri, key);
        while (true) {
            R response = null;
            IOException failure = null;
            try {
                response = exchange.attempt(attempts.timeLeft());
            } catch (IOException e) {
                failure = e;
            }
            Step<R> step = attempts.next(response, failure);
            if (step instanceof Step.Retry<R> retry) {
                if (response != null) {
                    responses.discard(response);
                }
                policy.sleeper().sleep(retry.delay());
            } else if (step instanceof Step.Done<R> done) {
                return done.result();
            } else {
                // only the IOException given to next(), or RetriesExhaustedException, which is one
                throw (IOException) ((Step.Fail<R>) step).error();
            }
        }
    }

    /**
     * Starts one logical operation: its deadline, its Resilience4j context, its count of
     * attempts. The blocking loop and the reactive filter drive it alike.
     *
     * @param method the HTTP method
     * @param uri the target
     * @param key the key every attempt carries, or {@code null}
     * @return the operation's attempts
     */
    Attempts start(String method, URI uri, String key) {
        return new Attempts(method, uri, key);
    }

    /** What to do after an attempt. */
    sealed interface Step<R> {
        /** Drop the response (if any), wait {@code delay}, try again. */
        record Retry<R>(Duration delay) implements Step<R> {
        }

        /** The final response. */
        record Done<R>(Result<R> result) implements Step<R> {
        }

        /** The operation failed: the attempt's own failure, or {@link RetriesExhaustedException}. */
        record Fail<R>(Throwable error) implements Step<R> {
        }
    }

    /**
     * The attempts of one logical operation and the decision after each: whether to retry and
     * after how long (Resilience4j, the deadline, {@code maxRetryAfter}, whether retrying is
     * safe), the listener, the log, the exhaustion exception. Waiting is the caller's: a
     * thread sleeps, a reactive chain delays. Not thread-safe: one operation's attempts
     * follow each other.
     */
    final class Attempts {
        private final String method;
        private final URI uri;
        private final String key;
        private final boolean safe;
        private final Instant deadline;
        private final Retry.AsyncContext<RetryPolicy.AttemptResult> context = policy.retry().asyncContext();
        private final List<Throwable> earlierFailures = new ArrayList<>();
        private int number;

        private Attempts(String method, URI uri, String key) {
            this.method = method;
            this.uri = uri;
            this.key = key;
            this.safe = key != null || RetryPolicy.IDEMPOTENT_METHODS.contains(method.toUpperCase(Locale.ROOT));
            this.deadline = policy.clock().instant().plus(policy.deadline());
        }

        /** @return the time left before the deadline, at least a millisecond */
        Duration timeLeft() {
            Duration timeLeft = Duration.between(policy.clock().instant(), deadline);
            return timeLeft.isNegative() || timeLeft.isZero() ? Duration.ofMillis(1) : timeLeft;
        }

        /**
         * Decides after one attempt, tells the listener and the log.
         *
         * @param response the attempt's response, or {@code null} when it failed
         * @param failure the attempt's failure, or {@code null} when a response came back
         * @return what to do next; on {@link Step.Retry} the caller frees {@code response}
         */
        Step<R> next(R response, Throwable failure) {
            number++;
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
            return switch (next) {
                case RETRY -> {
                    if (failure != null) {
                        earlierFailures.add(failure);
                    }
                    yield new Step.Retry<>(delay);
                }
                case DONE, UNSAFE_TO_RETRY -> failure != null
                        ? new Step.Fail<>(failure)
                        : new Step.Done<>(new Result<>(response, number, replayed));
                case ATTEMPTS_EXHAUSTED, DEADLINE_EXCEEDED, RETRY_AFTER_TOO_LONG -> {
                    if (failure == null) {
                        yield new Step.Done<>(new Result<>(response, number, replayed));
                    }
                    RetriesExhaustedException exhausted = new RetriesExhaustedException(
                            method + " " + uri + " failed after " + number + " attempt" + (number == 1 ? "" : "s")
                                    + (next == Next.DEADLINE_EXCEEDED ? " (deadline " + policy.deadline() + ")" : "")
                                    + (key == null ? "" : "; retry later with " + policy.headerName() + ": " + key),
                            failure, number, key);
                    earlierFailures.forEach(exhausted::addSuppressed);
                    yield new Step.Fail<>(exhausted);
                }
            };
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
