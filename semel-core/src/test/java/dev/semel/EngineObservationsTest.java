package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.IdempotencyEngineTest.RecordingTransactionalStore;
import dev.semel.IdempotencyEvent.Type;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a listener, an operator and an adapter observe of the engine: how long each store call
 * and each request took (measured on a ticker the store advances), the admin view, the events
 * of the transactional path, and the answers of the small engine API adapters call.
 */
class EngineObservationsTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final Fingerprint FP = Fingerprint.of(new byte[] {7});

    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> storeCalls = new CopyOnWriteArrayList<>();
    private final IdempotencyListener listener = new IdempotencyListener() {
        @Override
        public void onEvent(IdempotencyEvent event) {
            events.add(event);
        }

        @Override
        public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
            storeCalls.add(operation + " " + duration.toMillis() + "ms" + (failure == null ? "" : " failed"));
        }
    };
    private Idempotency engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Idempotency engine(IdempotencyStore store) {
        engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).ticker(nanos::get)
                .listener(listener).build());
        return engine;
    }

    private void advanceMillis(long millis) {
        nanos.addAndGet(millis * 1_000_000L);
    }

    private IdempotencyEvent first(Type type) {
        return events.stream().filter(e -> e.type() == type).findFirst().orElseThrow();
    }

    /** Every store call takes as long as the test says, on the engine's ticker. */
    private final class Slow extends ForwardingIdempotencyStore {
        Slow() {
            super(memory);
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            advanceMillis(20);
            return super.claim(request);
        }

        @Override
        public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
            advanceMillis(30);
            return super.complete(id, token, response, expiresAt, now);
        }

        @Override
        public boolean release(String recordId, long token) {
            advanceMillis(40);
            return super.release(recordId, token);
        }

        @Override
        public boolean renew(String recordId, long token, Instant deadline, Instant now) {
            advanceMillis(50);
            return super.renew(recordId, token, deadline, now);
        }

        @Override
        public void awaitChange(String recordId, Duration timeout) {
            advanceMillis(timeout.toMillis());
        }
    }

    // ------------------------------------------------------------------ durations a listener sees

    @Test
    void everyStoreCallIsReportedWithHowLongItTook() {
        engine(new Slow());
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        lease.renew();
        lease.release();
        Lease again = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        again.complete(StoredResponse.ofResult(new byte[] {1}));
        assertThat(storeCalls).containsExactly("CLAIM 20ms", "RENEW 50ms", "RELEASE 40ms", "CLAIM 20ms",
                "COMPLETE 30ms");
    }

    @Test
    void aWaitForAChangeIsReportedAsAStoreCallWithItsDuration() {
        engine = Idempotency.create(new Slow(), IdempotencyConfig.custom().clock(clock).ticker(nanos::get)
                .listener(listener).waitPolicy(WaitPolicy.waitUpTo(Duration.ofMillis(300)))
                .waitPollInterval(Duration.ofMillis(200)).build());
        engine.begin(SCOPE, KEY, FP);
        storeCalls.clear();
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        assertThat(storeCalls).containsExactly("CLAIM 20ms", "AWAIT 200ms", "CLAIM 20ms", "AWAIT 60ms",
                "CLAIM 20ms");
    }

    @Test
    void failedAndInterruptedWaitsAreReportedAsFailedStoreCalls() {
        AtomicInteger waits = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
                if (waits.incrementAndGet() == 1) {
                    throw new IdempotencyStoreException("pub/sub lost", null);
                }
                throw new InterruptedException();
            }
        }, IdempotencyConfig.custom().clock(clock).ticker(nanos::get).listener(listener)
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30))).build());
        engine.begin(SCOPE, KEY, FP);
        storeCalls.clear();
        try {
            assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.InProgress.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(storeCalls).extracting(s -> s.replaceAll(" \\d+ms", ""))
                .containsExactly("CLAIM", "AWAIT failed", "CLAIM", "AWAIT failed");
    }

    @Test
    void aReleaseOrRenewalTheStoreFailsIsReportedAsAFailedCall() {
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean release(String recordId, long token) {
                throw new IdempotencyStoreException("release failed", null);
            }

            @Override
            public boolean renew(String recordId, long token, Instant deadline, Instant now) {
                throw new IllegalStateException("renew failed");
            }
        });
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        assertThatThrownBy(lease::renew).isInstanceOf(IdempotencyStoreException.class)
                .hasMessage("The idempotency store failed to renew: renew failed");
        assertThatThrownBy(lease::release).isInstanceOf(IdempotencyStoreException.class).hasMessage("release failed");
        assertThat(storeCalls).extracting(s -> s.replaceAll(" \\d+ms", ""))
                .containsExactly("CLAIM", "RENEW failed", "RELEASE failed");
    }

    @Test
    void aCompletionTheStoreRefusesAsTooLargeIsReportedAsAFailedCallThenTheRetry() {
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                if (response.bodyRetained()) {
                    throw new StoreCapacityExceededException("too large");
                }
                return super.complete(id, token, response, expiresAt, now);
            }
        });
        engine.execute(SCOPE, IdempotencyKey.of("big"), FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.ofResult(new byte[] {1}));
        assertThat(storeCalls).extracting(s -> s.replaceAll(" \\d+ms", ""))
                .containsExactly("CLAIM", "COMPLETE failed", "COMPLETE");
    }

    @Test
    void aFailedCompletionThatIsRetriedIsReportedOncePerAttempt() {
        AtomicInteger completes = new AtomicInteger();
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                if (completes.incrementAndGet() == 1) {
                    throw new IdempotencyStoreException("timed out", null);
                }
                return super.complete(id, token, response, expiresAt, now);
            }
        });
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> StoredResponse.ofResult(new byte[] {1}));
        assertThat(storeCalls).extracting(s -> s.replaceAll(" \\d+ms", ""))
                .containsExactly("CLAIM", "COMPLETE failed", "COMPLETE");
    }

    @Test
    void eventsCarryTheClaimTimeAndTheWholeExecutionTime() {
        engine(new Slow());
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            advanceMillis(1_000);
            return StoredResponse.of(201, List.of(), new byte[] {1, 2, 3});
        });
        engine.begin(SCOPE, KEY, FP);
        assertThat(first(Type.EXECUTED).duration()).isEqualTo(Duration.ofMillis(20));
        IdempotencyEvent completed = first(Type.COMPLETED);
        assertThat(completed.duration()).as("from the claim's answer to the completion's")
                .isEqualTo(Duration.ofMillis(1_030));
        assertThat(completed.status()).isEqualTo(201);
        assertThat(completed.bodyBytes()).isEqualTo(3);
        IdempotencyEvent replayed = first(Type.REPLAYED);
        assertThat(replayed.duration()).isEqualTo(Duration.ofMillis(20));
        assertThat(replayed.status()).isEqualTo(201);
    }

    @Test
    void aTakeoverIsReportedWithItsClaimTime() {
        engine(new Slow());
        engine.begin(SCOPE, KEY, FP);
        clock.advance(Duration.ofMinutes(5));
        engine.begin(SCOPE, KEY, FP);
        assertThat(events).extracting(IdempotencyEvent::type)
                .containsExactly(Type.EXECUTED, Type.LEASE_TAKEN_OVER, Type.EXECUTED);
        assertThat(first(Type.LEASE_TAKEN_OVER).duration()).isEqualTo(Duration.ofMillis(20));
    }

    // ------------------------------------------------------------------ a completion whose first try failed

    @Test
    void aRetriedCompletionThatFindsTheKeyTakenOverLosesTheLease() {
        AtomicInteger completes = new AtomicInteger();
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                if (completes.incrementAndGet() == 1) {
                    // the store failed, and meanwhile the record was deleted and claimed by another caller
                    memory.delete(id);
                    memory.claim(new ClaimRequest(id, KEY.value(), SCOPE.toString(), FP.bytes(), "other", 99,
                            now.plusSeconds(30), now.plusSeconds(3600), now));
                    throw new IdempotencyStoreException("timed out", null);
                }
                return super.complete(id, token, response, expiresAt, now);
            }
        });
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        assertThatThrownBy(() -> lease.complete(StoredResponse.ofResult(new byte[] {1})))
                .isInstanceOf(LeaseLostException.class);
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);
        IdempotencyRecord record = memory.find(SCOPE.recordId(KEY), clock.instant()).orElseThrow();
        assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(record.fencingToken()).isEqualTo(99);
    }

    @Test
    void aCompletionInsideAStoreTransactionIsNeverRetried() {
        AtomicInteger completes = new AtomicInteger();
        engine(new RecordingTransactionalStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                completes.incrementAndGet();
                throw new IdempotencyStoreException("could not serialize access", null);
            }
        });
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.ofResult(new byte[] {1}))).isInstanceOf(IdempotencyStoreException.class);
        assertThat(completes).as("the transaction is aborted: a retry inside it cannot succeed").hasValue(1);
    }

    // ------------------------------------------------------------------ the transactional path's events

    @Test
    void aTransactionThatFailsAfterTheOperationRanIsReportedAsAStoreError() {
        engine(new RecordingTransactionalStore(memory) {
            @Override
            public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
                super.inTransaction(work);
                throw new IdempotencyStoreException("commit failed", null);
            }
        });
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.ofResult(new byte[] {1}))).isInstanceOf(StoreUnavailableException.class);
        IdempotencyEvent error = first(Type.STORE_ERROR);
        assertThat(error.error()).hasMessage("commit failed");
        assertThat(error.key()).isEqualTo(KEY);
    }

    @Test
    void anOutcomeNotStoredInATransactionIsReportedAsReleased() {
        engine(new RecordingTransactionalStore(memory));
        Outcome outcome = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.of(503, List.of(), new byte[0]));
        assertThat(outcome).isInstanceOf(Outcome.Executed.class);
        assertThat(events).extracting(IdempotencyEvent::type).containsExactly(Type.EXECUTED, Type.RELEASED);
    }

    @Test
    void aClaimInsideATransactionThatFailsWithARawExceptionRollsBackAndAnswersAsAStoreFailure() {
        RecordingTransactionalStore store = new RecordingTransactionalStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new IllegalStateException("driver bug");
            }
        };
        engine(store);
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.ofResult(new byte[] {1}))).isInstanceOf(IdempotencyStoreException.class)
                .hasRootCauseMessage("driver bug");
        assertThat(store.log).containsExactly("begin", "rollback");
    }

    @Test
    void aConfiguredOutcomePolicyDecidesWhatIsStored() {
        engine = Idempotency.create(memory, IdempotencyConfig.custom().outcomePolicy(status -> status != 201)
                .clock(clock).build());
        Outcome created = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.of(201, List.of(), new byte[0]));
        assertThat(((Outcome.Executed) created).stored()).isFalse();
        assertThat(memory.find(SCOPE.recordId(KEY), clock.instant())).isEmpty();
    }

    // ------------------------------------------------------------------ the engine API adapters call

    @Test
    void anEngineCompletesInTheStoreTransactionExactlyWhenItsStoreIsTransactional() {
        assertThat(engine(memory).completesInStoreTransaction()).isFalse();
        engine.close();
        assertThat(engine(new RecordingTransactionalStore(memory)).completesInStoreTransaction()).isTrue();
    }

    @Test
    void aRejectedRequestIsReportedOnlyToARealListener() {
        engine(memory).rejected(KEY);
        engine.rejected(null);
        assertThat(events).extracting(IdempotencyEvent::type).containsExactly(Type.REJECTED, Type.REJECTED);
        assertThat(events.get(0).key()).isEqualTo(KEY);
        assertThat(events.get(0).scope()).isNull();
        assertThat(events.get(1).key()).isNull();
    }

    @Test
    void releasingAfterAFailureAddsAFailedReleaseToTheFailureAndDoesNothingOnAnEndedLease() {
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean release(String recordId, long token) {
                throw new IdempotencyStoreException("release failed", null);
            }
        });
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        IllegalStateException failure = new IllegalStateException("operation failed");
        lease.releaseAfterFailure(failure);
        assertThat(failure.getSuppressed()).singleElement().satisfies(s -> assertThat(s).hasMessage("release failed"));
        lease.releaseAfterFailure(null); // logged, not thrown

        Lease done = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("done"), FP)).lease();
        done.complete(StoredResponse.ofResult(new byte[0]));
        IllegalStateException later = new IllegalStateException("failed after completing");
        done.releaseAfterFailure(later);
        assertThat(later.getSuppressed()).as("an ended lease is left alone").isEmpty();
        assertThat(done.status()).isEqualTo(Lease.Status.COMPLETED);
    }

    // ------------------------------------------------------------------ the operator's view

    @Test
    void theAdminViewListsLooksUpAndDeletesRecords() {
        engine(memory);
        engine.begin(SCOPE, KEY, FP);
        engine.execute(SCOPE, IdempotencyKey.of("done"), FP, CallOptions.DEFAULTS,
                lease -> StoredResponse.ofResult(new byte[] {1}));
        IdempotencyAdmin admin = engine.admin();

        assertThat(admin.records(RecordQuery.all())).extracting(IdempotencyRecord::key)
                .containsExactlyInAnyOrder("order-7", "done");
        assertThat(admin.records(RecordQuery.all().withState(RecordState.IN_PROGRESS)))
                .extracting(IdempotencyRecord::key).containsExactly("order-7");
        String id = SCOPE.recordId(KEY);
        assertThat(admin.record(id)).map(IdempotencyRecord::key).contains("order-7");
        assertThat(admin.record(SCOPE, IdempotencyKey.of("done"))).map(IdempotencyRecord::state)
                .contains(RecordState.COMPLETED);

        assertThat(admin.delete(id)).isTrue();
        assertThat(admin.delete(id)).as("already gone").isFalse();
        assertThat(admin.record(SCOPE, KEY)).isEmpty();
        assertThat(engine.begin(SCOPE, KEY, FP)).as("the key can be used again").isInstanceOf(Decision.Execute.class);
    }

    @Test
    void theAdminViewJudgesExpiryByTheEnginesClock() {
        engine(memory);
        engine.execute(SCOPE, KEY, FP, CallOptions.custom().ttl(Duration.ofMinutes(1)).build(),
                lease -> StoredResponse.ofResult(new byte[] {1}));
        assertThat(engine.admin().record(SCOPE, KEY)).isPresent();
        clock.advance(Duration.ofMinutes(2));
        assertThat(engine.admin().record(SCOPE, KEY)).isEmpty();
        assertThat(engine.admin().records(RecordQuery.all())).isEmpty();
    }

    @Test
    void theHealthCheckLooksUpTheProbeAndPassesOnAFailure() {
        List<String> looked = new CopyOnWriteArrayList<>();
        engine(new ForwardingIdempotencyStore(memory) {
            @Override
            public java.util.Optional<IdempotencyRecord> find(String recordId, Instant now) {
                looked.add(recordId);
                throw new IdempotencyStoreException("down", null);
            }
        });
        assertThatThrownBy(() -> engine.admin().check()).hasMessage("down");
        assertThat(looked).containsExactly(IdempotencyAdmin.PROBE_RECORD_ID);
    }
}
