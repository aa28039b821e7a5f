package dev.semel;

import dev.semel.IdempotencyEngineTest.RecordingTransactionalStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the engine does when the store fails after the operation ran, or cannot keep its result. */
class FailurePathsTest {
    private static final Scope SCOPE = Scope.of("alice", "charge");
    private static final IdempotencyKey KEY = IdempotencyKey.of("order-7");
    private static final byte[] PAYLOAD = "12.50 EUR".getBytes(StandardCharsets.UTF_8);

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final AtomicInteger runs = new AtomicInteger();
    private Idempotency engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private String charge() {
        return "receipt-" + runs.incrementAndGet();
    }

    private String once() {
        return engine.once(SCOPE, KEY, PAYLOAD, ResultCodec.utf8(), this::charge);
    }

    // ------------------------------------------------------------------ results the store cannot keep

    @Test
    void aResultTheStoreRefusesAsTooLargeCompletesTheRecordAsNotRetainedAndNeverRunsAgain() {
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                if (response.bodyLength() > 4) {
                    throw new StoreCapacityExceededException("body over 4 bytes");
                }
                return super.complete(id, token, response, expiresAt, now);
            }
        });
        assertThat(once()).isEqualTo("receipt-1");
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyResultNotRetainedException.class)
                .hasMessageContaining("order-7");
        assertThat(runs).hasValue(1);
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().response().bodyRetained()).isFalse();
    }

    // ------------------------------------------------------------------ complete retried

    @Test
    void aCompleteThatFailsOnceIsRetriedWhileTheLeaseIsValid() {
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                if (completes.incrementAndGet() == 1) {
                    throw new IdempotencyStoreException("Command timed out after 2 second(s)", null);
                }
                return super.complete(id, token, response, expiresAt, now);
            }
        });
        assertThat(once()).isEqualTo("receipt-1");
        assertThat(once()).as("replayed").isEqualTo("receipt-1");
        assertThat(runs).hasValue(1);
        assertThat(completes).hasValue(2);
    }

    @Test
    void aCompleteWhoseAnswerWasLostButWhichTookEffectCountsAsCompleted() {
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                boolean done = super.complete(id, token, response, expiresAt, now);
                if (completes.incrementAndGet() == 1) {
                    throw new IdempotencyStoreException("connection reset after the write", null);
                }
                return done;
            }
        });
        assertThat(once()).isEqualTo("receipt-1");
        assertThat(once()).isEqualTo("receipt-1");
        assertThat(runs).hasValue(1);
    }

    @Test
    void aCompleteThatKeepsFailingAnswersAStoreErrorAndNeverReleasesTheKey() {
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                completes.incrementAndGet();
                throw new IdempotencyStoreException("the store is down", null);
            }
        }, IdempotencyConfig.custom().completeAttempts(3).build());
        Lease[] held = new Lease[1];
        assertThatThrownBy(() -> engine.execute(SCOPE, KEY, Fingerprint.of(PAYLOAD), CallOptions.DEFAULTS, lease -> {
            held[0] = lease;
            runs.incrementAndGet();
            return StoredResponse.ofResult(new byte[] {1});
        })).isInstanceOf(IdempotencyStoreException.class).hasMessageContaining("the store is down");
        assertThat(completes).hasValue(3);
        assertThat(held[0].status()).isEqualTo(Lease.Status.ABANDONED);
        held[0].close();
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().state())
                .as("still claimed: a duplicate must not run it again while the lease lasts")
                .isEqualTo(RecordState.IN_PROGRESS);
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyInProgressException.class);
        assertThat(runs).hasValue(1);
    }

    @Test
    void aCompleteIsNotRetriedOnceTheLeaseMayHaveEnded() {
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                completes.incrementAndGet();
                throw new IdempotencyStoreException("the store is down", null);
            }
        }, IdempotencyConfig.custom().completeAttempts(10).leaseDuration(Duration.ofMillis(1200)).build());
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyStoreException.class);
        assertThat(completes.get()).as("retries stop a second before the lease could end, not after 10 attempts")
                .isBetween(1, 3);
        assertThat(runs).hasValue(1);
    }

    // ------------------------------------------------------------------ raw driver exceptions

    /** What a store that does not wrap its driver's failures throws: not the engine's own exception. */
    private static RuntimeException driverFailure() {
        return new java.io.UncheckedIOException("Connection reset by peer",
                new java.net.SocketException("Connection reset by peer"));
    }

    @Test
    void aRawDriverExceptionFromClaimReachesTheCallerAsAStoreExceptionAndTheOperationDoesNotRun() {
        RuntimeException raw = driverFailure();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw raw;
            }
        }, IdempotencyConfig.custom().storeFailureRetryAfter(Duration.ofSeconds(3)).build());
        assertThatThrownBy(this::once).isInstanceOfSatisfying(IdempotencyStoreException.class,
                e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(3))).hasCause(raw);
        assertThat(runs).hasValue(0);
    }

    @Test
    void aRawDriverExceptionFromClaimInsideATransactionReachesTheCallerAsAStoreException() {
        RuntimeException raw = driverFailure();
        RecordingTransactionalStore failingClaim = new RecordingTransactionalStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw raw;
            }
        };
        engine = Idempotency.create(failingClaim);
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyStoreException.class).hasRootCause(raw.getCause());
        assertThat(runs).hasValue(0);
        assertThat(failingClaim.log).containsExactly("begin", "rollback");
    }

    @Test
    void aRawDriverExceptionFromCompleteIsAStoreErrorAfterTheOperationRanOnceAndTheKeyStaysHeld() {
        RuntimeException raw = driverFailure();
        AtomicInteger completes = new AtomicInteger();
        engine = Idempotency.create(new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean complete(String id, long token, StoredResponse response, Instant expiresAt, Instant now) {
                completes.incrementAndGet();
                throw raw;
            }
        }, IdempotencyConfig.custom().completeAttempts(2).build());
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyStoreException.class).hasCause(raw)
                .hasMessageContaining("complete");
        assertThat(runs).as("the operation ran").hasValue(1);
        assertThat(completes).as("retried once, as configured").hasValue(2);
        assertThat(memory.find(SCOPE.recordId(KEY), Instant.now()).orElseThrow().state())
                .as("not released: the operation's effect may have happened").isEqualTo(RecordState.IN_PROGRESS);
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyInProgressException.class);
        assertThat(runs).as("a duplicate does not run it again while the lease lasts").hasValue(1);
    }

    // ------------------------------------------------------------------ fail-open never re-runs

    @Test
    void failOpenNeverRunsTheOperationAgainWhenTheTransactionFailsAfterItRan() {
        RecordingTransactionalStore failingCommit = new RecordingTransactionalStore(memory) {
            @Override
            public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
                super.inTransaction(work);
                throw new IdempotencyStoreException("commit failed: could not serialize access", null);
            }
        };
        engine = Idempotency.create(failingCommit,
                IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN).build());
        assertThatThrownBy(this::once).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("after the operation ran");
        assertThat(runs).hasValue(1);
    }

    @Test
    void failOpenStillRunsOnceUnprotectedWhenTheClaimInsideTheTransactionFails() {
        RecordingTransactionalStore failingClaim = new RecordingTransactionalStore(memory) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new IdempotencyStoreException("connection refused", null);
            }
        };
        engine = Idempotency.create(failingClaim,
                IdempotencyConfig.custom().failurePolicy(FailurePolicy.FAIL_OPEN).build());
        assertThat(once()).isEqualTo("receipt-1");
        assertThat(runs).hasValue(1);
        assertThat(failingClaim.log).containsExactly("begin", "rollback");
    }

    // ------------------------------------------------------------------ renewals

    @Test
    void aRenewalThatHangsForOneLeaseDoesNotStopTheOthersFromBeingRenewed() throws Exception {
        CountDownLatch unblock = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch othersRenewed = new CountDownLatch(10);
        String stuckRecord = SCOPE.recordId(IdempotencyKey.of("stuck"));
        IdempotencyStore slowForOne = new ForwardingIdempotencyStore(memory) {
            @Override
            public boolean renew(String id, long token, Instant deadline, Instant now) {
                if (id.equals(stuckRecord)) {
                    stuck.countDown();
                    try {
                        unblock.await(); // a pool with no free connection, a store that does not answer
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IdempotencyStoreException("interrupted", e);
                    }
                } else {
                    othersRenewed.countDown();
                }
                return super.renew(id, token, deadline, now);
            }
        };
        engine = Idempotency.create(slowForOne, IdempotencyConfig.custom()
                .leaseDuration(Duration.ofSeconds(30)).leaseRenewInterval(Duration.ofMillis(20)).build());
        try {
            Lease blocked = execute("stuck");
            assertThat(stuck.await(30, TimeUnit.SECONDS)).isTrue();
            Lease other = execute("other");
            assertThat(othersRenewed.await(30, TimeUnit.SECONDS))
                    .as("the other lease kept being renewed while one renewal hung").isTrue();
            other.complete(StoredResponse.ofResult(new byte[0]));
            blocked.release();
        } finally {
            unblock.countDown();
        }
    }

    @Test
    void aRenewIntervalLongerThanHalfTheLeaseIsRefused() {
        assertThatThrownBy(() -> IdempotencyConfig.custom().leaseDuration(Duration.ofSeconds(30))
                .leaseRenewInterval(Duration.ofSeconds(20)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most half");
    }

    private Lease execute(String key) {
        return ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of(key), Fingerprint.of(PAYLOAD))).lease();
    }

}
