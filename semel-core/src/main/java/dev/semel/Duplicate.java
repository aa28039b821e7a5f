package dev.semel;

/**
 * A request whose key was seen before, answered without running the operation: it is both
 * what {@link Idempotency#begin} decided and what {@link Idempotency#execute} did, so an
 * adapter answers it the same way on either path.
 *
 * {@snippet :
 * if (outcome instanceof Duplicate duplicate) {
 *     switch (duplicate.kind()) {
 *         case REPLAY -> send(((Decision.Replay) duplicate).response());
 *         case IN_PROGRESS -> conflict(((Decision.InProgress) duplicate).retryAfter());
 *         default -> unprocessable();
 *     }
 * }
 * }
 */
public sealed interface Duplicate extends Decision, Outcome
        permits Decision.Replay, Decision.InProgress, Decision.Mismatch {
}
