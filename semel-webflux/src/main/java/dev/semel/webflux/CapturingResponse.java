package dev.semel.webflux;

import dev.semel.Lease;
import dev.semel.LeaseLostException;
import dev.semel.spi.StoredResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The response of a request that runs under a lease. The application's body is held, whole,
 * until its record is stored (or its key released, as the outcome policy says), and only then
 * handed to the server: nothing reaches the client before the record is durable, so a client
 * retrying the moment it has the answer gets the replay, never a 409. Ends the lease exactly
 * once, whichever way the request ends:
 * <ul>
 *   <li>the application wrote its body, or completed without one: stored or released per policy;
 *   <li>the application failed (its handler or its body publisher) before that: released, since
 *       nothing was sent and a handler that fails is a request that did not happen;
 *   <li>the request was cancelled (the client went away) before that: released.
 * </ul>
 * A response whose record cannot be stored (the store failed, the lease was taken over) is
 * still sent: the effect happened, and the client gets its answer; the failure is logged.
 */
final class CapturingResponse extends ServerHttpResponseDecorator {
    private static final System.Logger LOG = System.getLogger(IdempotencyWebFilter.class.getName());
    private static final byte[] EMPTY = new byte[0];

    private final EngineCalls calls;
    private final Lease lease;
    private final List<StoredResponse.Header> before;
    private final Set<String> excluded;
    private final int maxCapturedBodyBytes;
    private final AtomicBoolean ended = new AtomicBoolean();

    CapturingResponse(ServerHttpResponse delegate, EngineCalls calls, Lease lease, Set<String> excluded,
            int maxCapturedBodyBytes) {
        super(delegate);
        this.calls = calls;
        this.lease = lease;
        this.before = headersOf(delegate.getHeaders());
        this.excluded = excluded;
        this.maxCapturedBodyBytes = maxCapturedBodyBytes;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        return DataBufferUtils.join(Flux.from(body))
                .map(CapturingResponse::bytesOf)
                .defaultIfEmpty(EMPTY)
                .flatMap(bytes -> end(bytes).then(Mono.defer(() -> send(bytes))));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
        return writeWith(Flux.from(body).concatMap(Flux::from));
    }

    @Override
    public Mono<Void> setComplete() {
        return end(EMPTY).then(Mono.defer(() -> getDelegate().setComplete()));
    }

    /** The chain completed: a response without a body, if the application wrote none, is stored now. */
    Mono<Void> chainCompleted() {
        return end(EMPTY);
    }

    /** The application failed before its response was stored: the key is released, the failure goes on. */
    Mono<Void> failed(Throwable failure) {
        if (!ended.compareAndSet(false, true)) {
            return Mono.empty();
        }
        return calls.releaseAfterFailure(lease, failure);
    }

    /** The request was cancelled (the client went away) before its response was stored: released. */
    void cancelled() {
        if (ended.compareAndSet(false, true)) {
            calls.releaseAfterFailure(lease, new CancellationException("the request was cancelled")).subscribe();
        }
    }

    private Mono<Void> send(byte[] bytes) {
        ServerHttpResponse delegate = getDelegate();
        if (!delegate.getHeaders().containsHeader(HttpHeaders.CONTENT_LENGTH)
                && !delegate.getHeaders().containsHeader(HttpHeaders.TRANSFER_ENCODING)) {
            delegate.getHeaders().setContentLength(bytes.length);
        }
        return delegate.writeWith(Mono.fromSupplier(() -> delegate.bufferFactory().wrap(bytes)));
    }

    /** Stores the response (or releases the key, per policy), once; a failure to store is logged. */
    private Mono<Void> end(byte[] body) {
        if (!ended.compareAndSet(false, true)) {
            return Mono.empty();
        }
        StoredResponse response = snapshot(body);
        return calls.finish(lease, response)
                .onErrorResume(LeaseLostException.class, e -> {
                    LOG.log(System.Logger.Level.WARNING, "The response to idempotency key '" + lease.key()
                            + "' is sent but not stored: the lease was taken over while the request ran (raise the "
                            + "lease duration?)", e);
                    return Mono.empty();
                })
                .onErrorResume(RuntimeException.class, e -> {
                    LOG.log(System.Logger.Level.ERROR, "The response to idempotency key '" + lease.key()
                            + "' is sent but could not be stored; a retry after the lease ends runs the request again",
                            e);
                    return Mono.empty();
                })
                .then();
    }

    /** What the application produced, as it is stored: status, its own headers, the body within the limit. */
    private StoredResponse snapshot(byte[] body) {
        HttpStatusCode status = getDelegate().getStatusCode();
        List<StoredResponse.Header> remaining = new ArrayList<>(before);
        List<StoredResponse.Header> headers = new ArrayList<>();
        HttpHeaders all = getDelegate().getHeaders();
        String contentType = all.getFirst(HttpHeaders.CONTENT_TYPE);
        if (contentType != null) {
            headers.add(new StoredResponse.Header(HttpHeaders.CONTENT_TYPE, contentType));
        }
        Set<String> seen = new HashSet<>();
        for (String name : all.headerNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-type") || excluded.contains(lower) || !seen.add(lower)) {
                continue;
            }
            for (String value : all.getOrEmpty(name)) {
                StoredResponse.Header header = new StoredResponse.Header(name, value);
                if (!remaining.remove(header)) { // an outer filter's header: it sets it again on a replay
                    headers.add(header);
                }
            }
        }
        return StoredResponses.encode(status == null ? 200 : status.value(), headers,
                body.length > maxCapturedBodyBytes ? null : body);
    }

    /** The headers a response already has, to tell them apart from the application's. */
    private static List<StoredResponse.Header> headersOf(HttpHeaders headers) {
        List<StoredResponse.Header> list = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String name : headers.headerNames()) {
            if (seen.add(name.toLowerCase(Locale.ROOT))) {
                for (String value : headers.getOrEmpty(name)) {
                    list.add(new StoredResponse.Header(name, value));
                }
            }
        }
        return list;
    }

    private static byte[] bytesOf(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
