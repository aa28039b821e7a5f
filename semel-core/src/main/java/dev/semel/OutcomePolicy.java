package dev.semel;

import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * Which outcomes are final and therefore stored for replay; the others release the key
 * so that a retry runs the operation again.
 *
 * <p>{@link #DEFAULT}: every status below 500 except 408, 409, 425 and 429 (those say
 * "try again"). {@link #includingServerErrors()} also stores 5xx, as Stripe does.
 * Exceptions thrown by the operation always release the key.
 */
@FunctionalInterface
public interface OutcomePolicy {
    /** Store final outcomes below 500, except 408, 409, 425 and 429. */
    OutcomePolicy DEFAULT = status -> status < 500 && !isRetryableClientStatus(status);

    /**
     * Whether an outcome with this status is stored.
     *
     * @param status the HTTP status (200 for method results)
     * @return {@code true} to store and replay it
     */
    boolean shouldStore(int status);

    /**
     * Stores everything except the retryable client statuses (408, 409, 425, 429), 5xx included.
     *
     * @return the policy
     */
    static OutcomePolicy includingServerErrors() {
        return status -> !isRetryableClientStatus(status);
    }

    /**
     * A policy from a predicate.
     *
     * @param storeWhen true for statuses to store
     * @return the policy
     */
    static OutcomePolicy of(IntPredicate storeWhen) {
        Objects.requireNonNull(storeWhen, "storeWhen");
        return storeWhen::test;
    }

    /**
     * Whether a status below 500 asks the client to try again (408, 409, 425, 429).
     *
     * @param status the status
     * @return {@code true} for those four
     */
    static boolean isRetryableClientStatus(int status) {
        return status == 408 || status == 409 || status == 425 || status == 429;
    }
}
