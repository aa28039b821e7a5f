package dev.semel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.client.RetryListener.Attempt;
import dev.semel.client.RetryListener.Next;
import dev.semel.test.MutableClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import retrofit2.Call;
import retrofit2.Retrofit;
import retrofit2.http.Body;
import retrofit2.http.POST;

/**
 * The OkHttp interceptor, and Retrofit on top of it, against the same real server and
 * response-losing proxy as the other adapters. OkHttp's own connection retries are off, so
 * every retry seen here is the interceptor's.
 */
class RetryingOkHttpInterceptorTest {
    private static final MediaType JSON = MediaType.get("application/json");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T16:00:00Z"));
    private final RecordingSleeper sleeper = new RecordingSleeper(clock);
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final List<OkHttpClient> clients = new CopyOnWriteArrayList<>();
    private PaymentsServer server;
    private FaultProxy proxy;

    /** Retrofit's view of the payments endpoint. */
    interface Payments {
        @POST("payments")
        Call<ResponseBody> pay(@Body RequestBody order);
    }

    @BeforeEach
    void startServer() throws IOException {
        server = new PaymentsServer();
        proxy = new FaultProxy(server.port(), FaultProxy.firstRequestOfEachKey());
    }

    @AfterEach
    void stopServer() throws IOException {
        clients.forEach(c -> {
            c.dispatcher().executorService().shutdown();
            c.connectionPool().evictAll();
        });
        proxy.close();
        server.close();
    }

    private RetryPolicy.Builder policy() {
        return RetryPolicy.custom().clock(clock).sleeper(sleeper).listener(attempts::add);
    }

    private OkHttpClient okHttp(RetryPolicy policy) {
        OkHttpClient client = new OkHttpClient.Builder()
                .addInterceptor(new RetryingOkHttpInterceptor(policy))
                .retryOnConnectionFailure(false)
                .build();
        clients.add(client);
        return client;
    }

    private static Request pay(int port, RequestBody body) {
        return new Request.Builder().url("http://127.0.0.1:" + port + "/payments").post(body).build();
    }

    @Test
    void aLostResponseIsRetriedWithTheSameKeyAndAnsweredByTheReplay() throws IOException {
        try (Response response = okHttp(policy().build())
                .newCall(pay(proxy.port(), RequestBody.create("{\"amount\":1}", JSON))).execute()) {

            assertThat(response.code()).isEqualTo(201);
            assertThat(RetryingOkHttpInterceptor.replayed(response)).isTrue();
            assertThat(response.body().string()).isEqualTo("{\"payment\":1}");
        }
        assertThat(proxy.dropped()).isEqualTo(1);
        assertThat(server.executions()).isEqualTo(1);
        assertThat(server.bodiesByKey()).hasSize(1);
        assertThat(server.bodiesByKey().values().iterator().next())
                .containsExactly("{\"amount\":1}", "{\"amount\":1}");
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY, Next.DONE);
        assertThat(attempts).extracting(Attempt::idempotencyKey).containsOnly(server.bodiesByKey().keySet().iterator().next());
    }

    @Test
    void retries503And409WithRetryAfterUnderOneKey() throws IOException {
        server.answerNext(503, Map.of("Retry-After", "1"));
        server.answerNext(409, Map.of("Retry-After", "2"));

        try (Response response = okHttp(policy().build())
                .newCall(pay(server.port(), RequestBody.create("{\"amount\":2}", JSON))).execute()) {
            assertThat(response.code()).isEqualTo(201);
            assertThat(RetryingOkHttpInterceptor.replayed(response)).isFalse();
        }
        assertThat(sleeper.delays()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(server.bodiesByKey()).hasSize(1);
        assertThat(server.bodiesByKey().values().iterator().next()).hasSize(3);
        assertThat(attempts).extracting(Attempt::status).containsExactly(503, 409, 201);
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aKeyTheCallerSetIsSentAsIsOnEveryAttempt() throws IOException {
        server.answerNext(503, Map.of("Retry-After", "1"));
        Request request = pay(server.port(), RequestBody.create("{}", JSON)).newBuilder()
                .header("Idempotency-Key", "order-7").build();

        try (Response response = okHttp(policy().build()).newCall(request).execute()) {
            assertThat(response.code()).isEqualTo(201);
        }
        assertThat(server.bodiesByKey()).containsOnlyKeys("order-7");
        assertThat(server.bodiesByKey().get("order-7")).hasSize(2);
    }

    @Test
    void aRetryAfterLongerThanMaxRetryAfterIsReturnedInsteadOfWaitedFor() throws IOException {
        server.answerNext(503, Map.of("Retry-After", "120"));

        try (Response response = okHttp(policy().maxRetryAfter(Duration.ofMinutes(1)).build())
                .newCall(pay(server.port(), RequestBody.create("{}", JSON))).execute()) {
            assertThat(response.code()).isEqualTo(503);
            assertThat(response.header("Retry-After")).isEqualTo("120");
        }
        assertThat(sleeper.delays()).isEmpty();
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY_AFTER_TOO_LONG);
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAKeyIsSentOnceWhenPostIsNotAKeyedMethod() throws IOException {
        server.answerNext(503, Map.of("Retry-After", "1"));

        try (Response response = okHttp(policy().keyedMethods("PATCH").build())
                .newCall(pay(server.port(), RequestBody.create("{}", JSON))).execute()) {
            assertThat(response.code()).isEqualTo(503);
        }
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.UNSAFE_TO_RETRY);
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void aOneShotBodyIsReadOnceAndEveryAttemptSendsItsBytes() throws IOException {
        AtomicInteger writes = new AtomicInteger();
        RequestBody oneShot = new RequestBody() {
            @Override
            public MediaType contentType() {
                return JSON;
            }

            @Override
            public boolean isOneShot() {
                return true;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                sink.writeUtf8("{\"write\":" + writes.incrementAndGet() + "}");
            }
        };

        try (Response response = okHttp(policy().build()).newCall(pay(proxy.port(), oneShot)).execute()) {
            assertThat(response.code()).isEqualTo(201);
        }
        assertThat(writes).hasValue(1);
        assertThat(server.bodiesByKey().values().iterator().next()).containsExactly("{\"write\":1}", "{\"write\":1}");
        assertThat(server.executions()).isEqualTo(1);
    }

    @Test
    void aCancelledCallIsNotRetried() {
        server.answerNext(503, Map.of("Retry-After", "1"));
        AtomicReference<okhttp3.Call> call = new AtomicReference<>();
        RetryPolicy policy = policy().listener(attempt -> {
            attempts.add(attempt);
            call.get().cancel();
        }).build();
        call.set(okHttp(policy).newCall(pay(server.port(), RequestBody.create("{}", JSON))));

        assertThatThrownBy(() -> call.get().execute()).isInstanceOf(IOException.class).hasMessage("Canceled");
        assertThat(server.requests()).isEqualTo(1);
        assertThat(attempts).extracting(Attempt::next).containsExactly(Next.RETRY);
    }

    @Test
    void refusesToRunAsANetworkInterceptor() {
        OkHttpClient client = new OkHttpClient.Builder()
                .addNetworkInterceptor(new RetryingOkHttpInterceptor(policy().build()))
                .build();
        clients.add(client);

        assertThatThrownBy(() -> client.newCall(pay(server.port(), RequestBody.create("{}", JSON))).execute())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("addInterceptor");
        assertThat(server.requests()).isZero();
    }

    @Test
    void aRetrofitCallIsRetriedWithOneKeyAndRunsOnce() throws IOException {
        Payments payments = new Retrofit.Builder()
                .baseUrl("http://127.0.0.1:" + proxy.port() + "/")
                .client(okHttp(policy().build()))
                .build()
                .create(Payments.class);

        retrofit2.Response<ResponseBody> response = payments.pay(RequestBody.create("{\"amount\":3}", JSON)).execute();

        assertThat(response.code()).isEqualTo(201);
        assertThat(RetryingOkHttpInterceptor.replayed(response.raw())).isTrue();
        try (ResponseBody body = response.body()) {
            assertThat(body.string()).isEqualTo("{\"payment\":1}");
        }
        assertThat(proxy.dropped()).isEqualTo(1);
        assertThat(server.executions()).isEqualTo(1);
        assertThat(server.bodiesByKey()).hasSize(1);
        assertThat(server.bodiesByKey().values().iterator().next())
                .containsExactly("{\"amount\":3}", "{\"amount\":3}");
    }
}
