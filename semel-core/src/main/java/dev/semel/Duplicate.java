package dev.semel;

/**
 * A request whose key was seen before, answered without running the operation: it is both
 * what {@link Idempotency#begin} decided and what {@link Idempotency#execute} did, so an
 * adapter answers it the same way on either path.
 *
 * <pre>{@code
 * if (outcome instanceof Decision.Replay replay) {
 *     send(replay.response());
 * } else if (outcome instanceof Decision.InProgress inProgress) {
 *     conflict(inProgress.retryAfter());
 * } else if (outcome instanceof Duplicate) {
 *     unprocessable(); // Decision.Mismatch
 * }
 * }</pre>
 */
public sealed interface Duplicate extends Decision, Outcome
        permits Decision.Replay, Decision.InProgress, Decision.Mismatch {
}
