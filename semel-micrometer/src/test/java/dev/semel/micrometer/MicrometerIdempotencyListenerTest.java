package dev.semel.micrometer;

import dev.semel.CallOptions;
import dev.semel.Decision;
import dev.semel.FailurePolicy;
import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyEvent;
import dev.semel.IdempotencyKey;
import dev.semel.IdempotencyStoreException;
import dev.semel.InMemoryIdempotencyStore;
import dev.semel.Lease;
import dev.semel.LeaseLostException;
import dev.semel.Outcome;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import dev.semel.test.MutableClock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The meters a user sees after driving a real engine over the in-memory store. */
class MicrometerIdempotencyListenerTest {
    static final Scope SCOPE = Scope.of("alice@example.com", "POST /payments");
    static final String KEY_TEXT = "order-7f3a";
    static final IdempotencyKey KEY = IdempotencyKey.of(KEY_TEXT);
    static final Fingerprint FP = Fingerprint.of("{\"amount\":1}".getBytes(StandardCharsets.UTF_8));

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final MutableClock clock = new MutableClock();
    private Idempotency engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Idempotency engine(IdempotencyStore store, IdempotencyConfig.Builder config) {
        MicrometerIdempotencyListener listener = MicrometerIdempotencyListener.builder(meters).store(store).build();
        engine = Idempotency.create(store, config.clock(clock).listener(listener).build());
        return engine;
    }

    private Idempotency engine() {
        return engine(new InMemoryIdempotencyStore(), IdempotencyConfig.custom());
    }

    static StoredResponse created(String body) {
        return StoredResponse.of(201, List.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    private double requests(String outcome) {
        return meters.get("semel.requests").tags("outcome", outcome, "store", "memory").counter().count();
    }

    private long storeCalls(String operation, String error) {
        return meters.get("semel.store.duration").tags("operation", operation, "error", error).timer().count();
    }

    @Test
    void aFirstRequestAndItsRetryAreCountedAsExecutedAndReplayed() {
        Idempotency engine = engine();
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid again"));

        assertThat(requests("executed")).isEqualTo(1);
        assertThat(requests("replayed")).isEqualTo(1);
        assertThat(requests("conflict")).isZero();
        assertThat(storeCalls("claim", "none")).isEqualTo(2);
        assertThat(storeCalls("complete", "none")).isEqualTo(1);
        assertThat(meters.get("semel.stored.body.size").summary().totalAmount()).isEqualTo(4);
        assertThat(meters.get("semel.stored.body.size").summary().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(meters.get("semel.executions").tags("result", "completed").timer().count()).isEqualTo(1);
    }

    @Test
    void aDuplicateOfARunningRequestIsAConflictAndAnotherPayloadIsAMismatch() {
        Idempotency engine = engine();
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();

        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        assertThat(engine.begin(SCOPE, KEY, Fingerprint.of(new byte[] {1}))).isInstanceOf(Decision.Mismatch.class);
        lease.release();

        assertThat(requests("conflict")).isEqualTo(1);
        assertThat(requests("mismatch")).isEqualTo(1);
        assertThat(storeCalls("release", "none")).isEqualTo(1);
        assertThat(meters.get("semel.executions").tags("result", "released").timer().count()).isEqualTo(1);
    }

    @Test
    void requestsAnAdapterRejectsAreCountedAsRejected() {
        Idempotency engine = engine();
        engine.rejected(null);
        assertThat(requests("rejected")).isEqualTo(1);
    }

    @Test
    void aFailingStoreIsCountedAsStoreErrorAndTimedWithTheExceptionName() {
        Idempotency engine = engine(new UnreachableStore(), IdempotencyConfig.custom());
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("x")))
                .isInstanceOf(IdempotencyStoreException.class);

        assertThat(meters.get("semel.requests").tags("outcome", "store_error", "store", "unreachable").counter()
                .count()).isEqualTo(1);
        assertThat(storeCalls("claim", "IdempotencyStoreException")).isEqualTo(1);
        assertThat(storeCalls("claim", "none")).isZero();
    }

    @Test
    void runningUnprotectedAfterAStoreFailureIsCountedAsFailOpen() {
        Idempotency engine = engine(new UnreachableStore(),
                IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN));
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("x"));
        assertThat(meters.get("semel.requests").tags("outcome", "fail_open").counter().count()).isEqualTo(1);
        assertThat(meters.get("semel.requests").tags("outcome", "executed").counter().count()).isZero();
    }

    @Test
    void anAbandonedLeaseTakenOverIsCountedAndItsFormerHolderLosesIt() {
        // renewal far slower than the test, so the lease only ends by the clock moving
        Idempotency engine = engine(new InMemoryIdempotencyStore(), IdempotencyConfig.custom()
                .leaseDuration(Duration.ofMinutes(20)).leaseRenewInterval(Duration.ofMinutes(9)));
        Lease stalled = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        clock.advance(Duration.ofMinutes(21));

        Outcome second = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("second"));
        assertThatThrownBy(() -> stalled.complete(created("late"))).isInstanceOf(LeaseLostException.class);

        assertThat(second).isInstanceOf(Outcome.Executed.class);
        assertThat(meters.get("semel.lease.takeovers").counter().count()).isEqualTo(1);
        assertThat(meters.get("semel.lease.lost").counter().count()).isEqualTo(1);
        assertThat(requests("executed")).isEqualTo(2);
        assertThat(meters.get("semel.executions").tags("result", "lease_lost").timer().count()).isEqualTo(1);
    }

    @Test
    void aDuplicateThatWaitsForTheFirstAttemptRecordsItsWaitAndIsReplayed() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        IdempotencyStore signalling = new SignallingStore(waiting);
        Idempotency engine = engine(signalling, IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                .waitPollInterval(Duration.ofMillis(20)));
        Lease first = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();

        CompletableFuture<Decision> duplicate = CompletableFuture.supplyAsync(() -> engine.begin(SCOPE, KEY, FP));
        assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
        first.complete(created("paid"));

        assertThat(duplicate.get(30, TimeUnit.SECONDS)).isInstanceOf(Decision.Replay.class);
        assertThat(meters.get("semel.wait.duration").timer().count()).isEqualTo(1);
        assertThat(meters.get("semel.requests").tags("outcome", "replayed", "store", "signalling").counter()
                .count()).isEqualTo(1);
        assertThat(storeCalls("await", "none")).isPositive();
    }

    @Test
    void noMeterIsTaggedWithTheKeyOrTheCaller() {
        Idempotency engine = engine();
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> created("paid"));
        engine.begin(SCOPE, KEY, Fingerprint.of(new byte[] {2}));

        List<String> tagValues = meters.getMeters().stream().map(Meter::getId)
                .flatMap(id -> id.getTags().stream()).map(Tag::getValue).distinct().toList();
        assertThat(tagValues).isNotEmpty().noneMatch(v -> v.contains(KEY_TEXT) || v.contains("alice"));
        assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().getName()).startsWith("semel."));
    }

    @Test
    void everyMeterUsersGraphIsRegisteredBeforeTheFirstRequest() {
        MicrometerIdempotencyListener.builder(meters).storeName("jdbc").tags(Tags.of("app", "payments")).build();
        for (String outcome : List.of("executed", "replayed", "conflict", "mismatch", "rejected", "store_error",
                "fail_open")) {
            assertThat(meters.get("semel.requests").tags("outcome", outcome, "store", "jdbc", "app", "payments")
                    .counter().count()).isZero();
        }
        for (String operation : List.of("claim", "complete", "release", "renew", "find", "await")) {
            assertThat(meters.get("semel.store.duration").tags("operation", operation, "error", "none").timer())
                    .isNotNull();
        }
        assertThat(meters.find("semel.lease.takeovers").tag("store", "jdbc").counter()).isNotNull();
        assertThat(meters.find("semel.wait.duration").timer()).isNotNull();
    }

    @Test
    void theStoreTagNamesTheStoreByItsClass() {
        assertThat(MicrometerIdempotencyListener.storeName(new InMemoryIdempotencyStore())).isEqualTo("memory");
        assertThat(MicrometerIdempotencyListener.storeName(new UnreachableStore())).isEqualTo("unreachable");
        assertThat(MicrometerIdempotencyListener.storeName(new ForwardingIdempotencyStore(
                new InMemoryIdempotencyStore()) {
        })).isEqualTo("custom");
        assertThat(MicrometerIdempotencyListener.builder(meters).build().storeName()).isEqualTo("unknown");
        assertThatThrownBy(() -> MicrometerIdempotencyListener.builder(meters).storeName(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A store whose backend cannot be reached. */
    static final class UnreachableIdempotencyStore extends ForwardingIdempotencyStore {
        UnreachableIdempotencyStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            throw new IdempotencyStoreException("connection refused", null);
        }
    }

    /** Same, under the name a user's class might have (no "IdempotencyStore" suffix). */
    static final class UnreachableStore extends ForwardingIdempotencyStore {
        UnreachableStore() {
            super(new UnreachableIdempotencyStore());
        }
    }

    /** Tells the test when a duplicate starts waiting. */
    static final class SignallingStore extends ForwardingIdempotencyStore {
        private final CountDownLatch waiting;

        SignallingStore(CountDownLatch waiting) {
            super(new InMemoryIdempotencyStore());
            this.waiting = waiting;
        }

        @Override
        public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
            waiting.countDown();
            super.awaitChange(recordId, timeout);
        }
    }

}
