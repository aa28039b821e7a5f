package dev.semel.micrometer;

import static dev.semel.micrometer.MicrometerIdempotencyListenerTest.FP;
import static dev.semel.micrometer.MicrometerIdempotencyListenerTest.KEY;
import static dev.semel.micrometer.MicrometerIdempotencyListenerTest.KEY_TEXT;
import static dev.semel.micrometer.MicrometerIdempotencyListenerTest.SCOPE;
import static dev.semel.micrometer.MicrometerIdempotencyListenerTest.created;
import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyListener;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Lease;
import dev.semel.StoreOperation;
import dev.semel.WaitPolicy;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Observations (spans, once Micrometer Tracing is set up) a user sees. */
class IdempotencyObservationTest {
    private final TestObservationRegistry observations = TestObservationRegistry.create();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Idempotency engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Idempotency engine(IdempotencyStore store, IdempotencyConfig.Builder config,
            IdempotencyStoreObservationConvention convention) {
        IdempotencyListener listener = MicrometerIdempotencyListener.builder(meters)
                .observationRegistry(observations).observationConvention(convention).store(store).build();
        engine = Idempotency.create(store, config.listener(listener).build());
        return engine;
    }

    private Idempotency engine(IdempotencyStore store) {
        return engine(store, IdempotencyConfig.custom(), null);
    }

    @Test
    void eachStoreCallIsAnObservationAndAClaimSaysWhatItDecided() {
        Idempotency engine = engine(new InMemoryIdempotencyStore());
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.begin(SCOPE, KEY, Fingerprint.of(new byte[] {9}));

        assertThat(observations)
                .hasNumberOfObservationsWithNameEqualTo("semel.store", 4)
                .forAllObservationsWithNameEqualTo("semel.store", o -> o
                        .hasLowCardinalityKeyValue("semel.store", "memory")
                        .doesNotHaveError())
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                        .hasLowCardinalityKeyValue("semel.operation", "claim")
                        .hasHighCardinalityKeyValue("semel.outcome", "executed")
                        .hasHighCardinalityKeyValue("semel.scope.operation", "POST /payments"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                        .hasHighCardinalityKeyValue("semel.outcome", "replayed"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                        .hasHighCardinalityKeyValue("semel.outcome", "mismatch"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel complete")
                        .hasLowCardinalityKeyValue("semel.operation", "complete")
                        .doesNotHaveHighCardinalityKeyValueWithKey("semel.outcome"));
    }

    @Test
    void noObservationCarriesTheKeyOrTheCaller() {
        Idempotency engine = engine(new InMemoryIdempotencyStore());
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));

        assertThat(observations).hasHandledContextsThatSatisfy(contexts -> {
            assertThat(contexts).hasSize(3);
            for (Observation.Context context : contexts) {
                KeyValues all = context.getAllKeyValues();
                assertThat(all.stream()).noneMatch(kv -> kv.getValue().contains(KEY_TEXT)
                        || kv.getValue().contains("alice"));
            }
        });
    }

    @Test
    void storeCallsNestUnderTheRequestsObservationAndTheStoreSeesTheirs() {
        List<Observation> seenByStore = new CopyOnWriteArrayList<>();
        IdempotencyStore store = new ForwardingIdempotencyStore(new InMemoryIdempotencyStore()) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                seenByStore.add(observations.getCurrentObservation());
                return super.claim(request);
            }
        };
        Idempotency engine = engine(store);
        Observation request = Observation.createNotStarted("http.server.requests", observations);
        request.observe(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid")));

        assertThat(seenByStore).singleElement().satisfies(current -> assertThat(current.getContext())
                .isInstanceOf(IdempotencyStoreObservationContext.class));
        assertThat(observations).forAllObservationsWithNameEqualTo("semel.store",
                o -> o.hasParentObservationEqualTo(request));
        assertThat(observations.getCurrentObservation()).isNull();
    }

    @Test
    void aFailedStoreCallIsAnObservationWithTheError() {
        Idempotency engine = engine(new MicrometerIdempotencyListenerTest.UnreachableStore());
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("x")))
                .isInstanceOf(IdempotencyStoreException.class);

        assertThat(observations).hasSingleObservationThat()
                .hasContextualNameEqualTo("semel claim")
                .hasError()
                .doesNotHaveHighCardinalityKeyValueWithKey("semel.outcome");
        assertThat(observations.getCurrentObservation()).isNull();
    }

    @Test
    void aClaimThatMetALiveLeaseAndThenWaitedIsMarkedInProgress() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        Idempotency engine = engine(new MicrometerIdempotencyListenerTest.SignallingStore(waiting),
                IdempotencyConfig.custom().waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                        .waitPollInterval(Duration.ofMillis(20)), null);
        Lease first = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        CompletableFuture<Decision> duplicate = CompletableFuture.supplyAsync(() -> engine.begin(SCOPE, KEY, FP));
        assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
        first.complete(created("paid"));
        assertThat(duplicate.get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);

        assertThat(observations)
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                        .hasHighCardinalityKeyValue("semel.outcome", "in_progress"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel await"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                        .hasHighCardinalityKeyValue("semel.outcome", "replayed"));
    }

    @Test
    void aRejectedDuplicateMarksItsClaimAsConflict() {
        Idempotency engine = engine(new InMemoryIdempotencyStore());
        Lease first = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        first.release();

        assertThat(observations).hasAnObservation(o -> o.hasContextualNameEqualTo("semel claim")
                .hasHighCardinalityKeyValue("semel.outcome", "conflict"))
                .hasAnObservation(o -> o.hasContextualNameEqualTo("semel release"));
    }

    @Test
    void aReplacedConventionNamesAndTagsTheObservations() {
        IdempotencyStoreObservationConvention custom = new DefaultIdempotencyStoreObservationConvention() {
            @Override
            public String getName() {
                return "payments.idempotency";
            }

            @Override
            public KeyValues getLowCardinalityKeyValues(IdempotencyStoreObservationContext context) {
                return super.getLowCardinalityKeyValues(context).and("region", "eu-west-1");
            }
        };
        Idempotency engine = engine(new InMemoryIdempotencyStore(), IdempotencyConfig.custom(), custom);
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));

        assertThat(observations).hasNumberOfObservationsWithNameEqualTo("payments.idempotency", 2)
                .hasNumberOfObservationsWithNameEqualTo("semel.store", 0)
                .forAllObservationsWithNameEqualTo("payments.idempotency",
                        o -> o.hasLowCardinalityKeyValue("region", "eu-west-1"));
    }

    @Test
    void backgroundRenewalsAreTimedButOpenNoRootSpan() throws Exception {
        CountDownLatch renewed = new CountDownLatch(1);
        IdempotencyStore store = new InMemoryIdempotencyStore();
        MicrometerIdempotencyListener metrics = MicrometerIdempotencyListener.builder(meters)
                .observationRegistry(observations).store(store).build();
        IdempotencyListener signalling = new IdempotencyListener() {
            @Override
            public void onEvent(IdempotencyEvent event) {
                metrics.onEvent(event);
            }

            @Override
            public void onStoreCallStart(StoreOperation operation) {
                metrics.onStoreCallStart(operation);
            }

            @Override
            public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
                metrics.onStoreCall(operation, duration, failure);
                if (operation == StoreOperation.RENEW) {
                    renewed.countDown();
                }
            }
        };
        engine = Idempotency.create(store, IdempotencyConfig.custom().listener(signalling)
                .leaseDuration(Duration.ofSeconds(30)).leaseRenewInterval(Duration.ofMillis(5)).build());
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        assertThat(renewed.await(30, TimeUnit.SECONDS)).isTrue();
        lease.release();

        assertThat(meters.get("semel.store.duration").tags("operation", "renew").timer().count()).isPositive();
        assertThat(observations).hasNumberOfObservationsWithNameEqualTo("semel.store", 2)
                .forAllObservationsWithNameEqualTo("semel.store",
                        o -> o.doesNotHaveLowCardinalityKeyValue("semel.operation", "renew"));
    }

    @Test
    void handlersAddedToTheRegistryAfterTheListenerWasBuiltStillSeeTheStoreCalls() {
        ObservationRegistry late = ObservationRegistry.create();
        IdempotencyStore store = new InMemoryIdempotencyStore();
        IdempotencyListener listener = MicrometerIdempotencyListener.builder(meters).observationRegistry(late)
                .store(store).build();
        List<String> stopped = new CopyOnWriteArrayList<>();
        late.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context.getContextualName());
            }
        });
        engine = Idempotency.create(store, IdempotencyConfig.custom().listener(listener).build());
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));

        assertThat(stopped).containsExactly("semel claim", "semel complete");
    }
}
