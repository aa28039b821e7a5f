package dev.semel.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The final response of a logical operation sent by {@link RetryingHttpClient}: the last
 * attempt's {@link HttpResponse}, plus how it came about.
 *
 * <pre>{@code
 * RetriedResponse<String> response = client.send(request, BodyHandlers.ofString());
 * if (response.replayed()) {
 *     log.info("payment {} was already made; got its stored receipt", response.idempotencyKey().orElseThrow());
 * }
 * }</pre>
 *
 * @param <T> the body type
 */
public final class RetriedResponse<T> implements HttpResponse<T> {
    private final HttpResponse<T> response;
    private final int attempts;
    private final String idempotencyKey;
    private final boolean replayed;

    RetriedResponse(HttpResponse<T> response, int attempts, String idempotencyKey, boolean replayed) {
        this.response = response;
        this.attempts = attempts;
        this.idempotencyKey = idempotencyKey;
        this.replayed = replayed;
    }

    /**
     * Whether the server answered with a stored response ({@code Idempotent-Replayed: true}):
     * the work was done by an earlier attempt, or by an earlier call with the same key.
     *
     * @return whether the response was replayed
     */
    public boolean replayed() {
        return replayed;
    }

    /** @return attempts made, the first included */
    public int attempts() {
        return attempts;
    }

    /** @return the key every attempt carried, if the request had one */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @return the last attempt's response, as the {@link HttpClient} returned it */
    public HttpResponse<T> unwrap() {
        return response;
    }

    @Override
    public int statusCode() {
        return response.statusCode();
    }

    @Override
    public HttpRequest request() {
        return response.request();
    }

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
        return response.previousResponse();
    }

    @Override
    public HttpHeaders headers() {
        return response.headers();
    }

    @Override
    public T body() {
        return response.body();
    }

    @Override
    public Optional<SSLSession> sslSession() {
        return response.sslSession();
    }

    @Override
    public URI uri() {
        return response.uri();
    }

    @Override
    public HttpClient.Version version() {
        return response.version();
    }

    @Override
    public String toString() {
        return response + " (attempts " + attempts + (replayed ? ", replayed" : "") + ")";
    }
}
