package dev.semel;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Immutable settings of an {@link Idempotency} engine, built once.
 *
 * <pre>{@code
 * IdempotencyConfig config = IdempotencyConfig.custom()
 *     .ttl(Duration.ofHours(24))
 *     .leaseDuration(Duration.ofSeconds(30))
 *     .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(5)))
 *     .build();
 * }</pre>
 */
public final class IdempotencyConfig {
    /** How long a completed record is replayed: 24 hours. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    /** How long a claim holds the key without renewal: 30 seconds. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);
    /** How long a duplicate waits between two looks at a running record under the wait policy. */
    public static final Duration DEFAULT_WAIT_POLL_INTERVAL = Duration.ofMillis(100);
    /** What {@code Retry-After} a store failure suggests: 1 second. */
    public static final Duration DEFAULT_STORE_FAILURE_RETRY_AFTER = Duration.ofSeconds(1);
    /** Duplicates are answered in-progress at once. */
    public static final WaitPolicy DEFAULT_WAIT_POLICY = WaitPolicy.reject();
    /** Final outcomes below 500 are stored. */
    public static final OutcomePolicy DEFAULT_OUTCOME_POLICY = OutcomePolicy.DEFAULT;
    /** Store failures refuse the request. */
    public static final FailurePolicy DEFAULT_FAILURE_POLICY = FailurePolicy.FAIL_CLOSED;
    /** Default number of attempts to complete a record when the store fails: 4. */
    public static final int DEFAULT_COMPLETE_ATTEMPTS = 4;
    /**
     * Default longest wait of an asynchronous store call in the store executor's queue: 5 seconds,
     * above the stores' own timeouts (2 seconds by default).
     */
    public static final Duration DEFAULT_ASYNC_STORE_DEADLINE = Duration.ofSeconds(5);

    private final Clock clock;
    private final Ticker ticker;
    private final Duration ttl;
    private final Duration leaseDuration;
    private final Duration leaseRenewInterval;
    private final Duration waitPollInterval;
    private final Duration storeFailureRetryAfter;
    private final WaitPolicy waitPolicy;
    private final OutcomePolicy outcomePolicy;
    private final FailurePolicy failurePolicy;
    private final IdempotencyListener listener;
    private final @Nullable ScheduledExecutorService scheduler;
    private final @Nullable Executor storeExecutor;
    private final Duration asyncStoreDeadline;
    private final String ownerId;
    private final int completeAttempts;

    private IdempotencyConfig(Builder b) {
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.ttl = b.ttl;
        this.leaseDuration = b.leaseDuration;
        this.leaseRenewInterval = b.leaseRenewInterval != null ? b.leaseRenewInterval : b.leaseDuration.dividedBy(3);
        this.waitPollInterval = b.waitPollInterval;
        this.storeFailureRetryAfter = b.storeFailureRetryAfter;
        this.waitPolicy = b.waitPolicy;
        this.outcomePolicy = b.outcomePolicy;
        this.failurePolicy = b.failurePolicy;
        this.listener = b.listener;
        this.scheduler = b.scheduler;
        this.storeExecutor = b.storeExecutor;
        this.asyncStoreDeadline = b.asyncStoreDeadline;
        this.ownerId = b.ownerId != null ? b.ownerId : defaultOwnerId();
        this.completeAttempts = b.completeAttempts;
        if (leaseRenewInterval.multipliedBy(2).compareTo(leaseDuration) > 0) {
            // a renewal that fails (or stalls) once must still leave time for the next before the lease ends
            throw new IllegalArgumentException("leaseRenewInterval (" + leaseRenewInterval
                    + ") must be at most half of leaseDuration (" + leaseDuration + "), so that one failed or"
                    + " slow renewal does not let the lease run out");
        }
    }

    private static String defaultOwnerId() {
        return "semel-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
    }

    /**
     * The defaults: 24 h TTL, 30 s lease, reject duplicates in progress, store final
     * outcomes below 500, fail closed, system UTC clock, no listener.
     *
     * @return the default configuration
     */
    public static IdempotencyConfig ofDefaults() {
        return custom().build();
    }

    /**
     * Starts a configuration from the defaults.
     *
     * @return a builder
     */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * Starts a builder from this configuration.
     *
     * @return a builder holding these settings
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.clock = clock;
        b.ticker = ticker;
        b.ttl = ttl;
        b.leaseDuration = leaseDuration;
        b.leaseRenewInterval = leaseRenewInterval;
        b.waitPollInterval = waitPollInterval;
        b.storeFailureRetryAfter = storeFailureRetryAfter;
        b.waitPolicy = waitPolicy;
        b.outcomePolicy = outcomePolicy;
        b.failurePolicy = failurePolicy;
        b.listener = listener;
        b.scheduler = scheduler;
        b.storeExecutor = storeExecutor;
        b.asyncStoreDeadline = asyncStoreDeadline;
        b.ownerId = ownerId;
        b.completeAttempts = completeAttempts;
        return b;
    }

    /** @return the clock every record time comes from */
    public Clock clock() {
        return clock;
    }

    /** @return the ticker every wait, renewal and validity check is measured with */
    public Ticker ticker() {
        return ticker;
    }

    /** @return how long completed records are replayed */
    public Duration ttl() {
        return ttl;
    }

    /** @return how long a claim holds the key without renewal */
    public Duration leaseDuration() {
        return leaseDuration;
    }

    /** @return how often a running operation's lease is renewed */
    public Duration leaseRenewInterval() {
        return leaseRenewInterval;
    }

    /** @return the longest pause between two looks at a running record while waiting */
    public Duration waitPollInterval() {
        return waitPollInterval;
    }

    /** @return the {@code Retry-After} suggested when the store fails */
    public Duration storeFailureRetryAfter() {
        return storeFailureRetryAfter;
    }

    /** @return what duplicates do while the first attempt runs */
    public WaitPolicy waitPolicy() {
        return waitPolicy;
    }

    /** @return which outcomes are stored */
    public OutcomePolicy outcomePolicy() {
        return outcomePolicy;
    }

    /** @return what happens when the store fails */
    public FailurePolicy failurePolicy() {
        return failurePolicy;
    }

    /** @return the listener */
    public IdempotencyListener listener() {
        return listener;
    }

    /** @return the scheduler for lease renewal, or {@code null} if the engine owns one */
    public @Nullable ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /**
     * @return where the asynchronous path runs a store's blocking calls, or {@code null} if the
     *     engine owns a pool for them
     */
    public @Nullable Executor storeExecutor() {
        return storeExecutor;
    }

    /** @return how long an asynchronous claim, completion or release may wait in the store executor's queue */
    public Duration asyncStoreDeadline() {
        return asyncStoreDeadline;
    }

    /** @return how many times a completion is attempted when the store fails */
    public int completeAttempts() {
        return completeAttempts;
    }

    /** @return this engine's identity as a lease owner */
    public String ownerId() {
        return ownerId;
    }

    /** Builds an {@link IdempotencyConfig}; every setter validates at once. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.system();
        private Duration ttl = DEFAULT_TTL;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private @Nullable Duration leaseRenewInterval;
        private Duration waitPollInterval = DEFAULT_WAIT_POLL_INTERVAL;
        private Duration storeFailureRetryAfter = DEFAULT_STORE_FAILURE_RETRY_AFTER;
        private WaitPolicy waitPolicy = DEFAULT_WAIT_POLICY;
        private OutcomePolicy outcomePolicy = DEFAULT_OUTCOME_POLICY;
        private FailurePolicy failurePolicy = DEFAULT_FAILURE_POLICY;
        private int completeAttempts = DEFAULT_COMPLETE_ATTEMPTS;
        private IdempotencyListener listener = IdempotencyListener.NONE;
        private @Nullable ScheduledExecutorService scheduler;
        private @Nullable Executor storeExecutor;
        private Duration asyncStoreDeadline = DEFAULT_ASYNC_STORE_DEADLINE;
        private @Nullable String ownerId;

        private Builder() {
        }

        /**
         * Sets the clock record times come from (tests pass a controllable one).
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Sets the ticker durations are measured with: the wait for a key in progress, lease
         * renewal timing, a lease's validity for a retried completion. Tests pass one they
         * advance by hand. Default {@link Ticker#system()}.
         *
         * @param ticker the ticker
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Sets how long completed records are replayed. Default {@link #DEFAULT_TTL}.
         *
         * @param ttl positive duration
         * @return this builder
         */
        public Builder ttl(Duration ttl) {
            this.ttl = positive(ttl, "ttl");
            return this;
        }

        /**
         * Sets how long a claim holds a key without renewal. Default {@link #DEFAULT_LEASE_DURATION}.
         *
         * @param lease positive duration
         * @return this builder
         */
        public Builder leaseDuration(Duration lease) {
            this.leaseDuration = positive(lease, "leaseDuration");
            return this;
        }

        /**
         * Sets how often a running operation's lease is renewed. Default: a third of the lease.
         *
         * @param interval positive, at most half the lease
         * @return this builder
         */
        public Builder leaseRenewInterval(Duration interval) {
            this.leaseRenewInterval = positive(interval, "leaseRenewInterval");
            return this;
        }

        /**
         * Sets the longest pause between two looks at a running record while waiting.
         *
         * @param interval positive duration
         * @return this builder
         */
        public Builder waitPollInterval(Duration interval) {
            this.waitPollInterval = positive(interval, "waitPollInterval");
            return this;
        }

        /**
         * Sets the {@code Retry-After} suggested when the store fails.
         *
         * @param retryAfter positive duration
         * @return this builder
         */
        public Builder storeFailureRetryAfter(Duration retryAfter) {
            this.storeFailureRetryAfter = positive(retryAfter, "storeFailureRetryAfter");
            return this;
        }

        /**
         * Sets what duplicates do while the first attempt runs.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder waitPolicy(WaitPolicy policy) {
            this.waitPolicy = Objects.requireNonNull(policy, "waitPolicy");
            return this;
        }

        /**
         * Sets which outcomes are stored.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder outcomePolicy(OutcomePolicy policy) {
            this.outcomePolicy = Objects.requireNonNull(policy, "outcomePolicy");
            return this;
        }

        /**
         * Sets what happens when the store fails.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder failurePolicy(FailurePolicy policy) {
            this.failurePolicy = Objects.requireNonNull(policy, "failurePolicy");
            return this;
        }

        /**
         * Sets the listener.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets the scheduler that renews leases; the caller keeps ownership of it. Without
         * one, the engine starts a daemon thread and stops it on {@link Idempotency#close()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Sets where the asynchronous path ({@link Idempotency#beginAsync}, {@link Lease#finishAsync})
         * runs the calls of a store that has only blocking ones (JDBC); the caller keeps
         * ownership of it. A store with an asynchronous client (Redis) never uses it. Without
         * one, the engine starts a pool on first use, of 16 daemon threads and 1,024 queued
         * calls, and stops it on {@link Idempotency#close()}. A call the executor refuses (its
         * queue full) fails like a store failure: 503, or an unprotected run when failing open.
         *
         * @param storeExecutor the executor; bound it, since every call on it may hold a connection
         * @return this builder
         */
        public Builder storeExecutor(Executor storeExecutor) {
            this.storeExecutor = Objects.requireNonNull(storeExecutor, "storeExecutor");
            return this;
        }

        /**
         * Sets how long an asynchronous claim, completion or release of a store with only
         * blocking calls (JDBC) may wait in the {@linkplain #storeExecutor store executor}'s queue:
         * a call that has not started by then is dropped, never run late, and answered as a store
         * failure (503, or an unprotected run when failing open), so a store that stopped answering
         * cannot pile up work that runs long after its callers were answered. A call that started
         * is bounded by the store's own timeouts. Default {@link #DEFAULT_ASYNC_STORE_DEADLINE}.
         *
         * @param deadline positive
         * @return this builder
         */
        public Builder asyncStoreDeadline(Duration deadline) {
            this.asyncStoreDeadline = positive(deadline, "asyncStoreDeadline");
            return this;
        }

        /**
         * Sets this engine's identity as a lease owner (shown by admin tools).
         *
         * @param ownerId a non-empty name, e.g. the instance id
         * @return this builder
         */
        public Builder ownerId(String ownerId) {
            Objects.requireNonNull(ownerId, "ownerId");
            if (ownerId.isBlank()) {
                throw new IllegalArgumentException("ownerId must not be blank");
            }
            this.ownerId = ownerId;
            return this;
        }

        /**
         * Sets how many times a record's completion is attempted when the store fails (a
         * timeout during a failover). Retries back off from 100 ms to 1 s and stop once the
         * lease could have ended; the key is never released after the operation ran.
         * Default {@link #DEFAULT_COMPLETE_ATTEMPTS}.
         *
         * @param attempts at least 1
         * @return this builder
         */
        public Builder completeAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("completeAttempts must be at least 1, was " + attempts);
            }
            this.completeAttempts = attempts;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the immutable configuration
         * @throws IllegalArgumentException if the renew interval is more than half the lease
         */
        public IdempotencyConfig build() {
            return new IdempotencyConfig(this);
        }

        static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
