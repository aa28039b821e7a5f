package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The store-call hooks a tracing listener relies on: every start is closed on its own thread. */
class StoreCallListenerTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");

    /** Records "start OP" / "end OP" / "end OP failed" per thread, and how many starts are still open. */
    static final class PairingListener implements IdempotencyListener {
        final Map<Thread, List<String>> calls = new ConcurrentHashMap<>();
        final CountDownLatch renewStarted = new CountDownLatch(1);
        private int open;

        @Override
        public void onStoreCallStart(StoreOperation operation) {
            calls.computeIfAbsent(Thread.currentThread(), t -> new CopyOnWriteArrayList<>()).add("start " + operation);
            synchronized (this) {
                open++;
            }
            if (operation == StoreOperation.RENEW) {
                renewStarted.countDown();
            }
        }

        @Override
        public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
            calls.computeIfAbsent(Thread.currentThread(), t -> new CopyOnWriteArrayList<>())
                    .add("end " + operation + (failure == null ? "" : " failed"));
            synchronized (this) {
                open--;
                notifyAll();
            }
        }

        List<String> onThisThread() {
            return calls.getOrDefault(Thread.currentThread(), List.of());
        }

        /** Waits (bounded) until every announced store call has been reported; false if one never is. */
        synchronized boolean awaitAllReported(Duration bound) throws InterruptedException {
            long deadline = System.nanoTime() + bound.toNanos();
            while (open != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }

        /**
         * Every thread's calls are start/end pairs of one operation, with nothing in between and no
         * start left open at the end.
         */
        void assertEveryStartIsPaired() throws InterruptedException {
            assertThat(awaitAllReported(Duration.ofSeconds(30))).as("every onStoreCallStart gets its onStoreCall")
                    .isTrue();
            calls.forEach((thread, list) -> {
                assertThat(list.size() % 2).as("no unpaired start on %s: %s", thread.getName(), list).isZero();
                for (int i = 0; i < list.size(); i += 2) {
                    String start = list.get(i);
                    assertThat(start).as("%s", list).startsWith("start ");
                    String operation = start.substring("start ".length());
                    assertThat(list.get(i + 1)).as("%s", list).isIn("end " + operation, "end " + operation + " failed");
                }
            });
        }
    }

    @Test
    void everyStoreCallIsAnnouncedBeforeItStartsAndReportedOnTheSameThread() throws InterruptedException {
        PairingListener listener = new PairingListener();
        try (Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore(),
                IdempotencyConfig.custom().listener(listener).build())) {
            IdempotencyKey key = IdempotencyKey.of("k1");
            engine.once(SCOPE, key, new byte[] {1}, ResultCodec.utf8(), () -> "done");
            engine.once(SCOPE, key, new byte[] {1}, ResultCodec.utf8(), () -> "again");
            assertThatThrownBy(() -> engine.once(SCOPE, IdempotencyKey.of("k2"), new byte[] {1}, ResultCodec.utf8(),
                    () -> {
                        throw new IllegalStateException("boom");
                    })).hasMessage("boom");
        }
        assertThat(listener.onThisThread()).containsExactly(
                "start CLAIM", "end CLAIM", "start COMPLETE", "end COMPLETE",
                "start CLAIM", "end CLAIM",
                "start CLAIM", "end CLAIM", "start RELEASE", "end RELEASE");
        listener.assertEveryStartIsPaired();
    }

    @Test
    void aFailedStoreCallIsStillReportedAfterItsStart() throws InterruptedException {
        PairingListener listener = new PairingListener();
        try (Idempotency engine = Idempotency.create(new IdempotencyEngineTest.BrokenStore(),
                IdempotencyConfig.custom().listener(listener).build())) {
            assertThatThrownBy(() -> engine.once(SCOPE, IdempotencyKey.of("k"), new byte[0], ResultCodec.utf8(),
                    () -> "never")).isInstanceOf(IdempotencyStoreException.class);
        }
        assertThat(listener.onThisThread()).containsExactly("start CLAIM", "end CLAIM failed");
        listener.assertEveryStartIsPaired();
    }

    @Test
    void backgroundRenewalsArePairedOnTheRenewalThread() throws InterruptedException {
        PairingListener listener = new PairingListener();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try (Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore(), IdempotencyConfig.custom()
                .listener(listener).scheduler(ticker).leaseDuration(Duration.ofSeconds(3))
                .leaseRenewInterval(Duration.ofMillis(5)).build())) {
            Lease lease = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("k"),
                    Fingerprint.of(new byte[0]))).lease();
            assertThat(listener.renewStarted.await(30, TimeUnit.SECONDS)).isTrue();
            lease.release();
            // no tick after this, so no renewal starts; one already started must still be reported
            ticker.shutdown();
            assertThat(ticker.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            listener.assertEveryStartIsPaired();
        } finally {
            ticker.shutdownNow();
        }
        Thread renewalThread = listener.calls.keySet().stream().filter(t -> t != Thread.currentThread())
                .findFirst().orElseThrow();
        assertThat(listener.calls.get(renewalThread)).isNotEmpty()
                .containsOnly("start RENEW", "end RENEW");
    }
}
