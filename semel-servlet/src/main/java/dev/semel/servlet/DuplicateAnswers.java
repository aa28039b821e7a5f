package dev.semel.servlet;

import dev.semel.Decision;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.Outcome;
import dev.semel.spi.StoredResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;

/**
 * Answers a request that the engine did not let run: a duplicate gets the stored response
 * again ({@code Idempotent-Replayed: true}), 409 with {@code Retry-After} while the first
 * request still runs, or 422 for a key reused with another request; a request the store
 * could not serve gets a 503 problem with {@code Retry-After}.
 */
final class DuplicateAnswers {
    private static final System.Logger LOG = System.getLogger(IdempotencyFilter.class.getName());

    private final Duration inProgressRetryAfter;
    private final Duration storeFailureRetryAfter;

    DuplicateAnswers(Duration inProgressRetryAfter, Duration storeFailureRetryAfter) {
        this.inProgressRetryAfter = inProgressRetryAfter;
        this.storeFailureRetryAfter = storeFailureRetryAfter;
    }

    /**
     * Answers a duplicate.
     *
     * @param outcome a {@link Decision.Replay}, {@link Decision.InProgress} or {@link Decision.Mismatch}
     */
    void answer(HttpServletResponse response, Outcome outcome, String instance, IdempotencyKey key)
            throws IOException {
        if (outcome instanceof Decision.Replay replay) {
            replay(response, replay.response());
        } else if (outcome instanceof Decision.InProgress inProgress) {
            // the remaining lease (up to 30 s) would outlast most clients' deadlines
            Duration retryAfter = inProgress.retryAfter().compareTo(inProgressRetryAfter) < 0
                    ? inProgress.retryAfter() : inProgressRetryAfter;
            IdempotencyProblem.IN_PROGRESS.write(response,
                    "A request with this idempotency key is still being processed; retry later",
                    instance, key.value(), retryAfter);
        } else if (outcome instanceof Decision.Mismatch) {
            IdempotencyProblem.KEY_REUSED.write(response,
                    "This idempotency key was already used for a different request (method, target, headers or "
                            + "body differ); use a new key for a new request",
                    instance, key.value(), null);
        }
    }

    /** The store failed before the request ran: 503, nothing was processed. */
    void storeUnavailable(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "Refused idempotency key ''{0}'': the store is unavailable", key, e);
        if (response.isCommitted()) {
            return;
        }
        IdempotencyProblem.STORE_UNAVAILABLE.write(response,
                "The idempotency store is unavailable, so the request was not processed; retry later",
                instance, key.value(), e.retryAfter().orElse(storeFailureRetryAfter));
    }

    /** The request's transaction did not commit (rollback-only, a deferred constraint, a serialization failure). */
    void commitFailed(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "Idempotency key ''{0}'': the transaction did not commit; "
                + "answered 503, the request's writes were rolled back", key, e);
        if (response.isCommitted()) {
            return;
        }
        IdempotencyProblem.COMMIT_FAILED.write(response,
                "The request's transaction could not commit, so nothing of it was kept; retry later",
                instance, key.value(), e.retryAfter().orElse(storeFailureRetryAfter));
    }

    /** Writes the stored response again, as the first client got it, marked as replayed. */
    static void replay(HttpServletResponse response, StoredResponse stored) throws IOException {
        StoredResponseCodec.Decoded decoded = StoredResponseCodec.decode(stored);
        response.setStatus(stored.status());
        for (StoredResponse.Header h : decoded.headers()) {
            if (h.name().equalsIgnoreCase("Content-Type")) {
                response.setContentType(h.value());
            } else {
                response.addHeader(h.name(), h.value());
            }
        }
        response.setHeader(IdempotencyFilter.REPLAYED_HEADER, "true");
        if (decoded.rendering().byContainer()) {
            decoded.rendering().sendTo(response, stored.status());
            return;
        }
        if (!stored.bodyRetained()) {
            response.setHeader(IdempotencyFilter.BODY_RETAINED_HEADER, "false");
            response.setContentLength(0);
            return;
        }
        response.setContentLength(stored.bodyLength());
        if (stored.bodyLength() > 0) {
            stored.writeBodyTo(response.getOutputStream());
        }
    }
}
