package dev.semel;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a duplicate does while the first attempt is still running: answer at once
 * ({@link #reject()}, HTTP 409 with {@code Retry-After}), or wait up to a bound for the
 * first attempt to finish and then replay its result ({@link #waitUpTo(Duration)}).
 *
 * <p>Waiting holds the duplicate's thread (and, in transactional mode, no connection:
 * the engine waits between transactions). If the bound passes, the answer is the same as
 * with {@code reject()}.
 */
public final class WaitPolicy {
    private static final WaitPolicy REJECT = new WaitPolicy(Duration.ZERO);

    private final Duration maxWait;

    private WaitPolicy(Duration maxWait) {
        this.maxWait = maxWait;
    }

    /**
     * Answer in-progress at once.
     *
     * @return the policy
     */
    public static WaitPolicy reject() {
        return REJECT;
    }

    /**
     * Wait for the first attempt up to {@code maxWait}, then replay or answer in-progress.
     *
     * @param maxWait the longest wait, positive
     * @return the policy
     */
    public static WaitPolicy waitUpTo(Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, was " + maxWait);
        }
        return new WaitPolicy(maxWait);
    }

    /**
     * Returns the longest wait.
     *
     * @return zero for {@link #reject()}
     */
    public Duration maxWait() {
        return maxWait;
    }

    /**
     * Whether this policy waits at all.
     *
     * @return {@code true} for {@link #waitUpTo(Duration)}
     */
    public boolean waits() {
        return !maxWait.isZero();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof WaitPolicy other && maxWait.equals(other.maxWait);
    }

    @Override
    public int hashCode() {
        return maxWait.hashCode();
    }

    @Override
    public String toString() {
        return waits() ? "wait up to " + maxWait : "reject";
    }
}
