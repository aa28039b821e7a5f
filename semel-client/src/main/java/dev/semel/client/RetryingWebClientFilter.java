package dev.semel.client;

import java.util.List;
import java.util.Objects;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Retries the requests of a Spring {@code WebClient} safely, without blocking: one
 * idempotency key per call, sent on every attempt, with the {@link RetryPolicy}'s backoff,
 * {@code Retry-After} handling and deadline. The reactive twin of
 * {@link RetryingRestClientInterceptor}; needs {@code spring-webflux} on the class path (an
 * optional dependency of this module).
 *
 * <pre>{@code
 * WebClient payments = WebClient.builder()
 *         .baseUrl("https://api.example.com")
 *         .filter(new RetryingWebClientFilter(RetryPolicy.ofDefaults()))
 *         .build();
 * Mono<ResponseEntity<Receipt>> receipt = payments.post().uri("/payments").bodyValue(order)
 *         .retrieve().toEntity(Receipt.class);
 * // RetryingWebClientFilter.replayed(entity.getHeaders()): whether an earlier attempt did the work
 * }</pre>
 *
 * <p>Keys and retries follow the other adapters: POST and PATCH get a new key (the
 * {@linkplain RetryPolicy.Builder#keyedMethods keyed methods}), a key already on the request
 * is used as is; a request is retried only with a key or when its method is idempotent. The
 * key is made when the request is subscribed to: each subscription is one logical operation.
 *
 * <p>What is retried: a retryable status, or a {@link WebClientRequestException} (the
 * request failed in the connector: connection refused, reset or closed before the response)
 * whose cause the policy's {@linkplain RetryPolicy.Builder#retryOnException exception rule}
 * accepts; the rule sees the cause. By default that is an {@link java.io.IOException}: Reactor
 * Netty's response timeout ({@code io.netty.handler.timeout.ReadTimeoutException}) is not
 * one, and is retried only if the rule says so. A failure that is not retried reaches the
 * caller as WebClient raised it; failures until attempts or time run out end in
 * {@link RetriesExhaustedException}, whose cause is the last one.
 *
 * <p>Never blocks: the waits are {@link Mono#delay(java.time.Duration, Scheduler)} on the
 * given scheduler ({@link Schedulers#parallel()} by default); the policy's {@link Sleeper} is
 * not used. A retried response's body is released before the wait, so its connection goes
 * back to the pool. The listener is called on the thread the response arrived on (an event
 * loop): it must not block.
 *
 * <p>Each attempt writes the request body again through its {@code BodyInserter}: a value
 * ({@code bodyValue}, form data, a resource) or a cold publisher ({@code Flux.just}, a
 * {@code Mono.fromCallable}) sends the same bytes every time. A publisher that can be
 * consumed only once (a hot {@code Flux}, one that reads an {@code InputStream} or a socket)
 * cannot be sent again: a retry would send an empty or different body. Buffer it first
 * ({@code bodyValue(bytes)}) for a retried request. Filters added after this one run once per
 * attempt; those added before, once per call. The deadline bounds the attempts and the waits
 * between them; the time of one attempt is bounded by the connector's response timeout.
 */
public final class RetryingWebClientFilter implements ExchangeFilterFunction {
    private final RetryPolicy policy;
    private final Scheduler scheduler;
    private final Retrier<ClientResponse> retrier;

    /**
     * A filter that waits on {@link Schedulers#parallel()}.
     *
     * @param policy when and how to retry
     */
    public RetryingWebClientFilter(RetryPolicy policy) {
        this(policy, Schedulers.parallel());
    }

    /**
     * @param policy when and how to retry
     * @param scheduler where the waits between attempts run ({@code Mono.delay}); a test passes
     *     one that controls time
     */
    public RetryingWebClientFilter(RetryPolicy policy, Scheduler scheduler) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.retrier = new Retrier<>(policy, new Retrier.Responses<>() {
            @Override
            public int status(ClientResponse response) {
                return response.statusCode().value();
            }

            @Override
            public String header(ClientResponse response, String name) {
                return response.headers().asHttpHeaders().getFirst(name);
            }

            @Override
            public void discard(ClientResponse response) {
                // not called: the filter releases a retried response in its chain (releaseBody)
            }
        });
    }

    /**
     * Whether a response was replayed by the server ({@code Idempotent-Replayed: true}).
     *
     * @param response the response, e.g. in {@code exchangeToMono}
     * @return whether the work had been done by an earlier attempt or call
     */
    public static boolean replayed(ClientResponse response) {
        return replayed(response.headers().asHttpHeaders());
    }

    /**
     * Whether a response was replayed by the server ({@code Idempotent-Replayed: true}).
     *
     * @param headers the response headers, e.g. {@code ResponseEntity.getHeaders()}
     * @return whether the work had been done by an earlier attempt or call
     */
    public static boolean replayed(HttpHeaders headers) {
        return Retrier.replayed(headers.getFirst(Retrier.REPLAYED_HEADER));
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.defer(() -> {
            List<String> supplied = request.headers().getValuesAsList(policy.headerName());
            if (supplied.size() > 1) {
                return Mono.error(new IllegalArgumentException("request carries " + supplied.size() + " "
                        + policy.headerName() + " headers; one operation has one key"));
            }
            String method = request.method().name();
            String key = supplied.isEmpty() ? policy.newKeyFor(method) : supplied.get(0);
            ClientRequest keyed = key == null || !supplied.isEmpty()
                    ? request
                    : ClientRequest.from(request).header(policy.headerName(), key).build();
            return attempt(keyed, next, retrier.start(method, request.url(), key));
        });
    }

    private Mono<ClientResponse> attempt(ClientRequest request, ExchangeFunction next,
            Retrier<ClientResponse>.Attempts attempts) {
        return next.exchange(request)
                .map(Outcome::answered)
                .onErrorResume(WebClientRequestException.class, e -> Mono.just(Outcome.failed(e)))
                .flatMap(outcome -> decide(outcome, request, next, attempts));
    }

    private Mono<ClientResponse> decide(Outcome outcome, ClientRequest request, ExchangeFunction next,
            Retrier<ClientResponse>.Attempts attempts) {
        Retrier.Step<ClientResponse> step;
        try {
            step = attempts.next(outcome.response(), outcome.failure());
        } catch (RuntimeException e) {
            // a listener that threw: the response is not returned, so free its connection
            return release(outcome.response()).then(Mono.error(e));
        }
        if (step instanceof Retrier.Step.Retry<ClientResponse> retry) {
            return release(outcome.response())
                    .then(Mono.delay(retry.delay(), scheduler))
                    .then(Mono.defer(() -> attempt(request, next, attempts)));
        }
        if (step instanceof Retrier.Step.Done<ClientResponse> done) {
            return Mono.just(done.result().response());
        }
        Throwable error = ((Retrier.Step.Fail<ClientResponse>) step).error();
        // a failure that is not retried reaches the caller as WebClient raised it
        return Mono.error(error == outcome.failure() ? outcome.raised() : error);
    }

    private static Mono<Void> release(ClientResponse response) {
        // the connection may be broken already; the response is dropped either way
        return response == null ? Mono.empty() : response.releaseBody().onErrorResume(e -> Mono.empty());
    }

    /**
     * One attempt's outcome: a response, or the failure the policy judges (the cause of
     * WebClient's wrapper) and the error as WebClient raised it.
     */
    private record Outcome(ClientResponse response, Throwable failure, Throwable raised) {
        static Outcome answered(ClientResponse response) {
            return new Outcome(response, null, null);
        }

        static Outcome failed(WebClientRequestException e) {
            return new Outcome(null, e.getCause() != null ? e.getCause() : e, e);
        }
    }
}
