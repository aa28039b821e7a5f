package dev.semel.spi;

import java.util.Objects;

/**
 * What one atomic claim found: the caller now holds the record, or it met one that exists.
 *
 * <p>Stores only report; the engine decides (replay, mismatch, in progress) so that the
 * decision rules live in one place.
 */
public sealed interface ClaimResult permits ClaimResult.Claimed, ClaimResult.Found, ClaimResult.Locked {

    /**
     * The caller holds a new lease.
     *
     * @param fencingToken the token that guards complete, release and renew
     * @param takeover {@code true} if an abandoned lease (ended, same fingerprint) was taken over
     */
    record Claimed(long fencingToken, boolean takeover) implements ClaimResult {
    }

    /**
     * A live record exists: completed, or in progress under a live lease, or in progress
     * under an ended lease with a different fingerprint (which is never taken over).
     *
     * @param record the record as the store holds it
     */
    record Found(dev.semel.spi.IdempotencyRecord record) implements ClaimResult {
        /**
         * Checks the record.
         *
         * @param record the record
         */
        public Found {
            Objects.requireNonNull(record, "record");
        }
    }

    /**
     * Another transaction holds the record and has not committed yet (transactional stores
     * only): the caller cannot see it, and waited as long as allowed.
     */
    record Locked() implements ClaimResult {
    }

    /**
     * Shorthand for {@link Found}.
     *
     * @param record the record
     * @return the result
     */
    static ClaimResult found(IdempotencyRecord record) {
        return new Found(record);
    }
}
