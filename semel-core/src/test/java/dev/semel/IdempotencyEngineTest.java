package dev.semel;

import dev.semel.IdempotencyEvent.Type;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdempotencyEngineTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final Fingerprint FP = Fingerprint.of("{\"amount\":1}".getBytes(StandardCharsets.UTF_8));

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();
    private final IdempotencyListener recorder = new IdempotencyListener() {
        @Override
        public void onEvent(IdempotencyEvent event) {
            events.add(event);
        }
    };
    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private Idempotency engine = engine(memory, IdempotencyConfig.custom());

    private Idempotency engine(IdempotencyStore store, IdempotencyConfig.Builder config) {
        return Idempotency.create(store, config.clock(clock).listener(recorder).build());
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private static StoredResponse ok(String body) {
        return StoredResponse.of(201, List.of(new StoredResponse.Header("Content-Type", "text/plain")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    private List<Type> eventTypes() {
        return events.stream().map(IdempotencyEvent::type).toList();
    }

    @Test
    void firstRequestExecutesAndTheRetryReplaysTheStoredResponse() {
        Outcome first = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("paid"));
        Outcome retry = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("paid twice"));

        assertThat(first).isEqualTo(new Outcome.Executed(ok("paid"), true));
        assertThat(retry).isEqualTo(new Decision.Replay(ok("paid")));
        assertThat(eventTypes()).containsExactly(Type.EXECUTED, Type.COMPLETED, Type.REPLAYED);
        assertThat(events.get(1).status()).isEqualTo(201);
        assertThat(events.get(1).bodyBytes()).isEqualTo(4);
    }

    @Test
    void sameKeyWithAnotherPayloadIsAMismatchWhetherCompletedOrRunning() {
        Decision running = engine.begin(SCOPE, KEY, FP);
        Fingerprint other = Fingerprint.of(new byte[] {9});
        assertThat(engine.begin(SCOPE, KEY, other)).isEqualTo(new Decision.Mismatch(KEY));

        ((Decision.Execute) running).lease().complete(ok("x"));
        assertThat(engine.begin(SCOPE, KEY, other)).isEqualTo(new Decision.Mismatch(KEY));
        assertThat(eventTypes()).contains(Type.MISMATCH);
    }

    @Test
    void duplicateWhileRunningIsToldWhenTheLeaseEnds() {
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        clock.advance(Duration.ofMillis(10_500));

        Decision duplicate = engine.begin(SCOPE, KEY, FP);

        assertThat(duplicate).isEqualTo(new Decision.InProgress(Duration.ofSeconds(20)));
        assertThat(eventTypes()).endsWith(Type.CONFLICT);
        lease.release();
    }

    @Test
    void retryAfterIsAtLeastOneSecond() {
        engine.begin(SCOPE, KEY, FP);
        clock.advance(Duration.ofMillis(29_999));
        assertThat(engine.begin(SCOPE, KEY, FP)).isEqualTo(new Decision.InProgress(Duration.ofSeconds(1)));
    }

    @Test
    void exceptionsReleaseTheKeyAndPropagateUnchanged() {
        IOException failure = new IOException("provider down");
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            throw failure;
        })).isSameAs(failure);

        Outcome retry = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("second try"));
        assertThat(retry).isEqualTo(new Outcome.Executed(ok("second try"), true));
        assertThat(eventTypes()).containsExactly(Type.EXECUTED, Type.RELEASED, Type.EXECUTED, Type.COMPLETED);
    }

    @Test
    void outcomesThatAreNotFinalReleaseTheKey() {
        StoredResponse unavailable = StoredResponse.of(503, List.of(), new byte[0]);
        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> unavailable))
                .isEqualTo(new Outcome.Executed(unavailable, false));
        StoredResponse declined = StoredResponse.of(402, List.of(), "declined".getBytes(StandardCharsets.UTF_8));
        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> declined))
                .isEqualTo(new Outcome.Executed(declined, true));
        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("never")))
                .isEqualTo(new Decision.Replay(declined));
    }

    @Test
    void perCallOptionsOverrideTtlAndOutcomePolicy() {
        CallOptions options = CallOptions.custom().ttl(Duration.ofMinutes(5))
                .outcomePolicy(OutcomePolicy.includingServerErrors()).build();
        StoredResponse error = StoredResponse.of(500, List.of(), new byte[0]);
        engine.execute(SCOPE, KEY, FP, options, lease -> error);
        assertThat(engine.begin(SCOPE, KEY, FP)).isEqualTo(new Decision.Replay(error));
        clock.advance(Duration.ofMinutes(5));
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.Execute.class);
    }

    @Test
    void staleHolderCannotCompleteAfterATakeover() {
        Lease zombie = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        clock.advance(Duration.ofSeconds(31));
        Lease owner = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();

        assertThat(owner.fencingToken()).isEqualTo(zombie.fencingToken() + 1);
        assertThatThrownBy(() -> zombie.complete(ok("zombie"))).isInstanceOf(LeaseLostException.class);
        assertThat(zombie.status()).isEqualTo(Lease.Status.LOST);
        assertThatThrownBy(zombie::release).isInstanceOf(LeaseLostException.class);
        owner.complete(ok("owner"));
        assertThat(engine.begin(SCOPE, KEY, FP)).isEqualTo(new Decision.Replay(ok("owner")));
        assertThat(eventTypes()).contains(Type.LEASE_TAKEN_OVER, Type.LEASE_LOST);
    }

    @Test
    void aLeaseEndsOnlyOnce() {
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        lease.complete(ok("a"));
        assertThatThrownBy(() -> lease.complete(ok("b"))).isInstanceOf(IllegalStateException.class);
        lease.close(); // no-op once ended
        assertThat(engine.begin(SCOPE, KEY, FP)).isEqualTo(new Decision.Replay(ok("a")));
    }

    @Test
    void closingAnUnfinishedLeaseReleasesTheKey() {
        try (Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease()) {
            assertThat(lease.isActive()).isTrue();
        }
        assertThat(engine.begin(SCOPE, KEY, FP)).isInstanceOf(Decision.Execute.class);
    }

    @Test
    void leaseIsRenewedInTheBackgroundWhileTheOperationRunsToAFullLeaseFromNow() throws Exception {
        Duration leaseDuration = Duration.ofMillis(300);
        Instant claimedAt = clock.instant();
        Instant later = claimedAt.plus(Duration.ofMinutes(1));
        // counts only the renewals made after the clock moved, so each must push the deadline forward
        CountDownLatch renewed = new CountDownLatch(2);
        IdempotencyStore counting = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean renew(String recordId, long token, Instant deadline, Instant now) {
                boolean ok = super.renew(recordId, token, deadline, now);
                if (ok && now.equals(later)) {
                    renewed.countDown();
                }
                return ok;
            }
        };
        engine.close();
        engine = engine(counting, IdempotencyConfig.custom().leaseDuration(leaseDuration)
                .leaseRenewInterval(Duration.ofMillis(20)));
        String recordId = SCOPE.recordId(KEY);
        Outcome outcome = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            assertThat(memory.find(recordId, clock.instant()).orElseThrow().leaseDeadline())
                    .isEqualTo(claimedAt.plus(leaseDuration));
            clock.advance(Duration.ofMinutes(1));
            assertThat(renewed.await(30, TimeUnit.SECONDS)).isTrue();
            IdempotencyRecord record = memory.find(recordId, clock.instant()).orElseThrow();
            assertThat(record.leaseDeadline()).as("moved to now + the lease duration")
                    .isEqualTo(later.plus(leaseDuration));
            assertThat(record.isLeaseLive(later)).isTrue();
            return ok("slow");
        });
        assertThat(outcome).isInstanceOf(Outcome.Executed.class);
        assertThat(memory.find(recordId, clock.instant()).orElseThrow().state())
                .isEqualTo(RecordState.COMPLETED);
    }

    @Test
    void backgroundRenewalNoticesALostLease() throws Exception {
        engine.close();
        CountDownLatch lost = new CountDownLatch(1);
        engine = Idempotency.create(memory, IdempotencyConfig.custom().clock(clock)
                .leaseDuration(Duration.ofSeconds(3)).leaseRenewInterval(Duration.ofMillis(20))
                .listener(new IdempotencyListener() {
                    @Override
                    public void onEvent(IdempotencyEvent event) {
                        if (event.type() == Type.LEASE_LOST) {
                            lost.countDown();
                        }
                    }
                }).build());
        Lease lease = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        memory.delete(SCOPE.recordId(KEY));
        assertThat(lost.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(lease.status()).isEqualTo(Lease.Status.LOST);
        assertThatThrownBy(() -> lease.complete(ok("late"))).isInstanceOf(LeaseLostException.class);
    }

    @Test
    void storeFailureFailsClosedWithRetryAfter() {
        engine.close();
        engine = engine(new BrokenStore(), IdempotencyConfig.custom().storeFailureRetryAfter(Duration.ofSeconds(3)));
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            runs.incrementAndGet();
            return ok("x");
        })).isInstanceOfSatisfying(IdempotencyStoreException.class,
                e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(3)));
        assertThat(runs).hasValue(0);
        assertThat(eventTypes()).containsExactly(Type.STORE_ERROR);
    }

    @Test
    void failOpenRunsTheOperationUnprotectedAndSaysSo() {
        engine.close();
        engine = engine(new BrokenStore(), IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN));
        Outcome outcome = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("unprotected"));
        assertThat(outcome).isEqualTo(new Outcome.Executed(ok("unprotected"), true));
        assertThat(eventTypes()).containsExactly(Type.FAIL_OPEN);
        assertThat(events.get(0).error()).hasMessageContaining("connection refused");
    }

    @Test
    void aFailingListenerNeverChangesTheOutcome() {
        engine.close();
        engine = Idempotency.create(memory, IdempotencyConfig.custom().listener(new IdempotencyListener() {
            @Override
            public void onEvent(IdempotencyEvent event) {
                throw new IllegalStateException("metrics backend down");
            }

            @Override
            public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
                throw new IllegalStateException("metrics backend down");
            }
        }).build());
        assertThat(engine.once(SCOPE, KEY, new byte[0], ResultCodec.utf8(), () -> "fine")).isEqualTo("fine");
    }

    @Test
    void waitPolicyRunsTheOperationWhenTheFirstAttemptReleases() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        IdempotencyStore signalling = new ForwardingIdempotencyStore(memory) {
            @Override
            public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
                waiting.countDown();
                super.awaitChange(recordId, timeout);
            }
        };
        engine.close();
        engine = engine(signalling, IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                .waitPollInterval(Duration.ofMillis(10)));
        Lease first = ((Decision.Execute) engine.begin(SCOPE, KEY, FP)).lease();
        Thread releaser = new Thread(() -> {
            try {
                if (waiting.await(30, TimeUnit.SECONDS)) {
                    first.release();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        releaser.start();
        Decision waiter = engine.begin(SCOPE, KEY, FP);
        releaser.join();
        assertThat(waiter).isInstanceOf(Decision.Execute.class);
        // the releaser reports RELEASED on its own thread, so only the waiter's order is fixed
        assertThat(eventTypes()).containsExactlyInAnyOrder(Type.EXECUTED, Type.RELEASED, Type.EXECUTED, Type.WAITED);
        assertThat(eventTypes().subList(1, 4)).containsSubsequence(Type.EXECUTED, Type.WAITED);
    }

    @Test
    void waitPolicyGivesUpAfterItsBound() {
        engine.begin(SCOPE, KEY, FP);
        Decision late = engine.begin(SCOPE, KEY, FP, CallOptions.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofMillis(30))).build());
        assertThat(late).isInstanceOf(Decision.InProgress.class);
        assertThat(eventTypes()).endsWith(Type.WAITED, Type.CONFLICT);
    }

    @Test
    void onceReturnsTheStoredResultAndRefusesReuse() {
        AtomicInteger charges = new AtomicInteger();
        byte[] payload = "12.50 EUR".getBytes(StandardCharsets.UTF_8);
        String first = engine.once(SCOPE, KEY, payload, ResultCodec.utf8(), () -> "receipt-" + charges.incrementAndGet());
        String again = engine.once(SCOPE, KEY, payload, ResultCodec.utf8(), () -> "receipt-" + charges.incrementAndGet());
        assertThat(first).isEqualTo(again).isEqualTo("receipt-1");
        assertThatThrownBy(() -> engine.once(SCOPE, KEY, new byte[] {1}, ResultCodec.utf8(), () -> "other"))
                .isInstanceOf(IdempotencyMismatchException.class).hasMessageContaining("order-7");
        Lease running = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("busy"), Fingerprint.of(payload)))
                .lease();
        assertThatThrownBy(() -> engine.once(SCOPE, IdempotencyKey.of("busy"), payload, ResultCodec.utf8(), () -> "x"))
                .isInstanceOfSatisfying(IdempotencyInProgressException.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(30)));
        running.release();
    }

    // ---------------------------------------------------------------- transactional mode

    @Test
    void transactionalStoreCommitsTheRecordWithTheOperation() {
        RecordingTransactionalStore tx = new RecordingTransactionalStore(memory);
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        Outcome outcome = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            assertThat(tx.inTransaction).isTrue();
            return ok("paid");
        });
        assertThat(outcome).isEqualTo(new Outcome.Executed(ok("paid"), true));
        assertThat(tx.log).containsExactly("begin", "claim", "complete", "commit");
    }

    /** A transactional store that answers completed records from a read before the transaction. */
    static class ReadingFirst extends RecordingTransactionalStore {
        ReadingFirst(IdempotencyStore delegate) {
            super(delegate);
        }

        @Override
        public Optional<IdempotencyRecord> findCompleted(ClaimRequest request) {
            log.add("read");
            return find(request.recordId(), request.now()).filter(r -> r.state() == RecordState.COMPLETED);
        }

        @Override
        public boolean findsCompleted() {
            return true;
        }
    }

    @Test
    void aTransactionalStoreThatDoesNotReadFirstIsNotAskedToAndEveryRequestBeginsATransaction() {
        ReadingFirst tx = new ReadingFirst(memory) {
            @Override
            public boolean findsCompleted() {
                return false;
            }
        };
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("paid"));
        tx.log.clear();

        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("twice")))
                .isInstanceOf(Decision.Replay.class);
        assertThat(tx.log).containsExactly("begin", "claim", "commit");
    }

    @Test
    void aCompletedRecordTheTransactionalStoreReadsFirstIsReplayedWithoutATransaction() {
        ReadingFirst tx = new ReadingFirst(memory);
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("paid")))
                .isEqualTo(new Outcome.Executed(ok("paid"), true));
        assertThat(tx.log).containsExactly("read", "begin", "claim", "complete", "commit");
        tx.log.clear();

        Outcome replay = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("twice"));
        Outcome mismatch = engine.execute(SCOPE, KEY, Fingerprint.of(new byte[] {9}), CallOptions.DEFAULTS,
                lease -> ok("other"));

        assertThat(replay).isInstanceOf(Decision.Replay.class);
        assertThat(((Decision.Replay) replay).response()).isEqualTo(ok("paid"));
        assertThat(mismatch).isInstanceOf(Decision.Mismatch.class);
        assertThat(tx.log).containsExactly("read", "read");
    }

    @Test
    void theReadBeforeTheTransactionStopsWhileReplaysAreRareAndComesBackWithThem() {
        ReadingFirst tx = new ReadingFirst(memory);
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        // a run of new keys: the read, which only answers replays, soon stops being made
        for (int i = 0; i < 100; i++) {
            engine.execute(SCOPE, IdempotencyKey.of("new-" + i), FP, CallOptions.DEFAULTS, lease -> ok("paid"));
        }
        tx.log.clear();
        engine.execute(SCOPE, IdempotencyKey.of("one-more"), FP, CallOptions.DEFAULTS, lease -> ok("paid"));
        assertThat(tx.log).containsExactly("begin", "claim", "complete", "commit");

        // a retry is still answered, by the claim in the transaction
        tx.log.clear();
        Outcome retry = engine.execute(SCOPE, IdempotencyKey.of("new-7"), FP, CallOptions.DEFAULTS,
                lease -> ok("twice"));
        assertThat(((Decision.Replay) retry).response()).isEqualTo(ok("paid"));
        assertThat(tx.log).containsExactly("begin", "claim", "commit");

        // a storm of retries: within a few dozen, replays are read without a transaction again
        for (int i = 0; i < 100; i++) {
            engine.execute(SCOPE, IdempotencyKey.of("new-" + (i % 10)), FP, CallOptions.DEFAULTS, lease -> ok("x"));
        }
        tx.log.clear();
        Outcome read = engine.execute(SCOPE, IdempotencyKey.of("new-7"), FP, CallOptions.DEFAULTS,
                lease -> ok("twice"));
        assertThat(((Decision.Replay) read).response()).isEqualTo(ok("paid"));
        assertThat(tx.log).containsExactly("read");
    }

    @Test
    void aFailedReadBeforeTheTransactionIsAStoreFailureAndBeginsNothing() {
        ReadingFirst tx = new ReadingFirst(memory) {
            @Override
            public Optional<IdempotencyRecord> findCompleted(ClaimRequest request) {
                log.add("read");
                throw new IdempotencyStoreException("connection refused", null);
            }
        };
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());

        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("paid")))
                .isInstanceOf(StoreUnavailableException.class);
        assertThat(tx.log).containsExactly("read");
    }

    @Test
    void transactionalStoreRollsBackOutcomesThatAreNotStoredAndExceptions() {
        RecordingTransactionalStore tx = new RecordingTransactionalStore(memory);
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        StoredResponse unavailable = StoredResponse.of(503, List.of(), new byte[0]);
        assertThat(engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> unavailable))
                .isEqualTo(new Outcome.Executed(unavailable, false));
        assertThat(tx.log).containsExactly("begin", "claim", "rollback");

        tx.log.clear();
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(tx.log).containsExactly("begin", "claim", "rollback");
    }

    @Test
    void transactionalStoreRollsBackAndAnswersInProgressWhenTheLeaseWasTakenOver() {
        RecordingTransactionalStore tx = new RecordingTransactionalStore(memory) {
            @Override
            public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt,
                    Instant now) {
                log.add("complete");
                return false;
            }
        };
        engine.close();
        engine = engine(tx, IdempotencyConfig.custom());
        Outcome outcome = engine.execute(SCOPE, KEY, FP, CallOptions.DEFAULTS, lease -> ok("zombie"));
        assertThat(outcome).isInstanceOf(Decision.InProgress.class);
        assertThat(tx.log).containsExactly("begin", "claim", "complete", "rollback");
    }

    /** A store whose server is gone. */
    static final class BrokenStore extends ForwardingIdempotencyStore {
        BrokenStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            throw new IdempotencyStoreException("connection refused", null);
        }
    }

    /** Logs transaction boundaries and store calls made inside them; a rollback undoes the claims. */
    static class RecordingTransactionalStore extends ForwardingIdempotencyStore implements TransactionalIdempotencyStore {
        final List<String> log = new CopyOnWriteArrayList<>();
        final List<String> claimedInTransaction = new CopyOnWriteArrayList<>();
        volatile boolean inTransaction;

        RecordingTransactionalStore(IdempotencyStore delegate) {
            super(delegate);
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            log.add("begin");
            inTransaction = true;
            try {
                T result = work.run();
                log.add("commit");
                return result;
            } catch (RuntimeException | Error e) {
                rollback();
                throw e;
            } catch (Exception e) {
                rollback();
                throw e;
            } finally {
                inTransaction = false;
                claimedInTransaction.clear();
            }
        }

        private void rollback() {
            log.add("rollback");
            claimedInTransaction.forEach(this::delete);
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            log.add("claim");
            ClaimResult result = super.claim(request);
            if (result instanceof ClaimResult.Claimed) {
                claimedInTransaction.add(request.recordId());
            }
            return result;
        }

        @Override
        public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt, Instant now) {
            log.add("complete");
            return super.complete(recordId, token, response, expiresAt, now);
        }
    }
}
