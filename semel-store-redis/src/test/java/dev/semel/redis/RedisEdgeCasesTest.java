package dev.semel.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semel.Fingerprint;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoredResponse;
import dev.semel.test.redis.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the Redis store does at its edges, on a real server: key prefixes holding glob
 * characters, the instant of expiry, the admin query's limit and its summary window, the
 * change notifications, the server's clock, several waiters on one record, and a closed store.
 */
class RedisEdgeCasesTest {
    private static final String BASE = TestKeys.uniquePrefix(RedisEdgeCasesTest.class);
    private static final Instant T0 = Instant.parse("2030-01-02T03:04:05.678Z");
    private static RedisClient client;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.url());
    }

    @AfterAll
    static void disconnect() {
        TestKeys.deleteAll(client, BASE);
        client.shutdown();
    }

    private static RedisIdempotencyStore store(String prefix) {
        return RedisIdempotencyStore.builder(client).keyPrefix(prefix).useServerClock(false).build();
    }

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static ClaimRequest claim(String id, String key, Instant now) {
        return new ClaimRequest(id, key, "alice POST /orders", Fingerprint.of(new byte[] {1}).bytes(), "owner", 7,
                now.plusSeconds(30), now.plus(Duration.ofHours(1)), now);
    }

    private static StoredResponse created() {
        return StoredResponse.of(201, List.of(), new byte[] {1, 2});
    }

    /**
     * {@code SCAN MATCH} takes a glob: a prefix's {@code * ? [ \} must match themselves only, or
     * one store's query and purge would reach another store's records (and misread their ids).
     */
    @Test
    void aPrefixWithGlobCharactersSeesOnlyItsOwnRecords() {
        try (RedisIdempotencyStore other = store(BASE + "z:")) {
            String theirs = newId();
            other.claim(claim(theirs, "theirs", T0));
            other.complete(theirs, 7, created(), T0.plusSeconds(60), T0);

            for (String prefix : List.of("*:", "?:", "\\z:", "[z]:")) {
                try (RedisIdempotencyStore store = store(BASE + prefix)) {
                    String mine = newId();
                    store.claim(claim(mine, "mine", T0));

                    assertThat(store.query(RecordQuery.all(), T0)).as(prefix).extracting(IdempotencyRecord::recordId)
                            .containsExactly(mine);
                    assertThat(store.purgeExpired(T0.plus(Duration.ofDays(1)), 100)).as(prefix).isEqualTo(1);
                    assertThat(other.find(theirs, T0)).as(prefix).isPresent();
                }
            }
        }
    }

    /** The default prefix is shorter than the glob escaping's spare room. */
    @Test
    void aQueryUnderAShortPrefixWorks() {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).useServerClock(false).build()) {
            assertThat(store.query(RecordQuery.all().withKeyPrefix("no-such-key-" + UUID.randomUUID()), T0)).isEmpty();
        }
    }

    @Test
    void aRecordIdWithCharactersPastAsciiIsKeyedByItsUtf8Bytes() {
        String prefix = BASE + "utf8:";
        try (RedisIdempotencyStore store = store(prefix);
                StatefulRedisConnection<byte[], byte[]> raw = client.connect(ByteArrayCodec.INSTANCE)) {
            for (String id : List.of("\u0080é✓\u00ff", "k\u0080")) {
                store.claim(claim(id, "k", T0));

                assertThat(raw.sync().get((prefix + "{" + id + "}").getBytes(StandardCharsets.UTF_8))).as(id)
                        .isNotNull();
                assertThat(store.find(id, T0)).as(id).isPresent();
            }
        }
    }

    /** Purge deletes what find() already calls gone: a record at its expiry, a lease at its end. */
    @Test
    void purgeRemovesARecordAtTheInstantItExpiresAndALeaseAtTheInstantItEnds() {
        try (RedisIdempotencyStore store = store(BASE + "purge-edge:")) {
            String completed = newId();
            store.claim(claim(completed, "done", T0));
            store.complete(completed, 7, created(), T0.plusSeconds(60), T0);
            String abandoned = newId();
            store.claim(claim(abandoned, "abandoned", T0.plusSeconds(30)));

            assertThat(store.purgeExpired(T0.plusSeconds(59), 10)).isZero();
            assertThat(store.purgeExpired(T0.plusSeconds(60), 10)).isEqualTo(2);
            assertThat(store.find(completed, T0)).isEmpty();
            assertThat(store.find(abandoned, T0)).isEmpty();
        }
    }

    @Test
    void purgeDeletesNoMoreThanItsLimit() {
        try (RedisIdempotencyStore store = store(BASE + "purge-limit:")) {
            for (int i = 0; i < 3; i++) {
                String id = newId();
                store.claim(claim(id, "k" + i, T0));
                store.complete(id, 7, created(), T0.plusSeconds(60), T0);
            }

            assertThat(store.purgeExpired(T0.plusSeconds(120), 2)).isEqualTo(2);
            assertThat(store.purgeExpired(T0.plusSeconds(120), 2)).isEqualTo(1);
            assertThat(store.purgeExpired(T0.plusSeconds(120), 2)).isZero();
        }
    }

    /** The limit counts records that match: newer records of other keys must not crowd them out. */
    @Test
    void aQuerysLimitCountsOnlyMatchingRecords() {
        try (RedisIdempotencyStore store = store(BASE + "query-limit:")) {
            for (int i = 0; i < 3; i++) {
                store.claim(claim(newId(), "old-" + i, T0.plusSeconds(i)));
            }
            for (int i = 0; i < 5; i++) {
                store.claim(claim(newId(), "new-" + i, T0.plusSeconds(10 + i)));
            }

            assertThat(store.query(RecordQuery.all().withKeyPrefix("old-").withLimit(2), T0.plusSeconds(20)))
                    .extracting(IdempotencyRecord::key).containsExactly("old-2", "old-1");
        }
    }

    /** The query filters on a record's first kilobyte; a key past it is read from the whole value. */
    @Test
    void aQueryFindsARecordWhoseKeyLiesPastTheSummaryWindow() {
        try (RedisIdempotencyStore store = store(BASE + "query-long:")) {
            String id = newId();
            String owner = "o".repeat(1500);
            store.claim(new ClaimRequest(id, "long-key", "s", Fingerprint.of(new byte[] {1}).bytes(), owner, 7,
                    T0.plusSeconds(30), T0.plusSeconds(3600), T0));
            store.claim(claim(newId(), "short-key", T0));

            assertThat(store.query(RecordQuery.all().withKeyPrefix("long-"), T0))
                    .extracting(IdempotencyRecord::recordId, IdempotencyRecord::leaseOwner)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(id, owner));
        }
    }

    /** Waiters on other instances subscribe to {@code <prefix>{<recordId>}:changed} (docs/redis.md). */
    @Test
    @Timeout(60)
    void everyChangeIsPublishedOnTheRecordsDocumentedChannel() throws Exception {
        String prefix = BASE + "channel:";
        String id = newId();
        String channel = prefix + "{" + id + "}:changed";
        Queue<String> messages = new ConcurrentLinkedQueue<>();
        try (RedisIdempotencyStore store = store(prefix);
                StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String ch, String message) {
                    messages.add(ch + " " + message);
                }
            });
            sub.sync().subscribe(channel);

            store.claim(claim(id, "k", T0));
            store.complete(id, 7, created(), T0.plusSeconds(60), T0);
            awaitMessages(messages, 1);
            assertThat(store.delete(id)).isTrue();
            awaitMessages(messages, 2);
            store.claim(claim(id, "k", T0));
            assertThat(store.release(id, 7)).isTrue();
            awaitMessages(messages, 3);

            assertThat(messages).containsExactly(channel + " completed", channel + " deleted", channel + " released");
        }
    }

    private static void awaitMessages(Queue<String> messages, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (messages.size() < n) {
            assertThat(System.nanoTime()).as("message %d published", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    /** On its own clock the store writes the server's time ({@code TIME}), to the millisecond. */
    @Test
    void aRecordCreatedOnTheServersClockCarriesTheServersTime() {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).keyPrefix(BASE + "clock:").build();
                StatefulRedisConnection<String, String> admin = client.connect()) {
            Instant before = serverTime(admin);
            String id = newId();
            store.claim(claim(id, "k", Instant.now()));
            Instant after = serverTime(admin);

            Instant created = store.find(id, Instant.now()).orElseThrow().createdAt();
            assertThat(created).isBetween(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                    after.plusMillis(50));
        }
    }

    /** The asynchronous claim lays a caller's times onto the server's clock as the blocking one does. */
    @Test
    void anAsynchronousClaimByANodeWhoseClockRunsAheadCarriesTheServersTime() throws Exception {
        try (RedisIdempotencyStore store = RedisIdempotencyStore.builder(client).keyPrefix(BASE + "clock-async:")
                .build(); StatefulRedisConnection<String, String> admin = client.connect()) {
            store.find(newId(), Instant.now()); // the server's clock is read: the claim below needs no hop
            Instant before = serverTime(admin);
            String id = newId();
            Instant ahead = Instant.now().plus(Duration.ofHours(1));
            ClaimResult result = store.claimAsync(claim(id, "k", ahead), r -> {
                throw new AssertionError("no blocking hop expected");
            }).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Instant after = serverTime(admin);

            assertThat(result).isEqualTo(new ClaimResult.Claimed(7, false));
            IdempotencyRecord record = store.find(id, Instant.now()).orElseThrow();
            assertThat(record.createdAt()).isBetween(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                    after.plusMillis(50));
            assertThat(Duration.between(record.createdAt(), record.leaseDeadline())).isEqualTo(Duration.ofSeconds(30));
        }
    }

    private static Instant serverTime(StatefulRedisConnection<String, String> admin) {
        List<String> time = admin.sync().time();
        return Instant.ofEpochSecond(Long.parseLong(time.get(0)), Long.parseLong(time.get(1)) * 1_000L);
    }

    /** A waiter that gives up must not take the wake-up away from the others on the same record. */
    @Test
    @Timeout(60)
    void aWaiterStillWaitingIsWokenAfterAnotherWaiterOnTheSameRecordGaveUp() throws Exception {
        String id = newId();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (RedisIdempotencyStore store = store(BASE + "waiters:")) {
            store.claim(claim(id, "k", T0));
            Future<?> patient = pool.submit(() -> {
                store.awaitChange(id, Duration.ofMinutes(10));
                return null;
            });
            while (!store.isWaiting(id)) {
                assertThat(patient).isNotDone();
                Thread.onSpinWait();
            }

            store.awaitChange(id, Duration.ofMillis(200)); // nothing changes: it gives up
            assertThat(patient).isNotDone();
            store.complete(id, 7, created(), T0.plusSeconds(60), T0);

            patient.get(15, TimeUnit.SECONDS);
            assertThat(store.isWaiting(id)).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    /** The store's two connections close with it; a closed store is not quietly reopened. */
    @Test
    @Timeout(60)
    void closingTheStoreClosesItsConnectionsAndACallAfterwardsFails() throws Exception {
        String name = "semel-edge-" + UUID.randomUUID().toString().substring(0, 8);
        RedisClient named = RedisClient.create(RedisURI.builder(RedisURI.create(TestRedis.url()))
                .withClientName(name).build());
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            RedisIdempotencyStore store = RedisIdempotencyStore.builder(named).keyPrefix(BASE + "close:")
                    .useServerClock(false).build();
            String id = newId();
            store.claim(claim(id, "k", T0));
            store.awaitChange(id, Duration.ofMillis(1)); // opens the pub/sub connection too
            assertThat(clientsNamed(admin, name)).isEqualTo(2);

            store.close();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (clientsNamed(admin, name) > 0) {
                assertThat(System.nanoTime()).as("connections closed").isLessThan(deadline);
                Thread.onSpinWait();
            }
            assertThatThrownBy(() -> store.find(id, T0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            store.awaitChange(newId(), Duration.ofMillis(1)); // waits without a wake-up, opens nothing
            assertThat(clientsNamed(admin, name)).isZero();
        } finally {
            named.shutdown();
        }
    }

    private static long clientsNamed(StatefulRedisConnection<String, String> admin, String name) {
        return admin.sync().clientList().lines().filter(l -> l.contains(" name=" + name + " ")).count();
    }

    @Test
    void prefixesThatStartWithABraceAndScanBoundsBelowOneAreRefused() {
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).keyPrefix("{app:"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).keyPrefix("}app:"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(client).maxScannedKeys(0))
                .isInstanceOf(IllegalArgumentException.class);
        try (RedisIdempotencyStore one = RedisIdempotencyStore.builder(client).keyPrefix(BASE + "one:")
                .maxScannedKeys(1).useServerClock(false).build()) {
            String id = newId();
            one.claim(claim(id, "k", T0));
            assertThat(one.query(RecordQuery.all(), T0)).extracting(IdempotencyRecord::recordId).containsExactly(id);
        }
    }

    @Test
    void aClaimOnAClosedStoreDoesNotReachRedis() {
        RedisIdempotencyStore store = store(BASE + "closed:");
        store.close();
        String id = newId();
        assertThatThrownBy(() -> store.claim(claim(id, "k", T0))).isInstanceOf(IllegalStateException.class);
        try (RedisIdempotencyStore open = store(BASE + "closed:")) {
            assertThat(open.claim(claim(id, "k", T0))).isEqualTo(new ClaimResult.Claimed(7, false));
        }
    }
}
