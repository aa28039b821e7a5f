package dev.semel.gateway;

import dev.semel.http.IdempotencyProblem;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * What an error of the proxied exchange says about the upstream, and the 502 or 504 problem a
 * client gets for it instead of the gateway's 500.
 *
 * <p>Reactor Netty tells the two apart only by the error's type, which is enough for the
 * question that matters, "may the upstream have acted?": an error before the connection was
 * there (refused, connect timeout, unknown host, no route, a failed TLS handshake, no pooled
 * connection in time) means the request was never written, so the upstream did nothing; a
 * broken connection once it was there (closed or reset before or during the response, a read
 * or response timeout) means the request may have been read, and acted on.
 */
final class UpstreamFailures {
    /** {@code Retry-After} of the 502 for an upstream that was never reached. */
    static final Duration UNREACHABLE_RETRY_AFTER = Duration.ofSeconds(1);

    /** Reactor Netty's and its pool's errors for "no connection in time", by name: nothing was sent. */
    private static final Set<String> NOT_SENT_NAMES = Set.of(
            "reactor.netty.internal.shaded.reactor.pool.PoolAcquireTimeoutException",
            "reactor.netty.internal.shaded.reactor.pool.PoolAcquirePendingLimitException",
            "reactor.pool.PoolAcquireTimeoutException",
            "reactor.pool.PoolAcquirePendingLimitException");
    /** Netty's and Reactor Netty's errors of a connection that broke while in use, by name. */
    private static final Set<String> SENT_NAMES = Set.of(
            "reactor.netty.channel.AbortedException",
            "io.netty.handler.timeout.ReadTimeoutException",
            "io.netty.handler.timeout.WriteTimeoutException");

    private UpstreamFailures() {
    }

    /** What an error says about the upstream. */
    enum Kind {
        /** The request never reached the upstream: it did nothing. */
        NOT_SENT,
        /** The request was (or may have been) sent, and no complete response came back: it may have acted. */
        SENT,
        /** Not an error of the upstream's connection (a bug, another filter's refusal): left as it is. */
        OTHER
    }

    /** The first error in the cause chain that says something about the upstream decides. */
    static Kind classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException || t instanceof UnresolvedAddressException
                    || t instanceof SSLHandshakeException || NOT_SENT_NAMES.contains(t.getClass().getName())) {
                return Kind.NOT_SENT;
            }
            if (t instanceof IOException || t instanceof TimeoutException
                    || t instanceof org.springframework.cloud.gateway.support.TimeoutException // response timeout
                    || SENT_NAMES.contains(t.getClass().getName())) {
                return Kind.SENT;
            }
        }
        return Kind.OTHER;
    }

    /**
     * Whether the error is the route's response timeout (or a read timeout): the upstream was
     * sent the request and did not answer in time, a 504 rather than a 502, as Spring Cloud
     * Gateway answers it without this filter.
     */
    static boolean timedOut(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof org.springframework.cloud.gateway.support.TimeoutException
                    || t.getClass().getName().equals("io.netty.handler.timeout.ReadTimeoutException")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the problem in place of whatever the upstream's response had set: its status and
     * headers are replaced by the ones the response had before the upstream was called.
     *
     * @param key the request's idempotency key, named in the problem; {@code null} for none
     */
    static Mono<Void> write(ServerHttpResponse response, ServerWebExchange exchange, HttpHeaders before,
            IdempotencyProblem problem, String detail, String key, Duration retryAfter) {
        byte[] body = problem.toJson(detail, exchange.getRequest().getPath().value(), key);
        HttpHeaders headers = response.getHeaders();
        headers.clear();
        headers.putAll(before);
        response.setStatusCode(HttpStatusCode.valueOf(problem.status()));
        headers.set(HttpHeaders.CONTENT_TYPE, IdempotencyProblem.MEDIA_TYPE);
        if (retryAfter != null) {
            headers.set(HttpHeaders.RETRY_AFTER, IdempotencyProblem.retryAfterSeconds(retryAfter));
        }
        headers.setContentLength(body.length);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }
}
