package dev.semel;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Each write of the in-memory store under its fencing token, what it leaves in the size and
 * byte accounting its bounds rest on, purging, and the change signal a waiting duplicate
 * relies on. (The shared contract runs in semel-store-tck; PIT over core sees only these.)
 */
class InMemoryStoreOperationsTest {
    private static final Instant T0 = Instant.parse("2031-01-01T00:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofHours(1);
    /** Generous: a correct store answers at once; a missing signal would sit out the full wait. */
    private static final Duration PROMPT = Duration.ofSeconds(10);

    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();

    private static ClaimRequest claim(String id, long token, Instant now, Duration ttl) {
        return new ClaimRequest(id, "key-" + id, "caller POST /payments",
                Fingerprint.of(id.getBytes(StandardCharsets.UTF_8)).bytes(), "owner-" + id, token, now.plus(LEASE),
                now.plus(ttl), now);
    }

    private long claimed(String id, long token, Instant now) {
        ClaimResult result = store.claim(claim(id, token, now, TTL));
        assertThat(result).isInstanceOf(ClaimResult.Claimed.class);
        return ((ClaimResult.Claimed) result).fencingToken();
    }

    private static StoredResponse answer(String body) {
        return StoredResponse.of(201, List.of(new StoredResponse.Header("Content-Type", "text/plain")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** size() and estimatedBytes() equal what the records held add up to. */
    private void assertAccounting(Instant now) {
        List<IdempotencyRecord> held = store.query(RecordQuery.all().withLimit(RecordQuery.MAX_LIMIT), now);
        assertThat(store.size()).isEqualTo(held.size());
        assertThat(store.estimatedBytes())
                .isEqualTo(held.stream().mapToLong(InMemoryIdempotencyStore::estimate).sum());
    }

    @Test
    void everyWriteKeepsTheSizeAndByteAccountingExact() {
        long a = claimed("a", 1, T0);
        long b = claimed("b", 2, T0);
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.estimatedBytes()).isPositive();
        assertAccounting(T0);

        assertThat(store.renew("a", a, T0.plusSeconds(60), T0.plusSeconds(1))).isTrue();
        assertThat(store.find("a", T0).orElseThrow().leaseDeadline()).isEqualTo(T0.plusSeconds(60));
        assertAccounting(T0);

        assertThat(store.complete("a", a, answer("paid"), T0.plus(TTL), T0.plusSeconds(2))).isTrue();
        assertThat(store.find("a", T0).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
        assertAccounting(T0);

        assertThat(store.release("b", b)).isTrue();
        assertThat(store.find("b", T0)).isEmpty();
        assertAccounting(T0);

        assertThat(store.delete("a")).isTrue();
        assertThat(store.size()).isZero();
        assertThat(store.estimatedBytes()).isZero();
    }

    @Test
    void onlyTheHolderOfTheCurrentTokenMayWrite() {
        long a = claimed("a", 1, T0);
        assertThat(store.renew("a", a + 1, T0.plusSeconds(60), T0)).isFalse();
        assertThat(store.release("a", a + 1)).isFalse();
        assertThat(store.complete("a", a + 1, answer("x"), T0.plus(TTL), T0)).isFalse();
        assertThat(store.find("a", T0).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);

        assertThat(store.complete("a", a, answer("x"), T0.plus(TTL), T0)).isTrue();
        // a completed record is no longer anyone's lease
        assertThat(store.renew("a", a, T0.plusSeconds(60), T0)).isFalse();
        assertThat(store.release("a", a)).isFalse();
        assertThat(store.find("a", T0).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);

        assertThat(store.renew("missing", 1, T0.plusSeconds(60), T0)).isFalse();
        assertThat(store.release("missing", 1)).isFalse();
        assertThat(store.delete("missing")).isFalse();
    }

    @Test
    void anExpiredRecordIsReplacedNotKeptBesideTheNewClaim() {
        store.claim(claim("a", 1, T0, Duration.ofSeconds(10)));
        Instant later = T0.plusSeconds(11);
        assertThat(store.find("a", later)).isEmpty();
        assertThat(store.query(RecordQuery.all(), later)).isEmpty();
        claimed("a", 2, later);
        assertThat(store.size()).isOne();
        assertThat(store.find("a", later).orElseThrow().fencingToken()).isEqualTo(2);
        assertAccounting(later);
    }

    @Test
    void purgingRemovesExpiredRecordsAndEndedLeasesUpToTheLimit() {
        store.claim(claim("done-expired", 1, T0, Duration.ofSeconds(10)));
        assertThat(store.complete("done-expired", 1, answer("x"), T0.plusSeconds(10), T0)).isTrue();
        store.claim(claim("done-live", 2, T0, TTL));
        assertThat(store.complete("done-live", 2, answer("y"), T0.plus(TTL), T0)).isTrue();
        store.claim(claim("lease-ended", 3, T0, TTL));
        Instant now = T0.plus(LEASE).plusSeconds(1);
        store.claim(claim("lease-live", 4, now, TTL));

        assertThat(store.purgeExpired(now, 1)).isOne();
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.purgeExpired(now, 10)).isOne();
        assertThat(store.purgeExpired(now, 10)).isZero();
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.find("done-live", now)).isPresent();
        assertThat(store.find("lease-live", now)).isPresent();
        assertThat(store.find("lease-ended", now)).isEmpty();
        assertAccounting(now);
    }

    @Test
    void aWaiterReturnsAtOnceWhenThereIsNothingToWaitFor() {
        claimed("a", 1, T0);
        assertThat(store.complete("a", 1, answer("x"), T0.plus(TTL), T0)).isTrue();
        assertTimeoutPreemptively(PROMPT, () -> {
            store.awaitChange("missing", Duration.ofMinutes(1));
            store.awaitChange("a", Duration.ofMinutes(1));
        });
    }

    @Test
    void completingReleasingOrDeletingWakesAWaiter() throws Exception {
        for (String end : List.of("complete", "release", "delete")) {
            String id = "w-" + end;
            long token = claimed(id, 1, T0);
            Thread waiter = new Thread(() -> {
                try {
                    store.awaitChange(id, Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.start();
            while (waiter.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            switch (end) {
                case "complete" -> store.complete(id, token, answer("x"), T0.plus(TTL), T0);
                case "release" -> store.release(id, token);
                default -> store.delete(id);
            }
            waiter.join(PROMPT.toMillis());
            assertThat(waiter.isAlive()).as("waiter woken by " + end).isFalse();
        }
    }

    @Test
    void describesItsBounds() {
        assertThat(InMemoryIdempotencyStore.builder().maxRecords(5000).maxBytes(10_000_000).build().toString())
                .contains("maxRecords=5000").contains("maxBytes=10000000");
    }
}
