package dev.semel.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * Sends requests through a {@link HttpClient} and retries them safely: one idempotency
 * key per logical operation, sent on every attempt; retries only of outcomes a retry can
 * change; backoff with full jitter, {@code Retry-After}, a total deadline (see
 * {@link RetryPolicy}).
 *
 * <pre>{@code
 * RetryingHttpClient client = RetryingHttpClient.builder(HttpClient.newHttpClient())
 *         .retryPolicy(RetryPolicy.custom().maxAttempts(5).build())
 *         .build();
 * RetriedResponse<String> response = client.send(
 *         HttpRequest.newBuilder(URI.create("https://api.example.com/payments"))
 *                 .header("Content-Type", "application/json")
 *                 .POST(BodyPublishers.ofString("{\"amount\":1000}"))
 *                 .build(),
 *         BodyHandlers.ofString());
 * response.replayed();        // true when an earlier attempt had already done the work
 * response.idempotencyKey();  // the key all attempts carried
 * }</pre>
 *
 * <p>A caller who wants to retry later, after this client gave up, sets the key itself
 * ({@code .header("Idempotency-Key", orderId)}): a key already on the request is used as
 * is and makes the request retryable whatever its method.
 *
 * <p>The request body is read once, before the first attempt, and every attempt sends
 * those bytes. Thread-safe when its policy's listener, sleeper and random are.
 */
public final class RetryingHttpClient {
    private final HttpClient client;
    private final RetryPolicy policy;
    private final Retrier<HttpResponse<?>> retrier;

    private RetryingHttpClient(HttpClient client, RetryPolicy policy) {
        this.client = client;
        this.policy = policy;
        this.retrier = new Retrier<>(policy, new Retrier.Responses<>() {
            @Override
            public int status(HttpResponse<?> response) {
                return response.statusCode();
            }

            @Override
            public String header(HttpResponse<?> response, String name) {
                return response.headers().firstValue(name).orElse(null);
            }

            @Override
            public void discard(HttpResponse<?> response) {
                // a streaming body (BodyHandlers.ofInputStream()) holds the connection until closed
                if (response.body() instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception ignored) {
                        // the response is dropped anyway
                    }
                }
            }
        });
    }

    /**
     * A client with {@link RetryPolicy#ofDefaults()}.
     *
     * @param client the client that sends each attempt
     * @return the retrying client
     */
    public static RetryingHttpClient of(HttpClient client) {
        return builder(client).build();
    }

    /**
     * @param client the client that sends each attempt
     * @return a builder
     */
    public static Builder builder(HttpClient client) {
        return new Builder(client);
    }

    /** @return the client that sends each attempt */
    public HttpClient httpClient() {
        return client;
    }

    /** @return the policy */
    public RetryPolicy retryPolicy() {
        return policy;
    }

    /**
     * Sends one logical operation, retrying it as the policy allows, and returns the final
     * response: a success, a final answer (e.g. 422), or the last retryable response when
     * attempts or time ran out.
     *
     * @param request the request; its key header, if set, is used as the key
     * @param handler how each attempt's body is read
     * @param <T> the body type
     * @return the final response
     * @throws RetriesExhaustedException when every attempt failed with a retryable exception
     * @throws IOException when an attempt failed with an exception that is not retried
     * @throws InterruptedException when interrupted while sending or waiting
     * @throws IllegalArgumentException when the request carries more than one key
     */
    public <T> RetriedResponse<T> send(HttpRequest request, BodyHandler<T> handler)
            throws IOException, InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        List<String> supplied = request.headers().allValues(policy.headerName());
        if (supplied.size() > 1) {
            throw new IllegalArgumentException("request carries " + supplied.size() + " " + policy.headerName()
                    + " headers; one operation has one key");
        }
        String key = supplied.isEmpty() ? policy.newKeyFor(request.method()) : supplied.get(0);
        BodyPublisher body = bufferOnce(request);
        Retrier.Result<HttpResponse<?>> result = retrier.run(request.method(), request.uri(), key,
                timeLeft -> client.send(attemptOf(request, key, body, timeLeft), handler));
        @SuppressWarnings("unchecked") // each attempt used the caller's handler
        HttpResponse<T> response = (HttpResponse<T>) result.response();
        return new RetriedResponse<>(response, result.attempts(), key, result.replayed());
    }

    private HttpRequest attemptOf(HttpRequest request, String key, BodyPublisher body, Duration timeLeft) {
        HttpRequest.Builder attempt = HttpRequest.newBuilder(request, (name, value) -> true)
                .method(request.method(), body)
                .timeout(request.timeout().filter(t -> t.compareTo(timeLeft) < 0).orElse(timeLeft));
        if (key != null && request.headers().firstValue(policy.headerName()).isEmpty()) {
            attempt.header(policy.headerName(), key);
        }
        return attempt.build();
    }

    /** Reads the body once so every attempt sends the same bytes, whatever the publisher. */
    private static BodyPublisher bufferOnce(HttpRequest request) throws IOException, InterruptedException {
        BodyPublisher original = request.bodyPublisher().orElse(null);
        if (original == null || original.contentLength() == 0) {
            return BodyPublishers.noBody();
        }
        CompletableFuture<byte[]> bytes = new CompletableFuture<>();
        original.subscribe(new Flow.Subscriber<ByteBuffer>() {
            private final ByteArrayOutputStream out = new ByteArrayOutputStream();

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                out.write(chunk, 0, chunk.length);
            }

            @Override
            public void onError(Throwable throwable) {
                bytes.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                bytes.complete(out.toByteArray());
            }
        });
        try {
            return BodyPublishers.ofByteArray(bytes.get());
        } catch (ExecutionException e) {
            throw new IOException("could not read the request body", e.getCause());
        }
    }

    /** Builds a {@link RetryingHttpClient}. */
    public static final class Builder {
        private final HttpClient client;
        private RetryPolicy policy = RetryPolicy.ofDefaults();

        private Builder(HttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /**
         * @param policy when and how to retry ({@link RetryPolicy#ofDefaults()})
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** @return the client */
        public RetryingHttpClient build() {
            return new RetryingHttpClient(client, policy);
        }
    }
}
