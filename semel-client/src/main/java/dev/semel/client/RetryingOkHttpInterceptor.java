package dev.semel.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;

/**
 * Retries the calls of an OkHttp client (and so of Retrofit) safely: one idempotency key per
 * call, sent on every attempt, with the {@link RetryPolicy}'s backoff, {@code Retry-After}
 * handling and deadline. Needs OkHttp on the class path (an optional dependency of this
 * module). Add it as an <em>application</em> interceptor, so it runs once per call:
 *
 * <pre>{@code
 * OkHttpClient http = new OkHttpClient.Builder()
 *         .addInterceptor(new RetryingOkHttpInterceptor(RetryPolicy.ofDefaults()))
 *         .build();
 * Retrofit retrofit = new Retrofit.Builder()
 *         .baseUrl("https://api.example.com/")
 *         .client(http)
 *         .build();
 * }</pre>
 *
 * <p>Keys and retries follow the other adapters: POST and PATCH get a new key (the
 * {@linkplain RetryPolicy.Builder#keyedMethods keyed methods}), a key already on the request
 * is used as is; a request is retried only with a key or when its method is idempotent.
 * OkHttp's own silent retries of a failed connection run inside each attempt, so they carry
 * the same key. A body is sent again on each attempt as OkHttp sends it again on a redirect;
 * a {@linkplain RequestBody#isOneShot() one-shot} body is read into memory once first; a
 * {@linkplain RequestBody#isDuplex() duplex} call is never retried. Each attempt's connect,
 * read and write timeouts are at most the time left before the deadline. A
 * {@linkplain okhttp3.Call#cancel() cancelled} call is not retried.
 */
public final class RetryingOkHttpInterceptor implements Interceptor {
    private final RetryPolicy policy;
    private final Retrier<Response> retrier;

    /**
     * @param policy when and how to retry
     */
    public RetryingOkHttpInterceptor(RetryPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.retrier = new Retrier<>(policy, new Retrier.Responses<>() {
            @Override
            public int status(Response response) {
                return response.code();
            }

            @Override
            public String header(Response response, String name) {
                return response.header(name);
            }

            @Override
            public void discard(Response response) {
                response.close();
            }
        });
    }

    /**
     * Whether a response was replayed by the server ({@code Idempotent-Replayed: true}).
     *
     * @param response the response, e.g. Retrofit's {@code response.raw()}
     * @return whether the work had been done by an earlier attempt or call
     */
    public static boolean replayed(Response response) {
        return Retrier.replayed(response.header(Retrier.REPLAYED_HEADER));
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        if (chain.connection() != null) {
            throw new IllegalStateException("RetryingOkHttpInterceptor is a network interceptor here; "
                    + "add it with OkHttpClient.Builder.addInterceptor, so it may send a call more than once");
        }
        Request request = chain.request();
        List<String> supplied = request.headers(policy.headerName());
        if (supplied.size() > 1) {
            throw new IllegalArgumentException("request carries " + supplied.size() + " " + policy.headerName()
                    + " headers; one operation has one key");
        }
        RequestBody body = request.body();
        if (body != null && body.isDuplex()) {
            return chain.proceed(request);
        }
        String method = request.method();
        String key = supplied.isEmpty() ? policy.newKeyFor(method) : supplied.get(0);
        Request attempt = replayable(request, key, supplied.isEmpty());
        try {
            return retrier.run(method, request.url().uri(), key, timeLeft -> {
                if (chain.call().isCanceled()) {
                    // cancelling is the caller's answer: not retried
                    throw new UncheckedIOException(new IOException("Canceled"));
                }
                try {
                    return bounded(chain, timeLeft).proceed(attempt);
                } catch (IOException e) {
                    if (chain.call().isCanceled()) {
                        // nor waited for, when it ends the attempt
                        throw new UncheckedIOException(e);
                    }
                    throw e;
                }
            }).response();
        } catch (UncheckedIOException cancelled) {
            throw cancelled.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted between attempts");
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    /** The request every attempt sends: with the key, and with a body that can be written again. */
    private Request replayable(Request request, String key, boolean addKey) throws IOException {
        RequestBody body = request.body();
        boolean buffer = body != null && body.isOneShot();
        if (!(key != null && addKey) && !buffer) {
            return request;
        }
        Request.Builder builder = request.newBuilder();
        if (key != null && addKey) {
            builder.header(policy.headerName(), key);
        }
        if (buffer) {
            Buffer bytes = new Buffer();
            body.writeTo(bytes);
            builder.method(request.method(), RequestBody.create(bytes.readByteArray(), body.contentType()));
        }
        return builder.build();
    }

    private static Chain bounded(Chain chain, Duration timeLeft) {
        int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeLeft.toMillis()));
        Chain bounded = chain;
        if (chain.connectTimeoutMillis() == 0 || chain.connectTimeoutMillis() > left) {
            bounded = bounded.withConnectTimeout(left, TimeUnit.MILLISECONDS);
        }
        if (chain.readTimeoutMillis() == 0 || chain.readTimeoutMillis() > left) {
            bounded = bounded.withReadTimeout(left, TimeUnit.MILLISECONDS);
        }
        if (chain.writeTimeoutMillis() == 0 || chain.writeTimeoutMillis() > left) {
            bounded = bounded.withWriteTimeout(left, TimeUnit.MILLISECONDS);
        }
        return bounded;
    }
}
