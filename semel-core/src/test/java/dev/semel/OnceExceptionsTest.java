package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyEngineTest.RecordingTransactionalStore;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@link Idempotency#once} does with exceptions: release the key, or store named ones; and with results it cannot store. */
class OnceExceptionsTest {
    private static final Scope SCOPE = Scope.of("alice", "charge");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final byte[] PAYLOAD = "12.50 EUR".getBytes(StandardCharsets.UTF_8);
    private static final CallOptions STORING_DECLINES = CallOptions.custom()
            .exceptionCodec(ExceptionCodec.storing(CardDeclinedException.class, OverdrawnException.class))
            .build();

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private Idempotency engine = Idempotency.create(memory);
    private final AtomicInteger runs = new AtomicInteger();

    @AfterEach
    void close() {
        engine.close();
    }

    /** A business outcome, public with a (String) constructor so that replays can rebuild it. */
    public static class CardDeclinedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CardDeclinedException(String message) {
            super(message);
        }
    }

    /** A checked business outcome. */
    public static class OverdrawnException extends Exception {
        private static final long serialVersionUID = 1L;

        public OverdrawnException(String message) {
            super(message);
        }
    }

    /** Named as stored, but a replay could not rebuild it: no (String) constructor. */
    public static class ExpiredCardException extends CardDeclinedException {
        private static final long serialVersionUID = 1L;

        public ExpiredCardException(int month) {
            super("card expired in month " + month);
        }
    }

    private String charge(RuntimeException failure) {
        runs.incrementAndGet();
        if (failure != null) {
            throw failure;
        }
        return "receipt-" + runs.get();
    }

    @Test
    void anExceptionReleasesTheKeyByDefaultSoTheRetryRunsTheOperation() {
        IllegalStateException timeout = new IllegalStateException("gateway timeout");
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(timeout)))
                .isSameAs(timeout);
        assertThat(engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(null))).isEqualTo("receipt-2");
        assertThat(engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(null))).isEqualTo("receipt-2");
        assertThat(runs).hasValue(2);
    }

    @Test
    void aNamedBusinessExceptionIsStoredAndRethrownOnEveryReplayWithoutRunningAgain() {
        CardDeclinedException declined = new CardDeclinedException("card declined: insufficient funds");
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(declined))).isSameAs(declined);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                    () -> charge(null)))
                    .isExactlyInstanceOf(CardDeclinedException.class)
                    .isNotSameAs(declined)
                    .hasMessage("card declined: insufficient funds");
        }
        assertThat(runs).hasValue(1);
    }

    @Test
    void exceptionsThatAreNotNamedStillReleaseTheKeyUnderAStoringCodec() {
        IllegalStateException timeout = new IllegalStateException("gateway timeout");
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(timeout))).isSameAs(timeout);
        assertThat(engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES, () -> charge(null)))
                .isEqualTo("receipt-2");
    }

    @Test
    void aCheckedBusinessExceptionIsRethrownAsItselfOnReplay() {
        Idempotency.Task<String, OverdrawnException> overdraw = () -> {
            runs.incrementAndGet();
            throw new OverdrawnException("account 42 would be overdrawn");
        };
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES, overdraw))
                    .isExactlyInstanceOf(OverdrawnException.class)
                    .hasMessage("account 42 would be overdrawn");
        }
        assertThat(runs).hasValue(1);
    }

    @Test
    void aNamedExceptionThatCannotBeStoredReachesTheFirstCallAndDuplicatesAreToldItWasNotRetained() {
        ExpiredCardException expired = new ExpiredCardException(3);
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(expired)))
                .isSameAs(expired);
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(null)))
                .isInstanceOf(IdempotencyResultNotRetainedException.class)
                .hasMessageContaining("already ran")
                .hasMessageContaining("public (String message) constructor");
        assertThat(runs).as("the key is never released once the operation ran").hasValue(1);
    }

    @Test
    void aResultTheCodecCannotEncodeReachesTheFirstCallAndDuplicatesAreToldItWasNotRetained() {
        assertThat(engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> {
            runs.incrementAndGet();
            return null;
        })).isNull();
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(null)))
                .isInstanceOf(IdempotencyResultNotRetainedException.class)
                .hasMessageContaining("cannot store null")
                .satisfies(e -> assertThat(((IdempotencyResultNotRetainedException) e).key()).isEqualTo(KEY));
        assertThat(runs).as("the key is never released once the operation ran").hasValue(1);
    }

    @Test
    void replayingAStoredExceptionWithoutACodecSaysWhatIsMissing() {
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(new CardDeclinedException("declined")))).isInstanceOf(CardDeclinedException.class);
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("names no ExceptionCodec");
        assertThat(runs).hasValue(1);
    }

    @Test
    void theCodecRebuildsOnlyTheTypesItNames() {
        ExceptionCodec codec = ExceptionCodec.storing(CardDeclinedException.class);
        byte[] forged = (ProcessBuilder.class.getName() + "\nls").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> codec.decode(forged))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not one of the types this codec rebuilds");
        Exception noMessage = codec.decode(codec.encode(new ExpiredCardExceptionWithoutMessage()));
        assertThat(noMessage).isExactlyInstanceOf(ExpiredCardExceptionWithoutMessage.class).hasMessage(null);
        assertThatThrownBy(ExceptionCodec::storing).isInstanceOf(IllegalArgumentException.class);
    }

    /** Rebuilt through its no-argument constructor, since it has no message. */
    public static class ExpiredCardExceptionWithoutMessage extends CardDeclinedException {
        private static final long serialVersionUID = 1L;

        public ExpiredCardExceptionWithoutMessage() {
            super(null);
        }
    }

    @Test
    void inTransactionalModeAStoredExceptionCommitsWithTheRecord() {
        RecordingTransactionalStore tx = new RecordingTransactionalStore(memory);
        engine.close();
        engine = Idempotency.create(tx);
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), STORING_DECLINES,
                () -> charge(new CardDeclinedException("declined")))).isInstanceOf(CardDeclinedException.class);
        assertThat(tx.log).containsExactly("begin", "claim", "complete", "commit");
        tx.log.clear();
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), () -> charge(
                new IllegalStateException("timeout")))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("names no ExceptionCodec");
        assertThat(runs).hasValue(1);
    }
}
