package dev.semel.webflux;

import dev.semel.Decision;
import dev.semel.Duplicate;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.http.IdempotencyProblem;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Answers a request that the engine did not let run: a duplicate gets the stored response
 * again ({@code Idempotent-Replayed: true}), 409 with {@code Retry-After} while the first
 * request still runs, or 422 for a key reused with another request; a request the store
 * could not serve gets a 503 problem with {@code Retry-After}.
 */
final class DuplicateAnswers {
    private static final System.Logger LOG = System.getLogger(IdempotencyWebFilter.class.getName());

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
    Mono<Void> answer(ServerWebExchange exchange, Duplicate duplicate, IdempotencyKey key) {
        return switch (duplicate.kind()) {
            case REPLAY -> replay(exchange.getResponse(), ((Decision.Replay) duplicate).response());
            case IN_PROGRESS -> {
                Duration lease = ((Decision.InProgress) duplicate).retryAfter();
                // the remaining lease (up to 30 s) would outlast most clients' deadlines
                Duration retryAfter = lease.compareTo(inProgressRetryAfter) < 0 ? lease : inProgressRetryAfter;
                yield Problems.write(exchange, IdempotencyProblem.IN_PROGRESS,
                        "A request with this idempotency key is still being processed; retry later", key, retryAfter);
            }
            case MISMATCH -> Problems.write(exchange, IdempotencyProblem.KEY_REUSED,
                    "This idempotency key was already used for a different request (method, target, headers or "
                            + "body differ); use a new key for a new request", key, null);
            case EXECUTE -> Mono.error(new IllegalArgumentException("not a duplicate: " + duplicate));
        };
    }

    /** The store failed before the request ran: 503, nothing was processed. */
    Mono<Void> storeUnavailable(ServerWebExchange exchange, IdempotencyKey key, IdempotencyStoreException e) {
        LOG.log(System.Logger.Level.WARNING, "Refused idempotency key '" + key + "': the store is unavailable", e);
        if (exchange.getResponse().isCommitted()) {
            return Mono.empty();
        }
        return Problems.write(exchange, IdempotencyProblem.STORE_UNAVAILABLE,
                "The idempotency store is unavailable, so the request was not processed; retry later", key,
                e.retryAfter().orElse(storeFailureRetryAfter));
    }

    /** Writes the stored response again, as the first client got it, marked as replayed. */
    static Mono<Void> replay(ServerHttpResponse response, StoredResponse stored) {
        response.setStatusCode(HttpStatusCode.valueOf(stored.status()));
        HttpHeaders headers = response.getHeaders();
        for (StoredResponse.Header h : StoredResponses.replayedHeaders(stored)) {
            headers.add(h.name(), h.value());
        }
        headers.set(IdempotencyWebFilter.REPLAYED_HEADER, "true");
        if (!stored.bodyRetained()) {
            headers.set(IdempotencyWebFilter.BODY_RETAINED_HEADER, "false");
            headers.setContentLength(0);
            return response.setComplete();
        }
        headers.setContentLength(stored.bodyLength());
        if (stored.bodyLength() == 0) {
            return response.setComplete();
        }
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(stored.body())));
    }
}
