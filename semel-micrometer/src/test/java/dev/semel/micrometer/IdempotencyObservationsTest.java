package dev.semel.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Decision;
import dev.semel.FailurePolicy;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyListener;
import dev.semel.IdempotencyMismatchException;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.InvalidIdempotencyKeyException;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Observation around each protected call that a trace shows: its tags per outcome and what nests under it. */
class IdempotencyObservationsTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-1");
    private static final byte[] PAYLOAD = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    private final IdempotencyObservations observations = IdempotencyObservations.create(registry);
    private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
    private Idempotency engine;

    IdempotencyObservationsTest() {
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
            }
        });
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Idempotency engine(IdempotencyStore store, FailurePolicy failurePolicy) {
        IdempotencyListener metrics = MicrometerIdempotencyListener.builder(new SimpleMeterRegistry())
                .observationRegistry(registry).store(store).build();
        engine = Idempotency.create(store, IdempotencyConfig.custom().failurePolicy(failurePolicy)
                .listener(new IdempotencyListener() {
                    @Override
                    public void onEvent(dev.semel.IdempotencyEvent event) {
                        observations.onEvent(event);
                        metrics.onEvent(event);
                    }

                    @Override
                    public void onStoreCallStart(dev.semel.StoreOperation operation) {
                        metrics.onStoreCallStart(operation);
                    }

                    @Override
                    public void onStoreCall(dev.semel.StoreOperation operation, java.time.Duration duration,
                            Throwable failure) {
                        metrics.onStoreCall(operation, duration, failure);
                    }
                }).build());
        return engine;
    }

    private Idempotency engine() {
        return engine(new InMemoryIdempotencyStore(), FailurePolicy.FAIL_CLOSED);
    }

    /** What an adapter does: an Observation around the whole call, its failure recorded. */
    private String call(IdempotencyKey key, byte[] payload, Idempotency.Task<String, RuntimeException> body) {
        try (IdempotencyObservations.Call call = observations.start(IdempotencyObservations.Kind.METHOD)) {
            try {
                return key == null ? body.call() : engine.once(SCOPE, key, payload, ResultCodec.utf8(), body);
            } catch (RuntimeException e) {
                call.error(e);
                throw e;
            }
        }
    }

    private void assertOnlyCall(String outcome) {
        assertThat(registry).hasNumberOfObservationsWithNameEqualTo("semel.idempotency", 1)
                .hasObservationWithNameEqualTo("semel.idempotency").that()
                .hasBeenStarted().hasBeenStopped()
                .hasContextualNameEqualTo("semel method")
                .hasLowCardinalityKeyValue("semel.kind", "method")
                .hasLowCardinalityKeyValue("semel.outcome", outcome);
    }

    @Test
    void firstCallIsExecutedAndTaggedWithItsScopeOperation() {
        engine();
        assertThat(call(KEY, PAYLOAD, () -> "paid")).isEqualTo("paid");

        assertOnlyCall("executed");
        assertThat(registry).hasObservationWithNameEqualTo("semel.idempotency").that()
                .hasHighCardinalityKeyValue("semel.scope.operation", "POST /payments")
                .doesNotHaveError();
    }

    @Test
    void retryIsReplayed() {
        engine();
        call(KEY, PAYLOAD, () -> "paid");
        registry.clear();

        assertThat(call(KEY, PAYLOAD, () -> "paid again")).isEqualTo("paid");

        assertOnlyCall("replayed");
    }

    @Test
    void otherPayloadIsAMismatch() {
        engine();
        call(KEY, PAYLOAD, () -> "paid");
        registry.clear();

        assertThatThrownBy(() -> call(KEY, new byte[] {1}, () -> "other"))
                .isInstanceOf(IdempotencyMismatchException.class);

        assertOnlyCall("mismatch");
        assertThat(registry).hasObservationWithNameEqualTo("semel.idempotency").that()
                .hasError(); // what the caller got
    }

    @Test
    void duplicateOfARunningCallIsAConflict() {
        Decision first = engine().begin(SCOPE, KEY, Fingerprint.of(PAYLOAD));
        assertThat(first).isInstanceOf(Decision.Execute.class);
        registry.clear();

        assertThatThrownBy(() -> call(KEY, PAYLOAD, () -> "duplicate"))
                .isInstanceOf(IdempotencyInProgressException.class);

        assertOnlyCall("conflict");
    }

    @Test
    void unreachableStoreIsAStoreErrorFailingClosedAndFailOpenWhenAskedTo() {
        IdempotencyStore down = new ForwardingIdempotencyStore(new InMemoryIdempotencyStore()) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new IdempotencyStoreException("connection refused", null);
            }
        };
        engine(down, FailurePolicy.FAIL_CLOSED);
        assertThatThrownBy(() -> call(KEY, PAYLOAD, () -> "paid")).isInstanceOf(IdempotencyStoreException.class);
        assertOnlyCall("store_error");
        engine.close();
        registry.clear();

        engine(down, FailurePolicy.FAIL_OPEN);
        assertThat(call(KEY, PAYLOAD, () -> "paid unprotected")).isEqualTo("paid unprotected");
        assertOnlyCall("fail_open");
    }

    @Test
    void callRefusedForItsKeyIsRejectedAndCallWithoutKeyIsNone() {
        engine();
        assertThatThrownBy(() -> call(null, PAYLOAD, () -> {
            throw new InvalidIdempotencyKeyException(InvalidIdempotencyKeyException.Reason.MISSING, "no key");
        })).isInstanceOf(InvalidIdempotencyKeyException.class);
        assertOnlyCall("rejected");
        registry.clear();

        assertThat(call(null, PAYLOAD, () -> "unprotected")).isEqualTo("unprotected");
        assertOnlyCall("none");
    }

    @Test
    void storeCallsAndTheHandlersObservationsAreChildrenOfTheCall() {
        engine();

        call(KEY, PAYLOAD, () -> Observation.createNotStarted("payment.charge", registry).observe(() -> "paid"));

        Observation.Context semel = only(stopped, "semel.idempotency");
        assertThat(semel.getParentObservation()).isNull();
        Observation.Context charge = only(stopped, "payment.charge");
        assertThat(charge.getParentObservation().getContextView()).isSameAs(semel);
        List<Observation.Context> storeCalls = stopped.stream().filter(c -> "semel.store".equals(c.getName())).toList();
        assertThat(storeCalls).extracting(c -> c.getLowCardinalityKeyValue("semel.operation").getValue())
                .containsExactlyInAnyOrder("claim", "complete");
        assertThat(storeCalls).allSatisfy(c -> assertThat(c.getParentObservation().getContextView()).isSameAs(semel));
        // nothing is left current on the thread once the call is closed
        assertThat(registry.getCurrentObservation()).isNull();
    }

    @Test
    void nestedCallsEachGetTheirOwnDecisionAndTheOuterOneIsTheParent() {
        engine();
        IdempotencyObservations.Call outer = observations.start(IdempotencyObservations.Kind.HTTP);
        String result = engine.once(Scope.of("alice", "POST /orders"), IdempotencyKey.of("outer"), PAYLOAD,
                ResultCodec.utf8(), () -> call(KEY, PAYLOAD, () -> "inner"));
        outer.close();
        call(KEY, PAYLOAD, () -> "inner again");

        assertThat(result).isEqualTo("inner");
        assertThat(registry).hasObservationWithNameEqualTo("semel.idempotency").that()
                .hasContextualNameEqualTo("semel http")
                .hasLowCardinalityKeyValue("semel.outcome", "executed")
                .hasHighCardinalityKeyValue("semel.scope.operation", "POST /orders");
        List<Observation.Context> methods = stopped.stream()
                .filter(c -> "semel method".equals(c.getContextualName())).toList();
        assertThat(methods).extracting(c -> c.getLowCardinalityKeyValue("semel.outcome").getValue())
                .containsExactly("executed", "replayed");
        assertThat(methods.get(0).getParentObservation().getContextView().getContextualName()).isEqualTo("semel http");
        assertThat(methods.get(1).getParentObservation()).isNull();
    }

    @Test
    void noopRegistryObservesNothing() {
        IdempotencyObservations none = IdempotencyObservations.create(ObservationRegistry.NOOP);
        try (IdempotencyObservations.Call call = none.start(IdempotencyObservations.Kind.HTTP)) {
            call.error(new IllegalStateException("ignored"));
        }
        assertThat(registry).doesNotHaveAnyObservation();
    }

    private static Observation.Context only(List<Observation.Context> contexts, String name) {
        List<Observation.Context> named = contexts.stream().filter(c -> name.equals(c.getName())).toList();
        assertThat(named).hasSize(1);
        return named.get(0);
    }
}
