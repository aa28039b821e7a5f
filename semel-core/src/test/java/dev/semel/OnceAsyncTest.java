package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.OnceExceptionsTest.CardDeclinedException;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Idempotency#onceAsync}: the key is held until the returned stage completes, then its
 * result (or a named exception) is stored; a duplicate gets a future of what {@code once} would
 * give. The stages are completed by hand, so nothing here waits on another thread.
 */
class OnceAsyncTest {
    private static final Scope SCOPE = Scope.of("alice", "charge");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final byte[] PAYLOAD = "12.50 EUR".getBytes(StandardCharsets.UTF_8);
    private static final CallOptions STORING_DECLINES = CallOptions.custom()
            .exceptionCodec(ExceptionCodec.storing(CardDeclinedException.class)).build();

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final AtomicInteger runs = new AtomicInteger();
    private Idempotency engine = Idempotency.create(memory);

    @AfterEach
    void close() {
        engine.close();
    }

    private CompletableFuture<String> onceAsync(CallOptions options, CompletableFuture<String> stage) {
        return engine.onceAsync(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), options, () -> {
            runs.incrementAndGet();
            return stage;
        });
    }

    private CompletableFuture<String> onceAsync(CompletableFuture<String> stage) {
        return onceAsync(CallOptions.DEFAULTS, stage);
    }

    private RecordState state() {
        return memory.find(SCOPE.recordId(KEY), Instant.now()).map(r -> r.state()).orElse(null);
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        assertThat(future).isCompletedExceptionally();
        try {
            future.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theKeyIsHeldUntilTheStageCompletesThenItsResultIsReplayed() throws Exception {
        CompletableFuture<String> stage = new CompletableFuture<>();
        CompletableFuture<String> first = onceAsync(stage);
        assertThat(first).isNotDone();
        assertThat(state()).isEqualTo(RecordState.IN_PROGRESS);

        CompletableFuture<String> whileRunning = onceAsync(new CompletableFuture<>());
        assertThat(failureOf(whileRunning)).isInstanceOf(IdempotencyInProgressException.class);

        stage.complete("receipt-1");
        assertThat(first.get()).isEqualTo("receipt-1");
        assertThat(state()).isEqualTo(RecordState.COMPLETED);

        CompletableFuture<String> replay = onceAsync(CompletableFuture.completedFuture("receipt-2"));
        assertThat(replay.get()).isEqualTo("receipt-1");
        assertThat(runs).as("neither duplicate ran the operation").hasValue(1);
    }

    @Test
    void aDuplicateWithAnotherPayloadGetsAMismatch() {
        onceAsync(CompletableFuture.completedFuture("receipt-1"));
        CompletableFuture<String> other = engine.onceAsync(SCOPE, KEY, new byte[] {9}, ResultCodec.utf8(),
                CallOptions.DEFAULTS, () -> CompletableFuture.completedFuture("never"));
        assertThat(failureOf(other)).isInstanceOf(IdempotencyMismatchException.class);
    }

    @Test
    void aStageFailingWithANamedExceptionStoresItAndEveryDuplicateGetsIt() {
        CompletableFuture<String> stage = new CompletableFuture<>();
        CompletableFuture<String> first = onceAsync(STORING_DECLINES, stage);
        // as a stage built with supplyAsync reports it: wrapped in a CompletionException
        stage.completeExceptionally(new CompletionException(new CardDeclinedException("insufficient funds")));
        assertThat(failureOf(first)).isInstanceOf(CardDeclinedException.class).hasMessage("insufficient funds");
        assertThat(state()).isEqualTo(RecordState.COMPLETED);

        CompletableFuture<String> replay = onceAsync(STORING_DECLINES, CompletableFuture.completedFuture("x"));
        assertThat(failureOf(replay)).isInstanceOf(CardDeclinedException.class).hasMessage("insufficient funds");
        assertThat(runs).hasValue(1);
    }

    @Test
    void aNamedExceptionWrappedInAnExecutionExceptionIsStoredToo() {
        CardDeclinedException declined = new CardDeclinedException("card stolen");
        CompletableFuture<String> first = onceAsync(STORING_DECLINES,
                CompletableFuture.failedFuture(new ExecutionException(declined)));
        assertThat(failureOf(first)).isInstanceOf(ExecutionException.class).hasCause(declined);
        assertThat(state()).isEqualTo(RecordState.COMPLETED);
        assertThat(failureOf(onceAsync(STORING_DECLINES, CompletableFuture.completedFuture("x"))))
                .isInstanceOf(CardDeclinedException.class).hasMessage("card stolen");
    }

    @Test
    void aStageFailingWithAnyOtherExceptionReleasesTheKeyForTheNextCall() throws Exception {
        IllegalStateException boom = new IllegalStateException("gateway down");
        CompletableFuture<String> first = onceAsync(STORING_DECLINES, CompletableFuture.failedFuture(boom));
        assertThat(failureOf(first)).isSameAs(boom);
        assertThat(state()).as("released").isNull();

        assertThat(onceAsync(STORING_DECLINES, CompletableFuture.completedFuture("receipt-2")).get())
                .isEqualTo("receipt-2");
        assertThat(runs).hasValue(2);
    }

    @Test
    void anOperationThatThrowsBeforeReturningAStageReleasesTheKeyAndThrows() throws Exception {
        assertThatThrownBy(() -> engine.onceAsync(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), CallOptions.DEFAULTS,
                () -> {
                    throw new IllegalArgumentException("bad order");
                })).isInstanceOf(IllegalArgumentException.class).hasMessage("bad order");
        assertThat(state()).isNull();
        assertThat(onceAsync(CompletableFuture.completedFuture("receipt-1")).get()).isEqualTo("receipt-1");
    }

    @Test
    void aNamedExceptionThrownBeforeReturningAStageIsStoredToo() {
        assertThatThrownBy(() -> engine.onceAsync(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES, () -> {
            throw new CardDeclinedException("card blocked");
        })).isInstanceOf(CardDeclinedException.class);
        assertThat(state()).isEqualTo(RecordState.COMPLETED);
        assertThat(failureOf(onceAsync(STORING_DECLINES, CompletableFuture.completedFuture("x"))))
                .isInstanceOf(CardDeclinedException.class).hasMessage("card blocked");
    }

    @Test
    void anOperationReturningNoStageReleasesTheKeyAndReturnsNull() throws Exception {
        assertThat(onceAsync(null)).isNull();
        assertThat(state()).isNull();
        assertThat(onceAsync(CompletableFuture.completedFuture("receipt-2")).get()).isEqualTo("receipt-2");
    }

    @Test
    void aResultTheCodecCannotEncodeCompletesTheRecordAsNotRetained() throws Exception {
        ResultCodec<String> refusing = new ResultCodec<>() {
            @Override
            public byte[] encode(String value) {
                throw new IllegalArgumentException("cannot encode " + value);
            }

            @Override
            public String decode(byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
            }
        };
        CompletableFuture<String> first = engine.onceAsync(SCOPE, KEY, PAYLOAD, refusing, CallOptions.DEFAULTS,
                () -> CompletableFuture.completedFuture("receipt-1"));
        assertThat(first.get()).as("the first caller still gets its result").isEqualTo("receipt-1");
        CompletableFuture<String> replay = engine.onceAsync(SCOPE, KEY, PAYLOAD, refusing, CallOptions.DEFAULTS,
                () -> CompletableFuture.completedFuture("never"));
        assertThat(failureOf(replay)).isInstanceOf(IdempotencyResultNotRetainedException.class)
                .hasMessageContaining("cannot encode receipt-1");
    }

    @Test
    void aStoreThatCannotRecordTheResultFailsTheFutureAndKeepsTheKey() {
        engine.close();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                throw new IdempotencyStoreException("the store is down", null);
            }
        }, IdempotencyConfig.custom().completeAttempts(1).build());
        CompletableFuture<String> first = onceAsync(CompletableFuture.completedFuture("receipt-1"));
        assertThat(failureOf(first)).isInstanceOf(IdempotencyStoreException.class).hasMessage("the store is down");
        assertThat(state()).as("not released: the effect may have happened").isEqualTo(RecordState.IN_PROGRESS);
    }

    @Test
    void aStoreThatCannotRecordANamedExceptionFailsTheFutureWithTheStoreFailure() {
        engine.close();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                throw new IdempotencyStoreException("the store is down", null);
            }
        }, IdempotencyConfig.custom().completeAttempts(1).build());
        CardDeclinedException declined = new CardDeclinedException("insufficient funds");
        CompletableFuture<String> first = onceAsync(STORING_DECLINES, CompletableFuture.failedFuture(declined));
        Throwable failure = failureOf(first);
        assertThat(failure).isInstanceOf(IdempotencyStoreException.class).hasMessage("the store is down");
        assertThat(failure.getSuppressed()).containsExactly(declined);
        assertThat(state()).isEqualTo(RecordState.IN_PROGRESS);
    }
}
