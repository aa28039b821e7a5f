package dev.semel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The store-call hooks a tracing listener relies on: every start is closed on its own thread. */
class StoreCallListenerTest {
    private static final Scope SCOPE = Scope.of("alice", "POST /payments");

    /** Records "start OP" / "end OP" / "end OP failed" per thread. */
    static final class PairingListener implements IdempotencyListener {
        final Map<Thread, List<String>> calls = new ConcurrentHashMap<>();
        final CountDownLatch renewed = new CountDownLatch(1);

        @Override
        public void onStoreCallStart(StoreOperation operation) {
            calls.computeIfAbsent(Thread.currentThread(), t -> new ArrayList<>()).add("start " + operation);
        }

        @Override
        public void onStoreCall(StoreOperation operation, Duration duration, Throwable failure) {
            calls.computeIfAbsent(Thread.currentThread(), t -> new ArrayList<>())
                    .add("end " + operation + (failure == null ? "" : " failed"));
            if (operation == StoreOperation.RENEW) {
                renewed.countDown();
            }
        }

        List<String> onThisThread() {
            return calls.getOrDefault(Thread.currentThread(), List.of());
        }
    }

    @Test
    void everyStoreCallIsAnnouncedBeforeItStartsAndReportedOnTheSameThread() {
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
    }

    @Test
    void aFailedStoreCallIsStillReportedAfterItsStart() {
        PairingListener listener = new PairingListener();
        try (Idempotency engine = Idempotency.create(new IdempotencyEngineTest.BrokenStore(),
                IdempotencyConfig.custom().listener(listener).build())) {
            assertThatThrownBy(() -> engine.once(SCOPE, IdempotencyKey.of("k"), new byte[0], ResultCodec.utf8(),
                    () -> "never")).isInstanceOf(IdempotencyStoreException.class);
        }
        assertThat(listener.onThisThread()).containsExactly("start CLAIM", "end CLAIM failed");
    }

    @Test
    void backgroundRenewalsArePairedOnTheRenewalThread() throws InterruptedException {
        PairingListener listener = new PairingListener();
        try (Idempotency engine = Idempotency.create(new InMemoryIdempotencyStore(), IdempotencyConfig.custom()
                .listener(listener).leaseDuration(Duration.ofSeconds(3)).leaseRenewInterval(Duration.ofMillis(5))
                .build())) {
            Lease lease = ((Decision.Execute) engine.begin(SCOPE, IdempotencyKey.of("k"),
                    Fingerprint.of(new byte[0]))).lease();
            assertThat(listener.renewed.await(30, TimeUnit.SECONDS)).isTrue();
            lease.release();
        }
        Thread renewalThread = listener.calls.keySet().stream().filter(t -> t != Thread.currentThread())
                .findFirst().orElseThrow();
        List<String> renewals = List.copyOf(listener.calls.get(renewalThread));
        assertThat(renewals).isNotEmpty();
        for (int i = 0; i + 1 < renewals.size(); i += 2) {
            assertThat(renewals.subList(i, i + 2)).containsExactly("start RENEW", "end RENEW");
        }
    }
}
