package dev.semel;

/**
 * The recent share of claims that found a completed record (replays and mismatches), which
 * decides whether a transactional store is read before its transaction. The read answers a
 * replay with one lock-free statement instead of a transaction, but costs a new key one more
 * round trip: measured on PostgreSQL (semel-benchmarks/RESULTS.md), a replay through the read
 * costs about 0.57 of one through the transaction and a new key about 1.08 of one without the
 * read, so the read pays once about half the requests are replays. Most traffic retries far
 * less, and then the read is skipped; a retry storm turns it on within a few dozen requests.
 *
 * <p>An exponentially weighted average over about the last 64 claims, in fixed point. Updates
 * race without a lock: a lost update shifts a heuristic by one sample, never a decision's
 * correctness (without the read, the claim in the transaction answers the replay as well).
 */
final class ReplayShare {
    private static final int ONE = 1 << 16;
    /** Read first from this share of completed records on. */
    private static final int READ_FIRST_FROM = ONE / 2;
    private static final int WEIGHT_SHIFT = 6; // each claim weighs 1/64

    /** Starts as if every claim were a replay: the first claims read, then the share settles. */
    private volatile int share = ONE;

    /** Whether the next claim of a transactional store should be preceded by a read. */
    boolean readFirst() {
        return share >= READ_FIRST_FROM;
    }

    /** Counts one claim's outcome: whether it found a completed record. */
    void record(boolean completed) {
        int current = share;
        share = current + (((completed ? ONE : 0) - current) >> WEIGHT_SHIFT);
    }
}
