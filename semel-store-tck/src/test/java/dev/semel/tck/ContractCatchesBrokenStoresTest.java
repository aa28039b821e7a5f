package dev.semel.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.semel.InMemoryIdempotencyStore;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The suite must fail stores that are wrong: a suite every store passes proves nothing.
 * Each broken store below runs the relevant contract tests through the JUnit engine.
 */
class ContractCatchesBrokenStoresTest {

    @Test
    void checkThenSetClaimFailsTheOneKeyRace() {
        Events events = run(CheckThenSetStoreContract.class, "raceOnOneKeyYieldsExactlyOneClaim");
        assertThat(events.failed().count()).isEqualTo(1);
    }

    @Test
    void checkThenSetClaimLetsTheEngineRunTwice() {
        Events events = run(CheckThenSetStoreContract.class, "engineRunsTheOperationOnceWhenManyCallersRaceOnOneKey");
        assertThat(events.failed().count()).isEqualTo(1);
    }

    @Test
    void storeIgnoringFencingTokensFailsTheZombieTest() {
        Events events = run(NoFencingStoreContract.class, "zombieCannotCompleteReleaseOrRenewAfterTakeover");
        assertThat(events.failed().count()).isEqualTo(1);
    }

    /** The tests that tell a real wake-up from a poll or a timeout. */
    private static final String[] WAKE_UP_TESTS = {"aWaitingDuplicateIsWokenByTheCompletionNotByThePoll",
        "aWaitingDuplicateIsWokenByTheReleaseAndRunsTheOperationItself", "awaitChangeReturnsWhenTheRecordCompletes",
        "awaitChangeReturnsWhenTheRecordIsReleased", "awaitChangeReturnsAtOnceForARecordThatIsNoLongerInProgress"};

    @Test
    void aStoreThatOnlySleepsOutItsTimeoutFailsEveryWakeUpTest() {
        // each one waits out the suite's bound before it fails: run them side by side
        Events events = EngineTestKit.engine("junit-jupiter")
                .selectors(java.util.Arrays.stream(WAKE_UP_TESTS)
                        .map(test -> selectMethod(NeverSignalsStoreContract.class, test))
                        .toArray(org.junit.platform.engine.DiscoverySelector[]::new))
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.mode.default", "concurrent")
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism",
                        String.valueOf(WAKE_UP_TESTS.length))
                .execute()
                .testEvents();
        for (String test : WAKE_UP_TESTS) {
            assertThat(events.failed().filter(e -> e.getTestDescriptor().getDisplayName().startsWith(test + "(")).count())
                    .as(test).isEqualTo(1);
        }
        assertThat(events.succeeded().count()).isZero();
    }

    @Test
    void aStoreThatSignalsButDoesNotLookBeforeItSleepsMissesAChangeMadeJustBefore() {
        Events events = run(SleepsWithoutLookingStoreContract.class,
                "awaitChangeReturnsAtOnceForARecordThatIsNoLongerInProgress");
        assertThat(events.failed().count()).isEqualTo(1);
    }

    @Test
    void theCorrectStoreWakesWaiters() {
        for (String test : WAKE_UP_TESTS) {
            Events events = run(InMemoryStoreContractTest.class, test);
            assertThat(events.succeeded().count()).as(test).isEqualTo(1);
        }
    }

    @Test
    void aStoreThatClaimsItsOwnClockButJudgesByTheCallersFailsTheClockSkewTests() {
        for (String test : new String[] {"aNodeWhoseClockRunsAheadNeverTakesOverALiveLease",
                "aLeaseTakenByANodeWhoseClockRunsBehindLastsItsFullDuration",
                "aCompletedRecordWrittenByANodeWhoseClockRunsBehindIsReplayedForItsWholeTtl",
                "aPurgeByANodeWhoseClockRunsAheadDeletesNoLiveRecord"}) {
            Events events = run(CallersClockStoreContract.class, test);
            assertThat(events.failed().count()).as(test).isEqualTo(1);
        }
    }

    @Test
    void theSameTestsPassForTheCorrectStore() {
        Events events = run(InMemoryStoreContractTest.class, "raceOnOneKeyYieldsExactlyOneClaim");
        assertThat(events.succeeded().count()).isEqualTo(1);
        assertThat(events.failed().count()).isZero();
    }

    private static Events run(Class<?> contract, String method) {
        return EngineTestKit.engine("junit-jupiter")
                .selectors(selectMethod(contract, method))
                .execute()
                .testEvents();
    }

    /** Runs the contract against a check-then-set store (not picked up by Surefire: nested). */
    static class CheckThenSetStoreContract extends IdempotencyStoreContract {
        @Override
        protected IdempotencyStore createStore() {
            return new CheckThenSetStore();
        }
    }

    /** Runs the contract against a store that ignores fencing tokens. */
    static class NoFencingStoreContract extends IdempotencyStoreContract {
        @Override
        protected IdempotencyStore createStore() {
            return new NoFencingStore();
        }
    }

    /** Runs the contract against a store whose awaitChange never returns early (the SPI's default sleep). */
    static class NeverSignalsStoreContract extends IdempotencyStoreContract {
        @Override
        protected IdempotencyStore createStore() {
            return new DelegatingStore() {
                @Override
                public void awaitChange(String recordId, java.time.Duration timeout) throws InterruptedException {
                    Thread.sleep(Math.max(1, timeout.toMillis()));
                }
            };
        }
    }

    /**
     * Runs the contract against a store that is woken by completions and releases but waits without
     * looking at the record first, so a change made just before the wait is never seen.
     */
    static class SleepsWithoutLookingStoreContract extends IdempotencyStoreContract {
        @Override
        protected IdempotencyStore createStore() {
            return new DelegatingStore() {
                private final Object monitor = new Object();

                @Override
                public boolean complete(String recordId, long fencingToken, StoredResponse response,
                        Instant expiresAt, Instant now) {
                    boolean done = super.complete(recordId, fencingToken, response, expiresAt, now);
                    wake();
                    return done;
                }

                @Override
                public boolean release(String recordId, long fencingToken) {
                    boolean done = super.release(recordId, fencingToken);
                    wake();
                    return done;
                }

                private void wake() {
                    synchronized (monitor) {
                        monitor.notifyAll();
                    }
                }

                @Override
                public void awaitChange(String recordId, java.time.Duration timeout) throws InterruptedException {
                    synchronized (monitor) {
                        monitor.wait(Math.max(1, timeout.toMillis()));
                    }
                }
            };
        }
    }

    /** Runs the contract against a store that says it judges time by its own clock but uses the caller's. */
    static class CallersClockStoreContract extends IdempotencyStoreContract {
        @Override
        protected IdempotencyStore createStore() {
            return new DelegatingStore() {
                @Override
                public boolean usesOwnClock() {
                    return true;
                }
            };
        }
    }

    /** Delegates everything to a correct store, so that each broken one breaks one thing. */
    abstract static class DelegatingStore extends ForwardingIdempotencyStore {
        final InMemoryIdempotencyStore delegate;

        DelegatingStore() {
            this(new InMemoryIdempotencyStore());
        }

        private DelegatingStore(InMemoryIdempotencyStore memory) {
            super(memory);
            this.delegate = memory;
        }
    }

    /** Looks first, then writes: the classic lost race (a store without an atomic claim). */
    static final class CheckThenSetStore extends DelegatingStore {
        /** Holds the first reader until a second one has read too, so the lost race happens under any load. */
        private final CountDownLatch twoReaders = new CountDownLatch(2);

        @Override
        public ClaimResult claim(ClaimRequest request) {
            Optional<IdempotencyRecord> existing = delegate.find(request.recordId(), request.now());
            if (existing.isPresent()) {
                return ClaimResult.found(existing.get());
            }
            // the window a network round trip opens between the read and the write
            twoReaders.countDown();
            awaitQuietly(twoReaders);
            synchronized (this) { // a blind write: it overwrites whatever another caller wrote meanwhile
                delegate.delete(request.recordId());
                return delegate.claim(request);
            }
        }
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Completes whatever token it is given. */
    static final class NoFencingStore extends DelegatingStore {
        @Override
        public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt, Instant now) {
            long current = delegate.find(recordId, now).map(IdempotencyRecord::fencingToken).orElse(token);
            return delegate.complete(recordId, current, response, expiresAt, now);
        }
    }
}
