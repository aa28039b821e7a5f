package dev.semel.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semel.Fingerprint;
import dev.semel.Idempotency;
import dev.semel.IdempotencyConfig;
import dev.semel.IdempotencyInProgressException;
import dev.semel.IdempotencyKey;
import dev.semel.ResultCodec;
import dev.semel.Scope;
import dev.semel.WaitPolicy;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.RecordState;
import dev.semel.spi.StoredResponse.Header;
import dev.semel.spi.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link IdempotencyStore} must keep: every SPI operation, every state
 * transition, expiry and fencing, binary and large bodies, and races run as races.
 *
 * <p>Extend it and say how to make a store; every test gets a fresh store (or the same
 * store, as long as records from one test never reach another: each test uses fresh ids).
 *
 * <pre>{@code
 * class MyStoreContractTest extends IdempotencyStoreContract {
 *     protected IdempotencyStore createStore() {
 *         return new MyStore(dataSource);
 *     }
 * }
 * }</pre>
 *
 * <p>Times are passed to the store explicitly, so tests move time by choosing {@code now};
 * they never sleep. Stores with physical expiry (Redis TTLs) must still answer by the
 * {@code now} they are given. A store that {@linkplain IdempotencyStore#usesOwnClock() judges
 * time by its own clock} cannot follow a {@code now} that jumps; give {@link #createStore()}
 * its caller's-clock mode, and {@link #createStoreOnItsOwnClock()} the production one, which
 * the clock-skew tests drive with callers whose clocks are 20 s off.
 */
public abstract class IdempotencyStoreContract {
    /** The instant tests start at; far enough from the real clock to catch stores that read one. */
    protected static final Instant T0 = Instant.parse("2031-03-04T05:06:07.123Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofHours(24);

    /** The store under test, made fresh for each test. */
    protected IdempotencyStore store;

    /**
     * Makes the store under test.
     *
     * @return a store; it may share storage with earlier ones
     * @throws Exception if it cannot be made
     */
    protected abstract IdempotencyStore createStore() throws Exception;

    /**
     * Disposes of a store after a test. Default: nothing.
     *
     * @param store the store
     * @throws Exception if cleanup fails
     */
    protected void disposeStore(IdempotencyStore store) throws Exception {
    }

    /**
     * Makes a store that judges time by its own clock, for the clock-skew tests (skipped when it
     * does not {@linkplain IdempotencyStore#usesOwnClock() declare} its own clock). Default: the
     * store from {@link #createStore()}. It is disposed of with {@link #disposeStore}.
     *
     * @return a store on the same storage as {@link #createStore()}
     * @throws Exception if it cannot be made
     */
    protected IdempotencyStore createStoreOnItsOwnClock() throws Exception {
        return createStore();
    }

    /**
     * How many threads the races use. Default 32.
     *
     * @return the thread count
     */
    protected int raceThreads() {
        return 32;
    }

    /**
     * Largest body the store must keep. Default 4 MiB.
     *
     * @return a size in bytes
     */
    protected int largeBodySize() {
        return 4 * 1024 * 1024;
    }

    @BeforeEach
    void makeStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    void dropStore() throws Exception {
        disposeStore(store);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A fresh record id no other test uses.
     *
     * @return 64 hex characters
     */
    protected static String newRecordId() {
        return Scope.of("tck", "op").recordId(IdempotencyKey.of(UUID.randomUUID().toString()));
    }

    /**
     * A random fingerprint.
     *
     * @return 32 bytes
     */
    protected static byte[] randomFingerprint() {
        return Fingerprint.of(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)).bytes();
    }

    private static long token() {
        return ThreadLocalRandom.current().nextLong(1, 1L << 62);
    }

    /**
     * A claim request at a given time with the default lease and TTL.
     *
     * @param id record id
     * @param key readable key
     * @param fingerprint fingerprint
     * @param owner owner
     * @param now time of the claim
     * @return the request
     */
    protected static ClaimRequest claimAt(String id, String key, byte[] fingerprint, String owner, Instant now) {
        return new ClaimRequest(id, key, "caller POST /things", fingerprint, owner, token(), now.plus(LEASE),
                now.plus(TTL), now);
    }

    private ClaimRequest claimAt(String id, byte[] fingerprint, Instant now) {
        return claimAt(id, "key-" + id.substring(0, 8), fingerprint, "owner-a", now);
    }

    private long claimed(ClaimResult result) {
        assertThat(result).isInstanceOf(ClaimResult.Claimed.class);
        return ((ClaimResult.Claimed) result).fencingToken();
    }

    private IdempotencyRecord found(ClaimResult result) {
        assertThat(result).isInstanceOf(ClaimResult.Found.class);
        return ((ClaimResult.Found) result).record();
    }

    private static StoredResponse response(String body) {
        return StoredResponse.of(201, List.of(new Header("Content-Type", "application/json"),
                new Header("Location", "/things/1")), body.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ clock skew

    /** How far the skewed callers' clocks are off: the issue measured 15–20 s in the field. */
    private static final Duration SKEW = Duration.ofSeconds(20);

    private <T> T onOwnClock(java.util.function.Function<IdempotencyStore, T> test) throws Exception {
        IdempotencyStore own = createStoreOnItsOwnClock();
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(own.usesOwnClock(),
                    "the store judges time by its callers' clocks (one process)");
            return test.apply(own);
        } finally {
            if (own != store) {
                disposeStore(own);
            }
        }
    }

    private static ClaimRequest claimBy(String id, byte[] fingerprint, String owner, Instant now, Duration lease) {
        return new ClaimRequest(id, "skew-" + id.substring(0, 8), "caller POST /things", fingerprint, owner, token(),
                now.plus(lease), now.plus(TTL), now);
    }

    @Test
    void aNodeWhoseClockRunsAheadNeverTakesOverALiveLease() throws Exception {
        onOwnClock(s -> {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            long token = claimed(s.claim(claimBy(id, fp, "node-a", Instant.now(), Duration.ofSeconds(15))));

            ClaimResult ahead = s.claim(claimBy(id, fp, "node-b", Instant.now().plus(SKEW), LEASE));

            IdempotencyRecord record = found(ahead);
            assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
            assertThat(record.fencingToken()).isEqualTo(token);
            assertThat(record.leaseOwner()).isEqualTo("node-a");
            Instant now = Instant.now();
            assertThat(s.renew(id, token, now.plusSeconds(15), now)).as("the owner still holds it").isTrue();
            return null;
        });
    }

    @Test
    void aLeaseTakenByANodeWhoseClockRunsBehindLastsItsFullDuration() throws Exception {
        onOwnClock(s -> {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            Instant behind = Instant.now().minus(SKEW);
            long token = claimed(s.claim(claimBy(id, fp, "node-c", behind, Duration.ofSeconds(15))));

            IdempotencyRecord record = found(s.claim(claimBy(id, fp, "node-a", Instant.now(), LEASE)));

            assertThat(record.fencingToken()).isEqualTo(token);
            assertThat(record.leaseOwner()).isEqualTo("node-c");
            return null;
        });
    }

    @Test
    void aCompletedRecordWrittenByANodeWhoseClockRunsBehindIsReplayedForItsWholeTtl() throws Exception {
        onOwnClock(s -> {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            Instant behind = Instant.now().minus(SKEW);
            long token = claimed(s.claim(claimBy(id, fp, "node-c", behind, LEASE)));
            assertThat(s.complete(id, token, response("done"), behind.plusSeconds(10), behind)).isTrue();

            IdempotencyRecord record = found(s.claim(claimBy(id, fp, "node-a", Instant.now(), LEASE)));

            assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
            assertThat(new String(record.response().body(), StandardCharsets.UTF_8)).isEqualTo("done");
            return null;
        });
    }

    @Test
    void aPurgeByANodeWhoseClockRunsAheadDeletesNoLiveRecord() throws Exception {
        onOwnClock(s -> {
            String running = newRecordId();
            s.claim(claimBy(running, randomFingerprint(), "node-a", Instant.now(), Duration.ofSeconds(15)));
            String done = newRecordId();
            Instant now = Instant.now();
            long token = claimed(s.claim(claimBy(done, randomFingerprint(), "node-a", now, LEASE)));
            assertThat(s.complete(done, token, response("kept"), now.plusSeconds(10), now)).isTrue();

            int batch;
            int rounds = 0;
            do {
                batch = s.purgeExpired(Instant.now().plus(SKEW), 1000);
            } while (batch == 1000 && ++rounds < 100);

            assertThat(s.find(running, Instant.now())).as("the running record")
                    .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));
            assertThat(s.find(done, Instant.now())).as("the completed record")
                    .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
            return null;
        });
    }

    // ------------------------------------------------------------------ claim

    @Test
    void claimsAnUnknownKeyWithTheFreshToken() {
        String id = newRecordId();
        ClaimRequest request = claimAt(id, randomFingerprint(), T0);
        ClaimResult result = store.claim(request);
        assertThat(result).isEqualTo(new ClaimResult.Claimed(request.freshToken(), false));
    }

    @Test
    void secondClaimOfALiveLeaseFindsTheInProgressRecord() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        ClaimRequest first = claimAt(id, "order-1", fp, "owner-a", T0);
        long token = claimed(store.claim(first));

        IdempotencyRecord record = found(store.claim(claimAt(id, "order-1", fp, "owner-b", T0.plusSeconds(1))));

        assertThat(record.recordId()).isEqualTo(id);
        assertThat(record.key()).isEqualTo("order-1");
        assertThat(record.scope()).isEqualTo("caller POST /things");
        assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(record.fingerprint()).isEqualTo(fp);
        assertThat(record.fencingToken()).isEqualTo(token);
        assertThat(record.leaseOwner()).isEqualTo("owner-a");
        assertThat(record.leaseDeadline()).isEqualTo(first.leaseDeadline());
        assertThat(record.createdAt()).isEqualTo(T0);
        assertThat(record.response()).isNull();
    }

    @Test
    void claimOfACompletedRecordFindsItsResponse() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        StoredResponse response = response("{\"id\":1}");
        assertThat(store.complete(id, token, response, T0.plus(TTL), T0.plusSeconds(2))).isTrue();

        IdempotencyRecord record = found(store.claim(claimAt(id, fp, T0.plusSeconds(3))));

        assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(record.response()).isEqualTo(response);
        assertThat(record.completedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(record.expiresAt()).isEqualTo(T0.plus(TTL));
        assertThat(record.fingerprint()).isEqualTo(fp);
    }

    @Test
    void claimWithAnotherFingerprintStillFindsTheRecordSoTheEngineCanSayMismatch() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        claimed(store.claim(claimAt(id, fp, T0)));
        IdempotencyRecord record = found(store.claim(claimAt(id, randomFingerprint(), T0.plusSeconds(1))));
        assertThat(record.fingerprint()).isEqualTo(fp);
    }

    // ------------------------------------------------------------------ complete / release / renew

    @Test
    void completeWithTheHeldTokenSucceedsOnceOnly() {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        assertThat(store.complete(id, token, response("a"), T0.plus(TTL), T0)).isTrue();
        assertThat(store.complete(id, token, response("b"), T0.plus(TTL), T0)).isFalse();
        assertThat(store.find(id, T0).orElseThrow().response()).isEqualTo(response("a"));
    }

    @Test
    void staleTokenCannotCompleteReleaseOrRenew() {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        long stale = token + 7;
        assertThat(store.complete(id, stale, response("x"), T0.plus(TTL), T0)).isFalse();
        assertThat(store.release(id, stale)).isFalse();
        assertThat(store.renew(id, stale, T0.plusSeconds(60), T0)).isFalse();
        IdempotencyRecord record = store.find(id, T0).orElseThrow();
        assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(record.fencingToken()).isEqualTo(token);
    }

    @Test
    void unknownRecordCannotBeCompletedReleasedOrRenewed() {
        String id = newRecordId();
        assertThat(store.complete(id, 1, response("x"), T0.plus(TTL), T0)).isFalse();
        assertThat(store.release(id, 1)).isFalse();
        assertThat(store.renew(id, 1, T0.plusSeconds(60), T0)).isFalse();
        assertThat(store.find(id, T0)).isEmpty();
    }

    @Test
    void releaseRemovesTheClaimSoTheKeyRunsAgain() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        assertThat(store.release(id, token)).isTrue();
        assertThat(store.find(id, T0)).isEmpty();
        assertThat(store.release(id, token)).isFalse();

        ClaimRequest again = claimAt(id, fp, T0.plusSeconds(1));
        assertThat(store.claim(again)).isEqualTo(new ClaimResult.Claimed(again.freshToken(), false));
    }

    @Test
    void completedRecordCannotBeReleasedOrRenewed() {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        assertThat(store.complete(id, token, response("done"), T0.plus(TTL), T0)).isTrue();
        assertThat(store.release(id, token)).isFalse();
        assertThat(store.renew(id, token, T0.plusSeconds(60), T0)).isFalse();
        assertThat(store.find(id, T0).orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
    }

    @Test
    void renewMovesTheLeaseDeadlineSoNoTakeoverHappens() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        Instant later = T0.plusSeconds(25);
        assertThat(store.renew(id, token, later.plus(LEASE), later)).isTrue();

        IdempotencyRecord record = found(store.claim(claimAt(id, fp, T0.plusSeconds(40))));
        assertThat(record.fencingToken()).isEqualTo(token);
        assertThat(record.leaseDeadline()).isEqualTo(later.plus(LEASE));
    }

    // ------------------------------------------------------------------ lease expiry and fencing

    @Test
    void abandonedLeaseIsTakenOverWithTheNextFencingToken() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, "k", fp, "owner-a", T0)));

        Instant afterLease = T0.plus(LEASE).plusMillis(1);
        ClaimResult result = store.claim(claimAt(id, "k", fp, "owner-b", afterLease));

        assertThat(result).isEqualTo(new ClaimResult.Claimed(token + 1, true));
        IdempotencyRecord record = store.find(id, afterLease).orElseThrow();
        assertThat(record.leaseOwner()).isEqualTo("owner-b");
        assertThat(record.fencingToken()).isEqualTo(token + 1);
        assertThat(record.leaseDeadline()).isEqualTo(afterLease.plus(LEASE));
        assertThat(record.createdAt()).isEqualTo(T0);
    }

    @Test
    void leaseEndingExactlyNowCountsAsEnded() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        assertThat(store.claim(claimAt(id, fp, T0.plus(LEASE)))).isEqualTo(new ClaimResult.Claimed(token + 1, true));
    }

    @Test
    void zombieCannotCompleteReleaseOrRenewAfterTakeover() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long zombie = claimed(store.claim(claimAt(id, fp, T0)));
        Instant later = T0.plus(LEASE).plusSeconds(1);
        long owner = claimed(store.claim(claimAt(id, fp, later)));

        assertThat(store.complete(id, zombie, response("zombie"), later.plus(TTL), later)).isFalse();
        assertThat(store.renew(id, zombie, later.plus(LEASE), later)).isFalse();
        assertThat(store.release(id, zombie)).isFalse();

        assertThat(store.complete(id, owner, response("owner"), later.plus(TTL), later)).isTrue();
        assertThat(store.find(id, later).orElseThrow().response()).isEqualTo(response("owner"));
    }

    @Test
    void holderWhoseLeaseEndedButWasNotTakenOverMayStillComplete() {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        Instant late = T0.plus(LEASE).plusSeconds(5);
        assertThat(store.complete(id, token, response("late"), late.plus(TTL), late)).isTrue();
    }

    @Test
    void abandonedLeaseWithAnotherFingerprintIsNeverTakenOver() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        IdempotencyRecord record = found(store.claim(claimAt(id, randomFingerprint(), T0.plus(LEASE).plusSeconds(1))));
        assertThat(record.fencingToken()).isEqualTo(token);
        assertThat(record.fingerprint()).isEqualTo(fp);
    }

    // ------------------------------------------------------------------ expiry

    @Test
    void completedRecordVanishesWhenItExpires() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        Instant expiresAt = T0.plusSeconds(60);
        assertThat(store.complete(id, token, response("r"), expiresAt, T0)).isTrue();

        assertThat(store.find(id, expiresAt.minusMillis(1))).isPresent();
        assertThat(store.find(id, expiresAt)).isEmpty();
        ClaimRequest again = claimAt(id, randomFingerprint(), expiresAt.plusMillis(1));
        assertThat(store.claim(again)).isEqualTo(new ClaimResult.Claimed(again.freshToken(), false));
        assertThat(store.find(id, expiresAt.plusMillis(1)).orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
    }

    @Test
    void inProgressRecordVanishesAtItsExpiryEvenWithALease() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        ClaimRequest request = new ClaimRequest(id, "k", "s", fp, "a", token(), T0.plusSeconds(600),
                T0.plusSeconds(60), T0);
        long token = claimed(store.claim(request));
        assertThat(store.find(id, T0.plusSeconds(60))).isEmpty();
        assertThat(store.complete(id, token, response("x"), T0.plus(TTL), T0.plusSeconds(61))).isFalse();
    }

    // ------------------------------------------------------------------ find / query / delete / purge

    @Test
    void findReadsWhatIsThereAndNothingElse() {
        assertThat(store.find(newRecordId(), T0)).isEmpty();
        String id = newRecordId();
        store.claim(claimAt(id, randomFingerprint(), T0));
        assertThat(store.find(id, T0)).map(IdempotencyRecord::state).contains(RecordState.IN_PROGRESS);
    }

    @Test
    void queryFiltersByKeyPrefixStateAndCreationNewestFirst() {
        String prefix = "q-" + UUID.randomUUID() + "-";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = newRecordId();
            ids.add(id);
            long token = claimed(store.claim(claimAt(id, prefix + i, randomFingerprint(), "o", T0.plusSeconds(i))));
            if (i % 2 == 0) {
                store.complete(id, token, response("r" + i), T0.plus(TTL), T0.plusSeconds(i));
            }
        }
        Instant now = T0.plusSeconds(10);
        RecordQuery all = RecordQuery.all().withKeyPrefix(prefix);

        assertThat(store.query(all, now)).extracting(IdempotencyRecord::key)
                .containsExactly(prefix + 4, prefix + 3, prefix + 2, prefix + 1, prefix + 0);
        assertThat(store.query(all.withState(RecordState.COMPLETED), now)).extracting(IdempotencyRecord::key)
                .containsExactly(prefix + 4, prefix + 2, prefix + 0);
        assertThat(store.query(all.withState(RecordState.IN_PROGRESS), now)).extracting(IdempotencyRecord::key)
                .containsExactly(prefix + 3, prefix + 1);
        assertThat(store.query(all.withCreated(T0.plusSeconds(1), T0.plusSeconds(3)), now))
                .extracting(IdempotencyRecord::key).containsExactly(prefix + 2, prefix + 1);
        assertThat(store.query(all.withLimit(2), now)).extracting(IdempotencyRecord::key)
                .containsExactly(prefix + 4, prefix + 3);
        assertThat(store.query(all.withKeyPrefix(prefix + "nothing"), now)).isEmpty();
    }

    @Test
    void queryLeavesOutExpiredRecords() {
        String prefix = "qe-" + UUID.randomUUID() + "-";
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, prefix + "gone", randomFingerprint(), "o", T0)));
        store.complete(id, token, response("r"), T0.plusSeconds(5), T0);
        store.claim(claimAt(newRecordId(), prefix + "live", randomFingerprint(), "o", T0));

        assertThat(store.query(RecordQuery.all().withKeyPrefix(prefix), T0.plusSeconds(6)))
                .extracting(IdempotencyRecord::key).containsExactly(prefix + "live");
    }

    @Test
    void deleteRemovesARecordInAnyState() {
        String running = newRecordId();
        store.claim(claimAt(running, randomFingerprint(), T0));
        String done = newRecordId();
        long token = claimed(store.claim(claimAt(done, randomFingerprint(), T0)));
        store.complete(done, token, response("r"), T0.plus(TTL), T0);

        assertThat(store.delete(running)).isTrue();
        assertThat(store.delete(done)).isTrue();
        assertThat(store.delete(done)).isFalse();
        assertThat(store.find(running, T0)).isEmpty();
        assertThat(store.find(done, T0)).isEmpty();
    }

    @Test
    void purgeRemovesExpiredAndAbandonedRecordsAndKeepsLiveOnes() {
        Instant now = T0.plus(Duration.ofHours(2));
        String expired = newRecordId();
        long t1 = claimed(store.claim(claimAt(expired, randomFingerprint(), T0)));
        store.complete(expired, t1, response("old"), T0.plusSeconds(60), T0);
        String abandoned = newRecordId();
        store.claim(claimAt(abandoned, randomFingerprint(), T0));
        String liveCompleted = newRecordId();
        long t2 = claimed(store.claim(claimAt(liveCompleted, randomFingerprint(), T0)));
        store.complete(liveCompleted, t2, response("new"), now.plus(TTL), T0);
        String liveRunning = newRecordId();
        store.claim(claimAt(liveRunning, randomFingerprint(), now));

        int removed = 0;
        int batch;
        do {
            batch = store.purgeExpired(now, 1);
            assertThat(batch).isBetween(0, 1);
            removed += batch;
        } while (batch > 0);

        assertThat(removed).isGreaterThanOrEqualTo(2);
        assertThat(store.find(expired, T0)).isEmpty();
        assertThat(store.find(abandoned, T0)).isEmpty();
        assertThat(store.find(liveCompleted, now)).isPresent();
        assertThat(store.find(liveRunning, now)).isPresent();
    }

    // ------------------------------------------------------------------ bodies and headers

    @Test
    void keepsLargeBinaryBodiesByteForByte() {
        byte[] body = new byte[largeBodySize()];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + (i >>> 8));
        }
        assertRoundTrip(StoredResponse.of(200, List.of(new Header("Content-Type", "application/octet-stream")), body));
    }

    @Test
    void keepsEveryByteValue() {
        byte[] body = new byte[512];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        assertRoundTrip(StoredResponse.of(200, List.of(), body));
    }

    @Test
    void keepsRepeatedHeadersInOrderAndOddValues() {
        List<Header> headers = List.of(
                new Header("Link", "</a>; rel=\"next\""),
                new Header("X-Trace", "1"),
                new Header("Link", "</b>; rel=\"prev\""),
                new Header("X-Empty", ""),
                new Header("X-Text", "a:b, c=d; \"quoted\" \\ é ünïcode"),
                new Header("x-trace", "2"));
        assertRoundTrip(StoredResponse.of(402, headers, "{}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void keepsEmptyBodiesAndBodiesThatWereNotRetained() {
        assertRoundTrip(StoredResponse.of(204, List.of(), new byte[0]));
        assertRoundTrip(StoredResponse.withoutBody(200, List.of(new Header("Content-Length", "99999999"))));
    }

    @Test
    void keepsKeysWithAnyPrintableCharacter() {
        String key = "k \"quoted\" \\ %_*' ~!@#$^&()[]{}<>?/|`";
        String id = newRecordId();
        store.claim(claimAt(id, key, randomFingerprint(), "o", T0));
        assertThat(store.find(id, T0).orElseThrow().key()).isEqualTo(key);
        assertThat(store.query(RecordQuery.all().withKeyPrefix("k \"quoted\" \\ %_*"), T0))
                .extracting(IdempotencyRecord::recordId).contains(id);
        assertThat(store.query(RecordQuery.all().withKeyPrefix("k \"quoted\" \\ %_X"), T0)).isEmpty();
    }

    private void assertRoundTrip(StoredResponse response) {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(store.claim(claimAt(id, fp, T0)));
        assertThat(store.complete(id, token, response, T0.plus(TTL), T0)).isTrue();
        StoredResponse stored = store.find(id, T0).orElseThrow().response();
        assertThat(stored.status()).isEqualTo(response.status());
        assertThat(stored.headers()).isEqualTo(response.headers());
        assertThat(stored.bodyRetained()).isEqualTo(response.bodyRetained());
        assertThat(stored.body()).isEqualTo(response.body());
        assertThat(found(store.claim(claimAt(id, fp, T0))).response()).isEqualTo(response);
    }

    // ------------------------------------------------------------------ asynchronous path

    /** Where the default asynchronous methods run the blocking ones, as the engine's store executor does. */
    private final ExecutorService blocking = Executors.newFixedThreadPool(4);

    @AfterEach
    void stopBlockingExecutor() {
        blocking.shutdownNow();
    }

    private static <T> T await(CompletionStage<T> stage) {
        return stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }

    @Test
    void claimAsyncClaimsAndFindsAsClaimDoes() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        ClaimRequest first = claimAt(id, fp, T0);
        assertThat(await(store.claimAsync(first, blocking)))
                .isEqualTo(new ClaimResult.Claimed(first.freshToken(), false));

        IdempotencyRecord running = found(await(store.claimAsync(claimAt(id, fp, T0.plusSeconds(1)), blocking)));
        assertThat(running.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(running.fencingToken()).isEqualTo(first.freshToken());
        assertThat(running.fingerprint()).isEqualTo(fp);
    }

    @Test
    void completeAsyncKeepsTheResponseForReplayAndFencesAStaleToken() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(await(store.claimAsync(claimAt(id, fp, T0), blocking)));

        assertThat(await(store.completeAsync(id, token + 1, response("stale"), T0.plus(TTL), T0, blocking)))
                .as("a token that does not hold the record").isFalse();
        assertThat(await(store.completeAsync(id, token, response("done"), T0.plus(TTL), T0, blocking))).isTrue();

        IdempotencyRecord record = found(await(store.claimAsync(claimAt(id, fp, T0.plusSeconds(2)), blocking)));
        assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(record.response()).isEqualTo(response("done"));
    }

    @Test
    void releaseAsyncFreesTheKeyOnlyForItsHolder() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(await(store.claimAsync(claimAt(id, fp, T0), blocking)));

        assertThat(await(store.releaseAsync(id, token + 1, blocking))).isFalse();
        assertThat(store.find(id, T0)).isPresent();
        assertThat(await(store.releaseAsync(id, token, blocking))).isTrue();
        assertThat(store.find(id, T0)).isEmpty();
        assertThat(await(store.claimAsync(claimAt(id, fp, T0.plusSeconds(1)), blocking)))
                .isInstanceOf(ClaimResult.Claimed.class);
    }

    @Test
    void claimAsyncTakesOverAnEndedLeaseWithTheNextToken() {
        String id = newRecordId();
        byte[] fp = randomFingerprint();
        long token = claimed(await(store.claimAsync(claimAt(id, fp, T0), blocking)));
        Instant later = T0.plus(LEASE).plusSeconds(1);
        assertThat(await(store.claimAsync(claimAt(id, fp, later), blocking)))
                .isEqualTo(new ClaimResult.Claimed(token + 1, true));
    }

    @Test
    void awaitChangeAsyncEndsWithoutFailing() {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        CompletableFuture<Void> wait = store.awaitChangeAsync(id, Duration.ofMillis(200)).toCompletableFuture();
        assertThat(store.release(id, token)).isTrue();
        assertThat(wait.orTimeout(30, TimeUnit.SECONDS).join()).isNull();
    }

    @Test
    @Timeout(120)
    void raceOfAsynchronousAndBlockingClaimsYieldsExactlyOneClaim() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            List<ClaimResult> results = race(raceThreads(), i -> i % 2 == 0
                    ? await(store.claimAsync(claimAt(id, "race", fp, "o" + i, T0), blocking))
                    : store.claim(claimAt(id, "race", fp, "o" + i, T0)));
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Claimed).hasSize(1);
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Found).hasSize(raceThreads() - 1);
        }
    }

    // ------------------------------------------------------------------ races

    @Test
    @Timeout(120)
    void raceOnOneKeyYieldsExactlyOneClaim() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            List<ClaimResult> results = race(raceThreads(), i -> store.claim(claimAt(id, "race", fp, "o" + i, T0)));
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Claimed).hasSize(1);
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Found).hasSize(raceThreads() - 1);
        }
    }

    @Test
    @Timeout(120)
    void raceOnDistinctKeysLetsEveryoneClaim() throws Exception {
        List<ClaimResult> results = race(raceThreads(),
                i -> store.claim(claimAt(newRecordId(), randomFingerprint(), T0)));
        assertThat(results).allMatch(r -> r instanceof ClaimResult.Claimed);
    }

    @Test
    @Timeout(120)
    void takeoverRaceAfterLeaseExpiryYieldsExactlyOneNewOwner() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            long token = claimed(store.claim(claimAt(id, fp, T0)));
            Instant later = T0.plus(LEASE).plusSeconds(1);
            List<ClaimResult> results = race(raceThreads(), i -> store.claim(claimAt(id, "race", fp, "o" + i, later)));
            assertThat(results).filteredOn(r -> r instanceof ClaimResult.Claimed)
                    .containsExactly(new ClaimResult.Claimed(token + 1, true));
        }
    }

    @Test
    @Timeout(120)
    void zombieAndOwnerCompletingTogetherLeaveTheOwnersResponse() throws Exception {
        for (int round = 0; round < 5; round++) {
            String id = newRecordId();
            byte[] fp = randomFingerprint();
            long zombie = claimed(store.claim(claimAt(id, fp, T0)));
            Instant later = T0.plus(LEASE).plusSeconds(1);
            long owner = claimed(store.claim(claimAt(id, fp, later)));
            List<Boolean> results = race(2, i -> i == 0
                    ? store.complete(id, zombie, response("zombie"), later.plus(TTL), later)
                    : store.complete(id, owner, response("owner"), later.plus(TTL), later));
            assertThat(results).containsExactly(false, true);
            assertThat(store.find(id, later).orElseThrow().response()).isEqualTo(response("owner"));
        }
    }

    @Test
    @Timeout(120)
    void engineRunsTheOperationOnceWhenManyCallersRaceOnOneKey() throws Exception {
        Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
        try (Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock).build())) {
            AtomicInteger executions = new AtomicInteger();
            IdempotencyKey key = IdempotencyKey.of("engine-race-" + UUID.randomUUID());
            Scope scope = Scope.of("tck", "charge");
            byte[] payload = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
            List<String> answers = race(raceThreads(), i -> {
                try {
                    return engine.once(scope, key, payload, ResultCodec.utf8(), () -> {
                        executions.incrementAndGet();
                        return "receipt";
                    });
                } catch (IdempotencyInProgressException e) {
                    return "in-progress";
                }
            });
            assertThat(executions).hasValue(1);
            assertThat(answers).contains("receipt").allMatch(a -> a.equals("receipt") || a.equals("in-progress"));
            assertThat(engine.once(scope, key, payload, ResultCodec.utf8(), () -> "again")).isEqualTo("receipt");
            assertThat(executions).hasValue(1);
        }
    }

    @Test
    @Timeout(120)
    void waitingDuplicatesGetTheFirstResultOnceItCompletes() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(Duration.ofSeconds(30)))
                .waitPollInterval(Duration.ofMillis(20))
                .build();
        // the duplicates must be seen waiting before the first finishes, or they would only replay
        CountDownLatch waiting = new CountDownLatch(3);
        java.util.Set<Thread> seenWaiting = java.util.concurrent.ConcurrentHashMap.newKeySet();
        IdempotencyStore observed = new dev.semel.spi.ForwardingIdempotencyStore(store) {
            @Override
            public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
                if (seenWaiting.add(Thread.currentThread())) {
                    waiting.countDown();
                }
                super.awaitChange(recordId, timeout);
            }
        };
        try (Idempotency engine = Idempotency.create(observed, config)) {
            AtomicInteger executions = new AtomicInteger();
            IdempotencyKey key = IdempotencyKey.of("wait-" + UUID.randomUUID());
            Scope scope = Scope.of("tck", "charge");
            byte[] payload = {1, 2, 3};
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                Future<String> first = pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(), () -> {
                    executions.incrementAndGet();
                    running.countDown();
                    finish.await();
                    return "first";
                }));
                assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
                List<Future<String>> waiters = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    waiters.add(pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(), () -> {
                        executions.incrementAndGet();
                        return "duplicate";
                    })));
                }
                boolean allWaiting = waiting.await(30, TimeUnit.SECONDS);
                finish.countDown();
                assertThat(allWaiting).as("every duplicate waited while the first ran").isTrue();
                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("first");
                for (Future<String> waiter : waiters) {
                    assertThat(waiter.get(30, TimeUnit.SECONDS)).isEqualTo("first");
                }
                assertThat(executions).hasValue(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Whether the store wakes waiting duplicates when a record completes or is released
     * ({@link IdempotencyStore#awaitChange} returns early). Default {@code true}; a store that
     * relies on the engine's polling (the SPI's default {@code awaitChange}) returns {@code false},
     * which skips the tests that tell a wake-up from a poll or a timeout
     * ({@code awaitChangeReturnsWhen…}, {@code aWaitingDuplicateIsWokenBy…}).
     *
     * @return whether {@code awaitChange} returns as soon as the record changes
     */
    protected boolean wakesWaiters() {
        return true;
    }

    /** The store under test, counting down {@code waiting} each time the engine starts to wait on it. */
    private IdempotencyStore countingWaits(CountDownLatch waiting) {
        return new dev.semel.spi.ForwardingIdempotencyStore(store) {
            @Override
            public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
                waiting.countDown();
                super.awaitChange(recordId, timeout);
            }
        };
    }

    /** A wait with a poll so long that only the store's signal can end it within a test's bound. */
    private static IdempotencyConfig onlyTheStoresSignalEndsAWait() {
        return IdempotencyConfig.custom()
                .waitPolicy(WaitPolicy.waitUpTo(NEVER))
                .waitPollInterval(NEVER)
                .build();
    }

    @Test
    void aWaitingDuplicateIsWokenByTheCompletionNotByThePoll() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(wakesWaiters(), "the store relies on the engine's polling");
        int duplicates = 3;
        CountDownLatch waiting = new CountDownLatch(duplicates);
        IdempotencyStore signalled = countingWaits(waiting);
        IdempotencyConfig config = onlyTheStoresSignalEndsAWait();
        try (Idempotency engine = Idempotency.create(signalled, config)) {
            IdempotencyKey key = IdempotencyKey.of("wake-" + UUID.randomUUID());
            Scope scope = Scope.of("tck", "charge");
            byte[] payload = {4, 5, 6};
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(duplicates + 1);
            try {
                Future<String> first = pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(), () -> {
                    running.countDown();
                    finish.await();
                    return "first";
                }));
                assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
                List<Future<String>> waiters = new ArrayList<>();
                for (int i = 0; i < duplicates; i++) {
                    waiters.add(pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(),
                            () -> "duplicate")));
                }
                assertThat(waiting.await(30, TimeUnit.SECONDS)).as("every duplicate waits on the store").isTrue();
                finish.countDown();
                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("first");
                for (Future<String> waiter : waiters) {
                    assertThat(waiter.get(WAKE_BOUND.toSeconds(), TimeUnit.SECONDS))
                            .as("woken by the completion; a store that never signals waits the 10 min poll")
                            .isEqualTo("first");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * How long a test waits for a woken thread before deciding nobody woke it. Generous, so a
     * slow machine never fails a correct store; far below {@link #NEVER}, so a store that only
     * times out is caught.
     */
    private static final Duration WAKE_BOUND = Duration.ofSeconds(15);
    /** A wait no correct store lets run out in a test: only a signal (or a re-check) ends it. */
    private static final Duration NEVER = Duration.ofMinutes(10);

    @Test
    void awaitChangeReturnsWhenTheRecordCompletes() throws Exception {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        assertWokenBy(id, () -> assertThat(store.complete(id, token, response("done"), T0.plus(TTL), T0)).isTrue());
    }

    @Test
    void awaitChangeReturnsWhenTheRecordIsReleased() throws Exception {
        String id = newRecordId();
        long token = claimed(store.claim(claimAt(id, randomFingerprint(), T0)));
        assertWokenBy(id, () -> assertThat(store.release(id, token)).isTrue());
    }

    @Test
    void awaitChangeReturnsAtOnceForARecordThatIsNoLongerInProgress() throws Exception {
        // a change just before the wait began must not be missed: the store looks before it sleeps
        String done = newRecordId();
        long token = claimed(store.claim(claimAt(done, randomFingerprint(), T0)));
        assertThat(store.complete(done, token, response("done"), T0.plus(TTL), T0)).isTrue();
        assertWokenBy(done, () -> { });
        String released = newRecordId();
        long other = claimed(store.claim(claimAt(released, randomFingerprint(), T0)));
        assertThat(store.release(released, other)).isTrue();
        assertWokenBy(released, () -> { });
    }

    /**
     * Starts a thread waiting {@link #NEVER} for the record, runs the change, and asserts that the
     * waiting thread came back within {@link #WAKE_BOUND}: a store that does not signal (or does
     * not look at the record before it sleeps) keeps it waiting, and the bounded join fails.
     */
    private void assertWokenBy(String recordId, ThrowingRunnable change) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(wakesWaiters(), "the store relies on the engine's polling");
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch returned = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> waiter = pool.submit(() -> {
                waiting.countDown();
                store.awaitChange(recordId, NEVER);
                returned.countDown();
                return null;
            });
            assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
            change.run();
            assertThat(returned.await(WAKE_BOUND.toSeconds(), TimeUnit.SECONDS))
                    .as("awaitChange returned because of the change, not its %s timeout", NEVER)
                    .isTrue();
            waiter.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A change a wake-up test makes. */
    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aWaitingDuplicateIsWokenByTheReleaseAndRunsTheOperationItself() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(wakesWaiters(), "the store relies on the engine's polling");
        CountDownLatch waiting = new CountDownLatch(1);
        IdempotencyStore signalled = countingWaits(waiting);
        IdempotencyConfig config = onlyTheStoresSignalEndsAWait();
        try (Idempotency engine = Idempotency.create(signalled, config)) {
            IdempotencyKey key = IdempotencyKey.of("wake-release-" + UUID.randomUUID());
            Scope scope = Scope.of("tck", "charge");
            byte[] payload = {7, 8, 9};
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch fail = new CountDownLatch(1);
            AtomicInteger executions = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<String> first = pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(), () -> {
                    executions.incrementAndGet();
                    running.countDown();
                    fail.await();
                    throw new IllegalStateException("gateway timeout");
                }));
                assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
                Future<String> duplicate = pool.submit(() -> engine.once(scope, key, payload, ResultCodec.utf8(),
                        () -> {
                            executions.incrementAndGet();
                            return "second";
                        }));
                assertThat(waiting.await(30, TimeUnit.SECONDS)).as("the duplicate waits on the store").isTrue();
                fail.countDown();
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> first.get(30, TimeUnit.SECONDS)))
                        .hasRootCauseInstanceOf(IllegalStateException.class);
                assertThat(duplicate.get(WAKE_BOUND.toSeconds(), TimeUnit.SECONDS))
                        .as("woken by the release; a store that never signals waits the %s poll", NEVER)
                        .isEqualTo("second");
                assertThat(executions).hasValue(2);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void awaitChangeReturnsWithinItsTimeoutWhenNothingChanges() throws Exception {
        String id = newRecordId();
        store.claim(claimAt(id, randomFingerprint(), T0));
        CountDownLatch returned = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            pool.submit(() -> {
                store.awaitChange(id, Duration.ofMillis(50));
                returned.countDown();
                return null;
            });
            assertThat(returned.await(WAKE_BOUND.toSeconds(), TimeUnit.SECONDS))
                    .as("a wait on a record that stays in progress ends with its timeout").isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Runs {@code n} tasks on {@code n} threads released together by a latch.
     *
     * @param n how many
     * @param task the task, given its index
     * @param <T> result type
     * @return every task's result, by index
     * @throws Exception if a task failed
     */
    protected static <T> List<T> race(int n, RaceTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<T> c = () -> {
                    ready.countDown();
                    go.await();
                    return task.run(index);
                };
                futures.add(pool.submit(c));
            }
            assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One racer's work.
     *
     * @param <T> its result type
     */
    @FunctionalInterface
    protected interface RaceTask<T> {
        /**
         * Runs the work.
         *
         * @param index the racer's index
         * @return its result
         * @throws Exception on failure
         */
        T run(int index) throws Exception;
    }
}
