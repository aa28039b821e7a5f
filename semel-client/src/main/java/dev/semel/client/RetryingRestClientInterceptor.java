package dev.semel.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Objects;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.support.HttpRequestWrapper;

/**
 * Retries the requests of a Spring {@code RestClient} (or {@code RestTemplate}) safely:
 * one idempotency key per call, sent on every attempt, with the {@link RetryPolicy}'s
 * backoff, {@code Retry-After} handling and deadline. Needs {@code spring-web} on the
 * class path (an optional dependency of this module).
 *
 * <pre>{@code
 * RestClient payments = RestClient.builder()
 *         .baseUrl("https://api.example.com")
 *         .requestInterceptor(new RetryingRestClientInterceptor(RetryPolicy.ofDefaults()))
 *         .build();
 * ResponseEntity<Receipt> receipt = payments.post().uri("/payments").body(order)
 *         .retrieve().toEntity(Receipt.class);
 * boolean replayed = RetryingRestClientInterceptor.replayed(receipt.getHeaders());
 * }</pre>
 *
 * <p>The body reaches an interceptor already buffered, so every attempt sends the same
 * bytes. Put this interceptor last if other interceptors should run once per attempt
 * (authentication that signs each request), first if they should run once per call. The
 * deadline bounds the attempts and the waits between them; the time of one attempt is
 * bounded by the request factory's read timeout.
 */
public final class RetryingRestClientInterceptor implements ClientHttpRequestInterceptor {
    private final RetryPolicy policy;
    private final Retrier<ClientHttpResponse> retrier;

    /**
     * @param policy when and how to retry
     */
    public RetryingRestClientInterceptor(RetryPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.retrier = new Retrier<>(policy, new Retrier.Responses<>() {
            @Override
            public int status(ClientHttpResponse response) {
                try {
                    return response.getStatusCode().value();
                } catch (IOException e) {
                    throw new IllegalStateException("no status on a received response", e);
                }
            }

            @Override
            public String header(ClientHttpResponse response, String name) {
                return response.getHeaders().getFirst(name);
            }

            @Override
            public void discard(ClientHttpResponse response) {
                response.close();
            }
        });
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
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        List<String> supplied = request.getHeaders().getValuesAsList(policy.headerName());
        if (supplied.size() > 1) {
            throw new IllegalArgumentException("request carries " + supplied.size() + " " + policy.headerName()
                    + " headers; one operation has one key");
        }
        String method = request.getMethod().name();
        String key = supplied.isEmpty() ? policy.newKeyFor(method) : supplied.get(0);
        HttpRequest keyed = key == null || !supplied.isEmpty() ? request : withKey(request, key);
        try {
            return retrier.run(method, request.getURI(), key, timeLeft -> execution.execute(keyed, body)).response();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted between attempts");
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    private HttpRequest withKey(HttpRequest request, String key) {
        HttpHeaders headers = HttpHeaders.copyOf(request.getHeaders());
        headers.set(policy.headerName(), key);
        return new HttpRequestWrapper(request) {
            @Override
            public HttpHeaders getHeaders() {
                return headers;
            }
        };
    }
}
