package dev.semel.client;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * When and how a client retries a logical operation, and which requests get an
 * idempotency key. Immutable; build one with {@link #custom()} and share it.
 *
 * <p>Retries run on <a href="https://resilience4j.readme.io/docs/retry">Resilience4j Retry</a>:
 * {@link #retry()} is the instance the adapters drive, so its event publisher and metrics
 * (e.g. {@code resilience4j-micrometer}) see every attempt. Give each client its own
 * {@linkplain Builder#name name}, and a {@linkplain Builder#retryRegistry registry} to find
 * them in, so that their metrics do not clash. The wait itself goes through the
 * {@link Sleeper}, so tests never sleep ({@link RetryingWebClientFilter} waits with
 * {@code Mono.delay} on its scheduler instead).
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.custom()
 *         .maxAttempts(5)
 *         .backoff(Duration.ofMillis(200), Duration.ofSeconds(5))   // full jitter
 *         .deadline(Duration.ofSeconds(20))                         // all attempts and waits
 *         .retryOnServerError(true)                                 // 500 too
 *         .build();
 * }</pre>
 *
 * <p>A request is retried only when that is safe: it carries an idempotency key (generated
 * for the {@linkplain Builder#keyedMethods keyed methods}, POST and PATCH by default, or set
 * by the caller), or its method is idempotent by definition (GET, HEAD, OPTIONS, TRACE, PUT,
 * DELETE).
 */
public final class RetryPolicy {
    /** Attempts in all, the first included: {@value}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** Upper bound of the first backoff: 500 ms. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
    /** Upper bound of any backoff: 10 s. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
    /** Time for all attempts and waits together: 30 s. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
    /** 409 (in progress), 425, 429, 502, 503, 504. */
    public static final Set<Integer> DEFAULT_RETRYABLE_STATUSES = Set.of(409, 425, 429, 502, 503, 504);
    /** POST and PATCH. */
    public static final Set<String> DEFAULT_KEYED_METHODS = Set.of("POST", "PATCH");
    /** {@code Idempotency-Key}. */
    public static final String DEFAULT_HEADER_NAME = "Idempotency-Key";
    /** The name of the Resilience4j Retry: {@value}. */
    public static final String DEFAULT_NAME = "semel-client";
    /** Methods RFC 9110 defines as idempotent: retried even without a key. */
    static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration deadline;
    private final Duration maxRetryAfter;
    private final Set<Integer> retryableStatuses;
    private final Set<String> keyedMethods;
    private final String headerName;
    private final Predicate<? super Throwable> retryOnException;
    private final Supplier<String> keyGenerator;
    private final RetryListener listener;
    private final Clock clock;
    private final Sleeper sleeper;
    private final RandomGenerator random;
    private final Retry retry;

    private RetryPolicy(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.deadline = b.deadline;
        this.maxRetryAfter = b.maxRetryAfter;
        TreeSet<Integer> statuses = new TreeSet<>(b.retryableStatuses);
        if (b.retryOnServerError) {
            statuses.add(500);
        }
        this.retryableStatuses = Collections.unmodifiableSet(statuses);
        this.keyedMethods = Set.copyOf(b.keyedMethods);
        this.headerName = b.headerName;
        this.retryOnException = b.retryOnException;
        this.clock = b.clock;
        this.keyGenerator = b.keyGenerator != null ? b.keyGenerator : IdempotencyKeys.uuidV7(b.clock);
        this.listener = b.listener;
        this.sleeper = b.sleeper;
        this.random = b.random;
        RetryConfig config = RetryConfig.<AttemptResult>custom()
                .maxAttempts(maxAttempts)
                .retryOnResult(result -> retryableStatuses.contains(result.status()))
                .retryOnException(retryOnException::test)
                .intervalBiFunction((attempt, outcome) -> outcome.isRight()
                        ? delayAfterResponse(attempt, outcome.get())
                        : backoff(attempt).toMillis())
                .failAfterMaxAttempts(false)
                .build();
        this.retry = b.registry == null ? Retry.of(b.name, config) : register(b.registry, b.name, config);
    }

    /**
     * Registers this policy's Retry under its name, replacing one already there: a Retry the
     * registry made from its own configuration would not know how Semel reads responses.
     */
    private static Retry register(RetryRegistry registry, String name, RetryConfig config) {
        Retry added = registry.retry(name, config);
        if (added.getRetryConfig() == config) {
            return added;
        }
        Retry ours = Retry.of(name, config, registry.getTags());
        registry.replace(name, ours);
        return ours;
    }

    /** @return the defaults: 4 attempts, 500 ms..10 s full-jitter backoff, 30 s deadline */
    public static RetryPolicy ofDefaults() {
        return custom().build();
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /** @return attempts in all, the first included */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the upper bound of the first backoff */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** @return the upper bound of any backoff */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return the time all attempts and waits of one operation must fit in */
    public Duration deadline() {
        return deadline;
    }

    /**
     * @return the longest {@code Retry-After} the client waits for; a response asking for
     *     more ends the operation with that response ({@link RetryListener.Next#RETRY_AFTER_TOO_LONG}).
     *     Empty: only the deadline bounds the wait.
     */
    public Optional<Duration> maxRetryAfter() {
        return Optional.ofNullable(maxRetryAfter);
    }

    /** @return the statuses retried, sorted */
    public Set<Integer> retryableStatuses() {
        return retryableStatuses;
    }

    /** @return the methods that get a generated key when the caller set none */
    public Set<String> keyedMethods() {
        return keyedMethods;
    }

    /** @return the header that carries the key */
    public String headerName() {
        return headerName;
    }

    /** @return the Resilience4j Retry the adapters drive (events, metrics), named {@link #name()} */
    public Retry retry() {
        return retry;
    }

    /** @return the name of the Resilience4j Retry ({@value #DEFAULT_NAME} unless set) */
    public String name() {
        return retry.getName();
    }

    RetryListener listener() {
        return listener;
    }

    Clock clock() {
        return clock;
    }

    Sleeper sleeper() {
        return sleeper;
    }

    boolean retriesException(Throwable failure) {
        return retryOnException.test(failure);
    }

    /** Whether a {@code Retry-After} value asks for a longer wait than {@link #maxRetryAfter()} allows. */
    boolean retryAfterTooLong(String retryAfter) {
        if (maxRetryAfter == null) {
            return false;
        }
        Duration asked = RetryAfter.parse(retryAfter, clock.instant());
        return asked != null && asked.compareTo(maxRetryAfter) > 0;
    }

    /**
     * The key for a request that carries none: a fresh one for keyed methods, else none.
     *
     * @param method the HTTP method
     * @return the key, or {@code null}
     */
    String newKeyFor(String method) {
        return keyedMethods.contains(method.toUpperCase(Locale.ROOT)) ? keyGenerator.get() : null;
    }

    /**
     * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniformly
     * random in [0, min(max, initial × 2^(attempt-1))], so clients that failed together do
     * not come back together.
     */
    Duration backoff(int attempt) {
        double cap = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() * Math.pow(2, attempt - 1));
        RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
        return Duration.ofMillis((long) (r.nextDouble() * cap));
    }

    /**
     * The wait {@code Retry-After} asks for, or the backoff without one. A wait longer than
     * the deadline (however large: 99999999999 seconds, a date in the year 9999) is clamped to
     * just past the deadline, so it never overflows and the operation ends at once with that
     * response instead of sleeping until it is too late to try again.
     */
    private long delayAfterResponse(int attempt, AttemptResult result) {
        Duration retryAfter = RetryAfter.parse(result.retryAfter(), clock.instant());
        if (retryAfter == null) {
            return backoff(attempt).toMillis();
        }
        return retryAfter.compareTo(deadline) > 0 ? deadline.toMillis() + 1 : retryAfter.toMillis();
    }

    /** What Resilience4j sees of a response: enough to decide and to compute the wait. */
    record AttemptResult(int status, String retryAfter) {
    }

    /** Builds a {@link RetryPolicy}; every setting starts at its {@code DEFAULT_*}. */
    public static final class Builder {
        private static final Predicate<Throwable> DEFAULT_RETRY_ON_EXCEPTION = e -> e instanceof IOException
                // a certificate or protocol mismatch does not heal by retrying
                && !(e instanceof SSLHandshakeException) && !(e instanceof SSLPeerUnverifiedException);

        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration deadline = DEFAULT_DEADLINE;
        private Duration maxRetryAfter;
        private Set<Integer> retryableStatuses = DEFAULT_RETRYABLE_STATUSES;
        private boolean retryOnServerError;
        private Set<String> keyedMethods = DEFAULT_KEYED_METHODS;
        private String headerName = DEFAULT_HEADER_NAME;
        private Predicate<? super Throwable> retryOnException = DEFAULT_RETRY_ON_EXCEPTION;
        private Supplier<String> keyGenerator;
        private RetryListener listener = RetryListener.NONE;
        private Clock clock = Clock.systemUTC();
        private Sleeper sleeper = Sleeper.THREAD_SLEEP;
        private RandomGenerator random;
        private String name = DEFAULT_NAME;
        private RetryRegistry registry;

        private Builder() {
        }

        /**
         * Attempts in all, the first included; 1 turns retries off.
         *
         * @param maxAttempts at least 1
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Exponential backoff with full jitter: the wait before retry {@code n} is uniformly
         * random between zero and {@code min(max, initial × 2^(n-1))}. A {@code Retry-After}
         * on the response replaces it.
         *
         * @param initial the cap of the first wait, positive
         * @param max the cap of every wait, at least {@code initial}
         * @return this builder
         */
        public Builder backoff(Duration initial, Duration max) {
            requirePositive(initial, "initial backoff");
            requirePositive(max, "max backoff");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff " + max + " is shorter than initial backoff " + initial);
            }
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /**
         * The time one logical operation may take, all attempts and waits together. No
         * attempt starts after it; an attempt of {@code java.net.http} gets the time left as
         * its timeout; a {@code Retry-After} that points past it ends the operation at once
         * with the response that asked for it.
         *
         * @param deadline positive
         * @return this builder
         */
        public Builder deadline(Duration deadline) {
            this.deadline = requirePositive(deadline, "deadline");
            return this;
        }

        /**
         * The longest {@code Retry-After} worth waiting for. A retryable response that asks
         * for a longer wait ends the operation at once with that response
         * ({@link RetryListener.Next#RETRY_AFTER_TOO_LONG}) instead of holding the calling
         * thread for it. Unset by default: only the {@linkplain #deadline deadline} bounds
         * the wait.
         *
         * @param maxRetryAfter positive, or {@code null} for no bound but the deadline
         * @return this builder
         */
        public Builder maxRetryAfter(Duration maxRetryAfter) {
            this.maxRetryAfter = maxRetryAfter == null ? null : requirePositive(maxRetryAfter, "maxRetryAfter");
            return this;
        }

        /**
         * Replaces the retried statuses. Only statuses a retry can change are allowed: 408,
         * 409, 425, 429 and 5xx. 400, 401, 403, 404, 422 and every other final answer are
         * refused: a retry would get the same answer, or worse, do something twice.
         *
         * @param statuses the statuses
         * @return this builder
         * @throws IllegalArgumentException for a status a retry cannot change
         */
        public Builder retryableStatuses(Set<Integer> statuses) {
            for (int status : statuses) {
                boolean changeable = status == 408 || status == 409 || status == 425 || status == 429
                        || (status >= 500 && status <= 599);
                if (!changeable) {
                    throw new IllegalArgumentException("status " + status
                            + " is a final answer: retrying it cannot change the outcome");
                }
            }
            this.retryableStatuses = Set.copyOf(statuses);
            return this;
        }

        /**
         * Whether 500 is retried too (off by default: a server that answers 500 may have
         * done part of the work; with Semel on the server the key is released and a retry
         * runs again).
         *
         * @param retry whether to retry 500
         * @return this builder
         */
        public Builder retryOnServerError(boolean retry) {
            this.retryOnServerError = retry;
            return this;
        }

        /**
         * The methods that get a generated key when the caller set none (POST and PATCH by
         * default). A request that carries a key is retried whatever its method.
         *
         * @param methods HTTP methods, any case
         * @return this builder
         */
        public Builder keyedMethods(String... methods) {
            TreeSet<String> upper = new TreeSet<>();
            Arrays.stream(methods).map(m -> m.toUpperCase(Locale.ROOT)).forEach(upper::add);
            this.keyedMethods = upper;
            return this;
        }

        /**
         * The header that carries the key ({@code Idempotency-Key}).
         *
         * @param headerName the header name
         * @return this builder
         */
        public Builder headerName(String headerName) {
            if (Objects.requireNonNull(headerName, "headerName").isBlank()) {
                throw new IllegalArgumentException("headerName is blank");
            }
            this.headerName = headerName;
            return this;
        }

        /**
         * Which exceptions of an attempt are retried. The default retries every
         * {@link IOException} (connection refused or reset, timeouts, a connection dropped
         * before the response) except TLS handshake and peer verification failures.
         *
         * @param predicate true to retry
         * @return this builder
         */
        public Builder retryOnException(Predicate<? super Throwable> predicate) {
            this.retryOnException = Objects.requireNonNull(predicate, "predicate");
            return this;
        }

        /**
         * Where new keys come from ({@link IdempotencyKeys#uuidV7(Clock)} on the policy's
         * clock by default). Called once per logical operation.
         *
         * @param generator the generator
         * @return this builder
         */
        public Builder keyGenerator(Supplier<String> generator) {
            this.keyGenerator = Objects.requireNonNull(generator, "generator");
            return this;
        }

        /**
         * Told about every attempt.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(RetryListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The clock that measures the deadline and reads {@code Retry-After} dates.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How the blocking clients wait between attempts ({@link Sleeper#THREAD_SLEEP}).
         * {@link RetryingWebClientFilter} never sleeps: it waits on its Reactor scheduler.
         *
         * @param sleeper the sleeper
         * @return this builder
         */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /**
         * The source of jitter ({@link ThreadLocalRandom} by default).
         *
         * @param random the generator; it must be thread-safe if the policy is shared
         * @return this builder
         */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * The name of the policy's Resilience4j Retry ({@value RetryPolicy#DEFAULT_NAME}): the
         * {@code name} tag of its metrics and the name of its events. Give every client its
         * own, e.g. {@code semel-client-payments}.
         *
         * @param name the name
         * @return this builder
         */
        public Builder name(String name) {
            if (Objects.requireNonNull(name, "name").isBlank()) {
                throw new IllegalArgumentException("name is blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Where the policy's Resilience4j Retry is registered under its {@linkplain #name name}
         * (none by default), e.g. the registry {@code TaggedRetryMetrics.ofRetryRegistry(...)}
         * publishes. A Retry already registered under that name is replaced: its configuration
         * comes from this builder. Build each named policy once and share it.
         *
         * @param registry the registry
         * @return this builder
         */
        public Builder retryRegistry(RetryRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** @return the policy */
        public RetryPolicy build() {
            return new RetryPolicy(this);
        }

        private static Duration requirePositive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
            return d;
        }
    }
}
