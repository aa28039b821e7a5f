package dev.semel.spring;

import dev.semel.CallOptions;
import dev.semel.OutcomePolicy;
import dev.semel.WaitPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One named policy of {@code semel.policies.<name>}, resolved: every setting holds the value that
 * applies, taken from the policy itself, else from the policy named {@code default}, else from the
 * top-level property ({@code semel.ttl}, {@code semel.lease}, {@code semel.in-progress.*},
 * {@code semel.stored-outcomes}), else the library's default.
 *
 * <p>Read it from the {@link SemelPolicies} bean, e.g. to run your own engine call under a policy:
 *
 * <pre>{@code
 * CallOptions options = policies.get("refunds").callOptions();
 * idempotency.once(scope, key, payload, codec, options, () -> refunds.issue(command));
 * }</pre>
 */
public final class SemelPolicy {
    private final String name;
    private final Duration ttl;
    private final Duration lease;
    private final SemelProperties.InProgressPolicy inProgress;
    private final Duration maxWait;
    private final List<String> storedOutcomes;
    private final OutcomePolicy outcomePolicy;
    private final List<String> pathPatterns;
    private final Overrides overrides;

    SemelPolicy(String name, Duration ttl, Duration lease, SemelProperties.InProgressPolicy inProgress,
            Duration maxWait, List<String> storedOutcomes, OutcomePolicy outcomePolicy, List<String> pathPatterns,
            Overrides overrides) {
        this.name = Objects.requireNonNull(name, "name");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.lease = Objects.requireNonNull(lease, "lease");
        this.inProgress = Objects.requireNonNull(inProgress, "inProgress");
        this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
        this.storedOutcomes = List.copyOf(storedOutcomes);
        this.outcomePolicy = Objects.requireNonNull(outcomePolicy, "outcomePolicy");
        this.pathPatterns = List.copyOf(pathPatterns);
        this.overrides = Objects.requireNonNull(overrides, "overrides");
    }

    /** Which settings a policy applies over the engine's configuration. */
    record Overrides(boolean ttl, boolean lease, boolean inProgress, boolean storedOutcomes) {
        static final Overrides NONE = new Overrides(false, false, false, false);
    }

    /** @return the policy's name, as in {@code semel.policies.<name>} */
    public String name() {
        return name;
    }

    /** @return how long a completed response or result is kept and replayed */
    public Duration ttl() {
        return ttl;
    }

    /** @return how long a running request holds its key without renewal */
    public Duration lease() {
        return lease;
    }

    /** @return what a duplicate gets while the first request still runs */
    public SemelProperties.InProgressPolicy inProgress() {
        return inProgress;
    }

    /** @return the longest a duplicate waits under the wait policy (and under {@code @Idempotent(inProgress = WAIT)}) */
    public Duration maxWait() {
        return maxWait;
    }

    /** @return the stored-outcomes entries that apply ({@code final}, {@code 5xx}, {@code !404}...) */
    public List<String> storedOutcomes() {
        return storedOutcomes;
    }

    /** @return the engine's in-progress policy for {@link #inProgress()} and {@link #maxWait()} */
    public WaitPolicy waitPolicy() {
        return inProgress == SemelProperties.InProgressPolicy.WAIT ? WaitPolicy.waitUpTo(maxWait)
                : WaitPolicy.reject();
    }

    /** @return the engine's outcome policy for {@link #storedOutcomes()} */
    public OutcomePolicy outcomePolicy() {
        return outcomePolicy;
    }

    /** @return the paths this policy protects ({@code semel.policies.<name>.path-patterns}); often none */
    public List<String> pathPatterns() {
        return pathPatterns;
    }

    /**
     * The per-call overrides that give an engine call this policy's settings. They hold only what
     * differs from the engine's configuration, which Semel builds from the {@code default} policy
     * and the top-level properties: an {@code IdempotencyConfig} bean or
     * {@code IdempotencyConfigCustomizer} of yours still decides every setting the policy leaves unset.
     *
     * @return a builder holding this policy's overrides, to add more (an exception codec, a TTL)
     */
    public CallOptions.Builder callOptionsBuilder() {
        CallOptions.Builder builder = CallOptions.custom();
        if (overrides.ttl()) {
            builder.ttl(ttl);
        }
        if (overrides.lease()) {
            builder.leaseDuration(lease);
        }
        if (overrides.inProgress()) {
            builder.waitPolicy(waitPolicy());
        }
        if (overrides.storedOutcomes()) {
            builder.outcomePolicy(outcomePolicy);
        }
        return builder;
    }

    /**
     * The per-call overrides that give an engine call this policy's settings (see
     * {@link #callOptionsBuilder()}).
     *
     * @return the overrides
     */
    public CallOptions callOptions() {
        return callOptionsBuilder().build();
    }

    @Override
    public String toString() {
        return "SemelPolicy[" + name + ": ttl=" + ttl + ", lease=" + lease + ", in-progress=" + inProgress
                + ", max-wait=" + maxWait + ", stored-outcomes=" + storedOutcomes + ", path-patterns=" + pathPatterns
                + "]";
    }
}
