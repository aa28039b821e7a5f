package dev.semel;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-call overrides of the engine's configuration (a route's own TTL, a method's own
 * in-progress policy). Unset fields fall back to the {@link IdempotencyConfig}.
 *
 * <pre>{@code
 * CallOptions options = CallOptions.custom().ttl(Duration.ofHours(1)).build();
 * }</pre>
 */
public final class CallOptions {
    /** No overrides. */
    public static final CallOptions DEFAULTS = new CallOptions(null, null, null, null, ExceptionCodec.NONE);

    private final @Nullable Duration ttl;
    private final @Nullable Duration leaseDuration;
    private final @Nullable WaitPolicy waitPolicy;
    private final @Nullable OutcomePolicy outcomePolicy;
    private final ExceptionCodec exceptionCodec;

    private CallOptions(@Nullable Duration ttl, @Nullable Duration leaseDuration,
            @Nullable WaitPolicy waitPolicy, @Nullable OutcomePolicy outcomePolicy,
            ExceptionCodec exceptionCodec) {
        this.ttl = ttl;
        this.leaseDuration = leaseDuration;
        this.waitPolicy = waitPolicy;
        this.outcomePolicy = outcomePolicy;
        this.exceptionCodec = exceptionCodec;
    }

    /**
     * Starts a set of overrides.
     *
     * @return a builder
     */
    public static Builder custom() {
        return new Builder();
    }

    Duration ttl(IdempotencyConfig config) {
        return ttl != null ? ttl : config.ttl();
    }

    Duration leaseDuration(IdempotencyConfig config) {
        return leaseDuration != null ? leaseDuration : config.leaseDuration();
    }

    WaitPolicy waitPolicy(IdempotencyConfig config) {
        return waitPolicy != null ? waitPolicy : config.waitPolicy();
    }

    OutcomePolicy outcomePolicy(IdempotencyConfig config) {
        return outcomePolicy != null ? outcomePolicy : config.outcomePolicy();
    }

    /**
     * Returns which exceptions {@link Idempotency#once} stores and rethrows on replay.
     *
     * @return {@link ExceptionCodec#NONE} unless set
     */
    public ExceptionCodec exceptionCodec() {
        return exceptionCodec;
    }

    @Override
    public String toString() {
        return "CallOptions[ttl=" + ttl + ", lease=" + leaseDuration + ", inProgress=" + waitPolicy
                + ", exceptions=" + exceptionCodec + "]";
    }

    /** Builds {@link CallOptions}. */
    public static final class Builder {
        private @Nullable Duration ttl;
        private @Nullable Duration leaseDuration;
        private @Nullable WaitPolicy waitPolicy;
        private @Nullable OutcomePolicy outcomePolicy;
        private ExceptionCodec exceptionCodec = ExceptionCodec.NONE;

        private Builder() {
        }

        /**
         * Overrides how long the completed record is replayed.
         *
         * @param ttl positive duration
         * @return this builder
         */
        public Builder ttl(Duration ttl) {
            this.ttl = IdempotencyConfig.Builder.positive(ttl, "ttl");
            return this;
        }

        /**
         * Overrides the lease duration (for operations known to run long).
         *
         * @param lease positive duration
         * @return this builder
         */
        public Builder leaseDuration(Duration lease) {
            this.leaseDuration = IdempotencyConfig.Builder.positive(lease, "leaseDuration");
            return this;
        }

        /**
         * Overrides what duplicates do while the first attempt runs.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder waitPolicy(WaitPolicy policy) {
            this.waitPolicy = Objects.requireNonNull(policy, "waitPolicy");
            return this;
        }

        /**
         * Overrides which outcomes are stored.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder outcomePolicy(OutcomePolicy policy) {
            this.outcomePolicy = Objects.requireNonNull(policy, "outcomePolicy");
            return this;
        }

        /**
         * Names the exceptions that {@link Idempotency#once} stores as final outcomes and
         * rethrows on every replay; all others release the key. Default {@link ExceptionCodec#NONE}.
         *
         * @param codec which exceptions are stored, and how
         * @return this builder
         */
        public Builder exceptionCodec(ExceptionCodec codec) {
            this.exceptionCodec = Objects.requireNonNull(codec, "exceptionCodec");
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public CallOptions build() {
            return new CallOptions(ttl, leaseDuration, waitPolicy, outcomePolicy, exceptionCodec);
        }
    }
}
