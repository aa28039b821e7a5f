package dev.semel.servlet;

import dev.semel.Decision;
import dev.semel.Duplicate;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.http.IdempotencyProblem;
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
     * Answers a duplicate: the stored response, 409 while another request holds the key, 422
     * for a key used with another request.
     */
    void answer(HttpServletResponse response, Duplicate duplicate, String instance, IdempotencyKey key)
            throws IOException {
        switch (duplicate.kind()) {
            case REPLAY -> replay(response, ((Decision.Replay) duplicate).response());
            case IN_PROGRESS -> {
                Duration lease = ((Decision.InProgress) duplicate).retryAfter();
                // the remaining lease (up to 30 s) would outlast most clients' deadlines
                Duration retryAfter = lease.compareTo(inProgressRetryAfter) < 0 ? lease : inProgressRetryAfter;
                ProblemWriter.write(response, IdempotencyProblem.IN_PROGRESS,
                        "A request with this idempotency key is still being processed; retry later",
                        instance, key.value(), retryAfter);
            }
            case MISMATCH -> ProblemWriter.write(response, IdempotencyProblem.KEY_REUSED,
                    "This idempotency key was already used for a different request (method, target, headers or "
                            + "body differ); use a new key for a new request",
                    instance, key.value(), null);
            case EXECUTE -> throw new IllegalArgumentException("not a duplicate: " + duplicate);
        }
    }

    /** The store failed before the request ran: 503, nothing was processed. */
    void storeUnavailable(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "Refused idempotency key '" + key + "': the store is unavailable", e);
        if (response.isCommitted()) {
            return;
        }
        ProblemWriter.write(response, IdempotencyProblem.STORE_UNAVAILABLE,
                "The idempotency store is unavailable, so the request was not processed; retry later",
                instance, key.value(), e.retryAfter().orElse(storeFailureRetryAfter));
    }

    /** The request's transaction did not commit (rollback-only, a deferred constraint, a serialization failure). */
    void commitFailed(HttpServletResponse response, String instance, IdempotencyKey key,
            IdempotencyStoreException e) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "Idempotency key '" + key + "': the transaction did not commit; "
                + "answered 503, the request's writes were rolled back", e);
        if (response.isCommitted()) {
            return;
        }
        ProblemWriter.write(response, IdempotencyProblem.COMMIT_FAILED,
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
