package dev.semel.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Where idempotency records live: a narrow set of operations, each one atomic.
 *
 * <p>No check-then-set anywhere: {@link #claim} decides in one step whether the caller
 * gets the record, and {@link #complete}, {@link #release} and {@link #renew} succeed
 * only while the caller's fencing token is still the record's. A record whose
 * {@code expiresAt} has passed does not exist for any operation, purged or not.
 *
 * <p>Implementations throw {@link dev.semel.IdempotencyStoreException} when the
 * underlying storage fails. Every implementation should pass {@code semel-store-tck}.
 *
 * <p><b>Time.</b> Every call carries the caller's {@code now}. A store shared by several
 * processes should judge leases and expiry by <em>its own</em> clock, not by each caller's
 * (a node whose clock runs 20 s ahead would otherwise take over live leases and purge live
 * records): such a store {@linkplain #usesOwnClock() says so} and interprets
 * {@code leaseDeadline - now} and {@code expiresAt - now} as durations on its own clock,
 * compares with its own now wherever the contract says {@code now}, and returns records whose
 * instants are on its clock. {@link StoreClock} does the arithmetic.
 *
 * <p><b>Asynchronous path.</b> Non-blocking adapters (the WebFlux filter) call
 * {@link #claimAsync}, {@link #completeAsync}, {@link #releaseAsync} and
 * {@link #awaitChangeAsync}, which must never block the calling thread. By default they run the
 * blocking method on the engine's bounded store executor; a store whose client is asynchronous
 * (Lettuce for Redis) answers them natively, with no thread hop. Both paths have the same
 * contract, and {@code semel-store-tck} checks both.
 */
public interface IdempotencyStore {

    /**
     * Claims a record atomically.
     *
     * <ul>
     *   <li>No live record: create it {@code IN_PROGRESS} with {@code freshToken}, answer
     *       {@link ClaimResult.Claimed} ({@code takeover=false}).
     *   <li>{@code IN_PROGRESS} whose lease ended, same fingerprint: take it over with
     *       token + 1, the new owner and deadline, answer {@code Claimed(takeover=true)}.
     *   <li>Otherwise answer {@link ClaimResult.Found} with the record.
     * </ul>
     *
     * @param request what to claim
     * @return the result
     */
    ClaimResult claim(ClaimRequest request);

    /**
     * Stores the response and marks the record {@code COMPLETED}, if it is still in
     * progress under {@code fencingToken}.
     *
     * @param recordId the record
     * @param fencingToken the caller's token
     * @param response the response to keep
     * @param expiresAt when the completed record stops existing
     * @param now the current time
     * @return {@code false} if the caller no longer holds the record
     */
    boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt, Instant now);

    /**
     * Removes an in-progress record held under {@code fencingToken}, so the key can be
     * used again.
     *
     * @param recordId the record
     * @param fencingToken the caller's token
     * @return {@code false} if the caller no longer holds the record
     */
    boolean release(String recordId, long fencingToken);

    /**
     * Moves the lease deadline of an in-progress record held under {@code fencingToken}.
     *
     * @param recordId the record
     * @param fencingToken the caller's token
     * @param leaseDeadline the new deadline
     * @param now the current time
     * @return {@code false} if the caller no longer holds the record
     */
    boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now);

    /**
     * Reads a record without taking any lock.
     *
     * @param recordId the record
     * @param now the current time
     * @return the record, or empty if absent or expired
     */
    Optional<IdempotencyRecord> find(String recordId, Instant now);

    /**
     * Lists unexpired records for admin tools, newest first, bounded by the query's limit.
     *
     * @param query the filters and limit
     * @param now the current time
     * @return the matching records
     */
    List<IdempotencyRecord> query(RecordQuery query, Instant now);

    /**
     * Deletes a record whatever its state (admin: unblock a stuck key).
     *
     * @param recordId the record
     * @return {@code true} if a record was deleted
     */
    boolean delete(String recordId);

    /**
     * Deletes at most {@code limit} records that no longer exist for callers: expired
     * ones, and in-progress ones whose lease ended. Call repeatedly until it returns
     * less than {@code limit}; each call is short so that it never blocks claims for long.
     *
     * @param now the current time
     * @param limit the most records to delete in this call
     * @return how many records were deleted
     */
    int purgeExpired(Instant now, int limit);

    /**
     * Whether the store judges time by its own clock (see the class comment) rather than by the
     * {@code now} each caller passes. Default {@code false}: a store inside one process.
     *
     * @return {@code true} if leases and expiry are judged by the store's clock
     */
    default boolean usesOwnClock() {
        return false;
    }

    /**
     * Waits until the record may have changed (completed or released) or the timeout
     * passes, whichever is first. Used by the engine's wait policy between claims.
     *
     * <p>The default sleeps for the whole timeout; stores that can be notified (a monitor,
     * Redis pub/sub) return as soon as the record changes.
     *
     * @param recordId the record
     * @param timeout the longest wait
     * @throws InterruptedException if the thread was interrupted
     */
    default void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        Thread.sleep(Math.max(1, timeout.toMillis()));
    }

    /**
     * {@link #claim} without blocking the caller. The default runs {@code claim} on
     * {@code blocking}; a store with an asynchronous client overrides this.
     *
     * @param request what to claim
     * @param blocking where a blocking call may run (the engine's bounded store executor)
     * @return the result, or a stage failed with what {@code claim} would throw
     */
    default CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        return CompletableFuture.supplyAsync(() -> claim(request), blocking);
    }

    /**
     * {@link #complete} without blocking the caller. The default runs {@code complete} on
     * {@code blocking}.
     *
     * @param recordId the record
     * @param fencingToken the caller's token
     * @param response the response to keep
     * @param expiresAt when the completed record stops existing
     * @param now the current time
     * @param blocking where a blocking call may run
     * @return {@code false} if the caller no longer holds the record
     */
    default CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        return CompletableFuture.supplyAsync(() -> complete(recordId, fencingToken, response, expiresAt, now),
                blocking);
    }

    /**
     * {@link #release} without blocking the caller. The default runs {@code release} on
     * {@code blocking}.
     *
     * @param recordId the record
     * @param fencingToken the caller's token
     * @param blocking where a blocking call may run
     * @return {@code false} if the caller no longer holds the record
     */
    default CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        return CompletableFuture.supplyAsync(() -> release(recordId, fencingToken), blocking);
    }

    /**
     * {@link #awaitChange} without blocking the caller: completes when the record may have
     * changed or the timeout passed. The default completes after the timeout, holding no
     * thread meanwhile (the engine then claims again); a store that can be notified completes
     * it earlier.
     *
     * @param recordId the record
     * @param timeout the longest wait
     * @return a stage that completes (never exceptionally) when the wait ends
     */
    default CompletionStage<Void> awaitChangeAsync(String recordId, Duration timeout) {
        return CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS,
                        Runnable::run));
    }
}
