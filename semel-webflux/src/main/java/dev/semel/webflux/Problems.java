package dev.semel.webflux;

import dev.semel.IdempotencyKey;
import dev.semel.http.IdempotencyProblem;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Writes an {@link IdempotencyProblem} as the response, in place of the application's answer. */
final class Problems {
    private Problems() {
    }

    /**
     * Writes the problem: status, {@code Content-Type}, optional {@code Retry-After}, the body;
     * {@code instance} is the request path.
     *
     * @param key the idempotency key, or {@code null} when it was missing or malformed
     * @param retryAfter when to retry, or {@code null}
     */
    static Mono<Void> write(ServerWebExchange exchange, IdempotencyProblem problem, String detail,
            IdempotencyKey key, Duration retryAfter) {
        byte[] body = problem.toJson(detail, exchange.getRequest().getPath().value(),
                key == null ? null : key.value());
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatusCode.valueOf(problem.status()));
        HttpHeaders headers = response.getHeaders();
        headers.set(HttpHeaders.CONTENT_TYPE, IdempotencyProblem.MEDIA_TYPE);
        if (retryAfter != null) {
            headers.set(HttpHeaders.RETRY_AFTER, IdempotencyProblem.retryAfterSeconds(retryAfter));
        }
        headers.setContentLength(body.length);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }
}
