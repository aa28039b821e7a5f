package dev.semel.spi;

import java.util.EnumSet;
import java.util.Set;

/**
 * The two states of an idempotency record and every legal move between them.
 *
 * <pre>
 * (absent) --claim--&gt; IN_PROGRESS --complete--&gt; COMPLETED --expire--&gt; (absent)
 *                       |   ^  |
 *                       |   |  +--release / lease expiry--&gt; (absent)
 *                       +---+ takeover after lease expiry (fencing token + 1)
 * </pre>
 */
public enum RecordState {
    /** Claimed by a lease holder (owner, lease deadline, fencing token); no result yet. */
    IN_PROGRESS,
    /** Holds the stored response until it expires. */
    COMPLETED;

    /**
     * The states a record in this state may move to (absence is not a state).
     *
     * @return the legal next states
     */
    public Set<RecordState> next() {
        return this == IN_PROGRESS ? EnumSet.of(IN_PROGRESS, COMPLETED) : EnumSet.noneOf(RecordState.class);
    }

    /**
     * Whether a record may move from this state to another.
     *
     * @param target the state to move to
     * @return {@code true} if the transition is legal
     */
    public boolean canMoveTo(RecordState target) {
        return next().contains(target);
    }
}
