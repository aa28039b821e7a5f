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
import java.util.function.Predicate;
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
 * retrying the moment it has the answer gets the replay, never a 409. A body that grows past
 * {@code maxCapturedBodyBytes} is held no further: the record is completed at that moment without
 * its body ("not retained": the effect happened and must never run again), and then what was
 * held and the rest are streamed to the client as the application writes them. Ends the lease
 * exactly once, whichever way the request ends:
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
        return Mono.defer(() -> {
            OverLimit overLimit = new OverLimit(maxCapturedBodyBytes);
            // within the limit, the whole body comes in one list when it ends; past it, the list of
            // what was held when the limit was crossed, then each further buffer on its own
            return Flux.<DataBuffer>from(body)
                    .bufferUntil(overLimit)
                    .doOnDiscard(DataBuffer.class, DataBufferUtils::release)
                    .switchOnFirst((first, all) -> {
                        if (!first.hasValue()) {
                            return first.isOnError() ? all.then() : end(EMPTY).then(Mono.defer(() -> send(EMPTY)));
                        }
                        if (!overLimit.crossed) {
                            byte[] bytes = bytesOf(first.get());
                            return end(bytes).then(Mono.defer(() -> send(bytes)));
                        }
                        // not one byte before the record is complete (as not retained), then the body as it comes
                        return end(null).then(Mono.defer(() -> getDelegate().writeWith(
                                all.concatMapIterable(buffers -> buffers))));
                    })
                    .then();
        });
    }

    /** Whether the body has grown past the capture limit; true for every buffer from the one that crossed it. */
    private static final class OverLimit implements Predicate<DataBuffer> {
        private final int limit;
        private long size;
        private boolean crossed;

        OverLimit(int limit) {
            this.limit = limit;
        }

        @Override
        public boolean test(DataBuffer buffer) {
            if (!crossed) {
                size += buffer.readableByteCount();
                crossed = size > limit;
            }
            return crossed;
        }
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

    /**
     * Stores the response (or releases the key, per policy), once; a failure to store is logged.
     *
     * @param body the whole body, or {@code null} for one over the capture limit (not retained)
     */
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

    /** What the application produced, as it is stored: status, its own headers, the body ({@code null}: not retained). */
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
                body == null || body.length > maxCapturedBodyBytes ? null : body);
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

    /** The bytes of the buffers, which are released. */
    private static byte[] bytesOf(List<DataBuffer> buffers) {
        int size = 0;
        for (DataBuffer buffer : buffers) {
            size += buffer.readableByteCount();
        }
        byte[] bytes = new byte[size];
        int offset = 0;
        try {
            for (DataBuffer buffer : buffers) {
                int n = buffer.readableByteCount();
                buffer.read(bytes, offset, n);
                offset += n;
            }
        } finally {
            buffers.forEach(DataBufferUtils::release);
        }
        return bytes;
    }
}
