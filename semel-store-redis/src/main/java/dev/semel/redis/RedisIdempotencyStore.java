package dev.semel.redis;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoreClock;
import dev.semel.spi.StoredResponse;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * An idempotency store in Redis, shared by every instance of a service: standalone,
 * Sentinel (through a {@code RedisClient} with a Sentinel URI) or Cluster (through a
 * {@code RedisClusterClient}).
 *
 * <p>Each record is one Redis string under {@code <prefix>{<recordId>}}; the hash tag keeps
 * everything about a record in one cluster slot. Every transition is one atomic command:
 * a claim is {@code SET NX GET} on Redis 7 and later (a script when it must rewrite a record
 * it found, and on older servers), the others are Lua scripts run by their SHA (reloaded
 * transparently after {@code SCRIPT FLUSH} or a failover), so claim, complete and replay
 * each take one round trip. Completed records expire by their TTL;
 * in-progress records expire {@link Builder#leaseGrace(Duration) a grace period} after
 * their lease, bounded by the record's TTL. Duplicates that wait are woken through pub/sub.
 * Any Redis failure (unreachable, timeout, read-only replica after a failover) is thrown as
 * {@link IdempotencyStoreException}, which the engine turns into fail-closed by default.
 *
 * <p>The store opens two connections on the client you give it (commands and pub/sub) and
 * closes them in {@link #close()}; the client stays yours.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://localhost:6379");
 * RedisIdempotencyStore store = RedisIdempotencyStore.builder(client)
 *         .keyPrefix("payments:idem:")
 *         .build();
 * Idempotency engine = Idempotency.create(store, IdempotencyConfig.ofDefaults());
 * }</pre>
 *
 * <p>Key layout, encoding and failure behaviour: {@code docs/redis.md}.
 */
public final class RedisIdempotencyStore implements IdempotencyStore, AutoCloseable {
    /** The default key prefix: {@value}. */
    public static final String DEFAULT_KEY_PREFIX = "semel:";
    /** The default time to wait for Redis to answer one command: 2 seconds. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** The default time an in-progress record outlives its lease in Redis: 1 hour. */
    public static final Duration DEFAULT_LEASE_GRACE = Duration.ofHours(1);
    /** The default bound on keys one admin query or purge call examines: 100,000. */
    public static final int DEFAULT_MAX_SCANNED_KEYS = 100_000;

    private static final System.Logger LOG = System.getLogger(RedisIdempotencyStore.class.getName());
    private static final int SCAN_BATCH = 500;
    private static final int SUMMARY_BYTES = 1024;
    /** Marks a {@code SET NX GET} the server rejected; compared by identity. */
    private static final byte[] UNSUPPORTED = new byte[0];

    private final String keyPrefix;
    /** {@code <prefix>{} in UTF-8. */
    private final byte[] keyStart;
    private final Duration commandTimeout;
    private final byte[] leaseGraceMillis;
    private final long leaseGrace;
    /** Whether claims try {@code SET NX GET} first; cleared for good when the server rejects it (before 7.0). */
    private volatile boolean setNxGet = true;
    private final int maxScannedKeys;
    private final Waiters waiters = new Waiters();
    private final Connections connections;
    /** The server's clock ({@code TIME}), or {@code null} when the store judges time by the caller's {@code now}. */
    private final StoreClock serverClock;
    private final boolean allowEviction;
    /** Whether the server's eviction policy was read (or could not be, and a warning was logged). */
    private volatile boolean evictionPolicyChecked;
    /** Set when the server evicts keys and the builder did not allow it: every call fails with it. */
    private volatile IdempotencyStoreException evictionRefusal;

    private RedisIdempotencyStore(Builder b) {
        this.keyPrefix = b.keyPrefix;
        this.keyStart = ascii(keyPrefix + "{");
        this.commandTimeout = b.commandTimeout;
        this.leaseGrace = b.leaseGrace.toMillis();
        this.leaseGraceMillis = ascii(Long.toString(leaseGrace));
        this.maxScannedKeys = b.maxScannedKeys;
        this.connections = new Connections(b.client, waiters);
        waiters.attach(connections);
        this.allowEviction = b.allowEviction;
        this.serverClock = b.useServerClock ? new StoreClock(this::readServerTime, StoreClock.DEFAULT_REFRESH) : null;
        try {
            checkEvictionPolicy();
        } catch (IdempotencyStoreException unreachable) {
            // Redis is down at start: the first call that reaches it checks the policy
            LOG.log(System.Logger.Level.DEBUG, "Redis unreachable at start; its eviction policy is checked at first use");
        }
        if (evictionRefusal != null) {
            connections.close();
            throw new IllegalStateException(evictionRefusal.getMessage());
        }
        if (serverClock != null && evictionPolicyChecked) {
            try {
                serverClock.now(true); // read now, so that the first asynchronous call need not
            } catch (IllegalStateException unreachable) {
                // the first call reads it
            }
        }
    }

    /** Policies under which Redis never drops a key that has no TTL left to run. */
    private static final java.util.Set<String> SAFE_POLICIES = java.util.Set.of("noeviction");

    /**
     * Reads {@code maxmemory-policy} once: under {@code allkeys-*} or {@code volatile-*} Redis may
     * drop a live record when memory runs out (every record has a TTL), and a duplicate then runs
     * again. Refused unless the builder allows it; a server that hides {@code CONFIG} (managed
     * Redis) gets a warning.
     */
    private void checkEvictionPolicy() {
        if (evictionPolicyChecked) {
            return;
        }
        synchronized (this) {
            if (evictionPolicyChecked) {
                return;
            }
            String policy;
            try {
                java.util.Map<String, String> config = awaitRaw(connections.commands().configGet("maxmemory-policy"));
                policy = config.get("maxmemory-policy");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RedisCommandExecutionException hidden) {
                    LOG.log(System.Logger.Level.WARNING, "Could not read Redis's maxmemory-policy (" + hidden.getMessage()
                            + "; CONFIG is disabled or renamed, as on many managed services). Make sure it is"
                            + " 'noeviction': under allkeys-* or volatile-* policies Redis may evict live idempotency"
                            + " records, and a retry would run the operation again");
                    evictionPolicyChecked = true;
                    return;
                }
                throw failure("read the eviction policy", e.getCause());
            }
            if (policy == null) {
                LOG.log(System.Logger.Level.WARNING, "Redis did not report a maxmemory-policy; make sure it is 'noeviction'");
            } else if (!SAFE_POLICIES.contains(policy)) {
                String message = "Redis's maxmemory-policy is '" + policy + "': when memory runs out Redis evicts keys,"
                        + " live idempotency records included, and a retry would run the operation again. Set"
                        + " 'maxmemory-policy noeviction' on the server (or use a Redis of its own for Semel), or accept"
                        + " the risk with RedisIdempotencyStore.Builder.allowEviction(true)"
                        + " (Spring: semel.store.redis.allow-eviction=true)";
                if (allowEviction) {
                    LOG.log(System.Logger.Level.WARNING, message + " — allowed by allowEviction(true)");
                } else {
                    evictionRefusal = new IdempotencyStoreException(message, null);
                }
            }
            evictionPolicyChecked = true;
        }
    }

    private Instant readServerTime() throws Exception {
        List<byte[]> time = awaitRaw(connections.commands().time());
        long seconds = Long.parseLong(new String(time.get(0), StandardCharsets.US_ASCII));
        long micros = Long.parseLong(new String(time.get(1), StandardCharsets.US_ASCII));
        return Instant.ofEpochSecond(seconds, micros * 1_000L);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code true} unless built with {@link Builder#useServerClock(boolean) useServerClock(false)}.
     */
    @Override
    public boolean usesOwnClock() {
        return serverClock != null;
    }

    /** The server's now ({@code TIME}, carried forward), or the caller's without a server clock. */
    private Instant storeNow(Instant callerNow) {
        Objects.requireNonNull(callerNow, "now");
        if (serverClock == null) {
            return callerNow;
        }
        try {
            return serverClock.now(true);
        } catch (IllegalStateException e) {
            throw new IdempotencyStoreException("Could not read the Redis server's clock: " + e.getMessage(), e);
        }
    }

    /**
     * Starts configuring a store on a Lettuce client.
     *
     * @param client a {@code RedisClient} (standalone or Sentinel URI) or a {@code RedisClusterClient};
     *     it stays yours to shut down after closing the store
     * @return a builder
     */
    public static Builder builder(AbstractRedisClient client) {
        return new Builder(client);
    }

    // ------------------------------------------------------------------ SPI

    /**
     * {@inheritDoc}
     *
     * <p>On Redis 7 and later the common cases take one plain command: {@code SET NX GET PX}
     * writes the in-progress record if the key is free (a new key) and otherwise returns the
     * record unchanged (a replay, a conflict or a mismatch), at the server cost of a
     * {@code GET}. Only when the record it returns must be rewritten (an ended lease taken
     * over, or a record already expired by the engine's clock that Redis still holds) does the
     * claim script run, which reads and decides again atomically. Older servers reject
     * {@code NX} with {@code GET}; the store then runs the claim script for every claim.
     */
    @Override
    public ClaimResult claim(ClaimRequest callerRequest) {
        ClaimRequest request = serverClock == null ? callerRequest
                : StoreClock.onStoreClock(callerRequest, storeNow(callerRequest.now()));
        byte[] value = RecordCodec.inProgress(request);
        if (setNxGet) {
            long now = RecordCodec.millis(request.now(), "now");
            byte[] existing = setIfAbsent(key(request.recordId()), value, RecordCodec.inProgressTtl(value, now,
                    leaseGrace));
            if (existing == null) {
                return new ClaimResult.Claimed(request.freshToken(), false);
            }
            if (existing != UNSUPPORTED && !RecordCodec.mustRewrite(existing, now, request.fingerprint())) {
                return ClaimResult.found(RecordCodec.decode(request.recordId(), existing));
            }
        }
        List<Object> result = eval(Scripts.CLAIM, ScriptOutputType.MULTI, request.recordId(),
                RecordCodec.instant(request.now(), "now"), request.fingerprint(), value,
                RecordCodec.instant(request.leaseDeadline(), "leaseDeadline"), RecordCodec.owner(request.owner()),
                leaseGraceMillis);
        return claimScriptResult(request, result);
    }

    /** What the claim script answered: 0 claimed, 1 taken over (with the new token), else the record found. */
    private static ClaimResult claimScriptResult(ClaimRequest request, List<Object> result) {
        long code = (Long) result.get(0);
        if (code == 0) {
            return new ClaimResult.Claimed(request.freshToken(), false);
        }
        if (code == 1) {
            return new ClaimResult.Claimed(RecordCodec.toLong((byte[]) result.get(1)), true);
        }
        return ClaimResult.found(RecordCodec.decode(request.recordId(), (byte[]) result.get(1)));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Native: the same commands as {@link #claim}, answered on Lettuce's I/O threads, so no
     * thread waits for Redis. Only a call that must first read the server's clock (every
     * 30 seconds) or the eviction policy (once) runs on {@code blocking}.
     */
    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest callerRequest, Executor blocking) {
        if (mustReadBeforeCommands()) {
            return CompletableFuture.supplyAsync(() -> claim(callerRequest), blocking);
        }
        ClaimRequest request = serverClock == null ? callerRequest
                : StoreClock.onStoreClock(callerRequest, storeNow(callerRequest.now()));
        byte[] value = RecordCodec.inProgress(request);
        if (!setNxGet) {
            return claimByScriptAsync(request, value);
        }
        long now = RecordCodec.millis(request.now(), "now");
        return timed(commands().setGet(key(request.recordId()), value,
                SetArgs.Builder.nx().px(RecordCodec.inProgressTtl(value, now, leaseGrace)))).handle((existing, error) -> {
                    if (error != null) {
                        Throwable cause = cause(error);
                        if (cause instanceof RedisCommandExecutionException e && e.getMessage() != null
                                && e.getMessage().contains("syntax error")) {
                            setNxGet = false; // Redis before 7.0: nothing was written
                            return claimByScriptAsync(request, value);
                        }
                        return CompletableFuture.<ClaimResult>failedFuture(failure("claim a record", cause));
                    }
                    if (existing == null) {
                        return CompletableFuture.completedFuture(
                                (ClaimResult) new ClaimResult.Claimed(request.freshToken(), false));
                    }
                    if (!RecordCodec.mustRewrite(existing, now, request.fingerprint())) {
                        return CompletableFuture.completedFuture(
                                ClaimResult.found(RecordCodec.decode(request.recordId(), existing)));
                    }
                    return claimByScriptAsync(request, value);
                }).thenCompose(Function.identity());
    }

    private CompletableFuture<ClaimResult> claimByScriptAsync(ClaimRequest request, byte[] value) {
        return this.<List<Object>>evalAsync(Scripts.CLAIM, ScriptOutputType.MULTI, request.recordId(),
                RecordCodec.instant(request.now(), "now"), request.fingerprint(), value,
                RecordCodec.instant(request.leaseDeadline(), "leaseDeadline"), RecordCodec.owner(request.owner()),
                leaseGraceMillis).thenApply(result -> claimScriptResult(request, result));
    }

    /**
     * {@code SET key value NX PX ttl GET}: one atomic command that writes the value if the key
     * is free and returns what it holds otherwise.
     *
     * @return the value the key held (left unchanged), {@code null} if the value was written, or
     *     {@link #UNSUPPORTED} (nothing written) if the server does not support the command
     */
    private byte[] setIfAbsent(byte[] key, byte[] value, long ttlMillis) {
        try {
            return awaitRaw(commands().setGet(key, value, SetArgs.Builder.nx().px(ttlMillis)));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RedisCommandExecutionException error && error.getMessage() != null
                    && error.getMessage().contains("syntax error")) {
                // Redis before 7.0 rejects NX together with GET, and wrote nothing: use the claim script from now on
                setNxGet = false;
                return UNSUPPORTED;
            }
            throw failure("claim a record", e.getCause());
        }
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant callerExpiresAt,
            Instant callerNow) {
        Objects.requireNonNull(response, "response");
        Instant now = storeNow(callerNow);
        Instant expiresAt = StoreClock.onStoreClock(callerExpiresAt, callerNow, now);
        Long done = eval(Scripts.COMPLETE, ScriptOutputType.INTEGER, recordId, RecordCodec.longBytes(fencingToken),
                RecordCodec.instant(now, "now"), RecordCodec.instant(expiresAt, "expiresAt"),
                RecordCodec.response(response), channelBytes(recordId));
        return done == 1;
    }

    /** {@inheritDoc} Native, as {@link #claimAsync}. */
    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant callerExpiresAt, Instant callerNow, Executor blocking) {
        Objects.requireNonNull(response, "response");
        if (mustReadBeforeCommands()) {
            return CompletableFuture.supplyAsync(
                    () -> complete(recordId, fencingToken, response, callerExpiresAt, callerNow), blocking);
        }
        Instant now = storeNow(callerNow);
        Instant expiresAt = StoreClock.onStoreClock(callerExpiresAt, callerNow, now);
        return this.<Long>evalAsync(Scripts.COMPLETE, ScriptOutputType.INTEGER, recordId,
                RecordCodec.longBytes(fencingToken), RecordCodec.instant(now, "now"),
                RecordCodec.instant(expiresAt, "expiresAt"), RecordCodec.response(response), channelBytes(recordId))
                .thenApply(done -> done == 1);
    }

    /** {@inheritDoc} Native, as {@link #claimAsync}. */
    @Override
    public CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        if (mustReadBeforeCommands()) {
            return CompletableFuture.supplyAsync(() -> release(recordId, fencingToken), blocking);
        }
        return this.<Long>evalAsync(Scripts.RELEASE, ScriptOutputType.INTEGER, recordId,
                RecordCodec.longBytes(fencingToken), channelBytes(recordId)).thenApply(done -> done == 1);
    }

    /** Whether a call must first read from Redis and wait for it: the eviction policy, or a stale server clock. */
    private boolean mustReadBeforeCommands() {
        return !evictionPolicyChecked || (serverClock != null && serverClock.isStale());
    }

    @Override
    public boolean release(String recordId, long fencingToken) {
        Long done = eval(Scripts.RELEASE, ScriptOutputType.INTEGER, recordId, RecordCodec.longBytes(fencingToken),
                channelBytes(recordId));
        return done == 1;
    }

    @Override
    public boolean renew(String recordId, long fencingToken, Instant callerDeadline, Instant callerNow) {
        Instant now = storeNow(callerNow);
        Instant leaseDeadline = StoreClock.onStoreClock(callerDeadline, callerNow, now);
        Long done = eval(Scripts.RENEW, ScriptOutputType.INTEGER, recordId, RecordCodec.longBytes(fencingToken),
                RecordCodec.instant(leaseDeadline, "leaseDeadline"), RecordCodec.instant(now, "now"),
                leaseGraceMillis);
        return done == 1;
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant callerNow) {
        Instant now = storeNow(callerNow);
        byte[] value = await(commands().get(key(recordId)), "read a record");
        if (value == null) {
            return Optional.empty();
        }
        IdempotencyRecord record = RecordCodec.decode(recordId, value);
        return record.expiresAt().isAfter(now) ? Optional.of(record) : Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Scans the keys under this store's prefix (at most {@link Builder#maxScannedKeys} of
     * them), reads their first bytes to filter, then reads the newest matches in full.
     */
    @Override
    public List<IdempotencyRecord> query(RecordQuery callerQuery, Instant callerNow) {
        Objects.requireNonNull(callerQuery, "query");
        Instant now = storeNow(callerNow);
        RecordQuery query = StoreClock.onStoreClock(callerQuery, callerNow, now);
        record Candidate(byte[] key, Instant createdAt) {
        }
        List<Candidate> candidates = new ArrayList<>();
        RedisClusterAsyncCommands<byte[], byte[]> commands = commands();
        scan(batch -> {
            List<RedisFuture<byte[]>> heads = new ArrayList<>(batch.size());
            for (byte[] key : batch) {
                heads.add(commands.getrange(key, 0, SUMMARY_BYTES - 1));
            }
            for (int i = 0; i < batch.size(); i++) {
                byte[] head = await(heads.get(i), "scan records");
                RecordCodec.Summary s = RecordCodec.summary(head);
                if (s == null && head != null && head.length >= SUMMARY_BYTES) {
                    // readable fields longer than the summary window: read the whole value
                    s = RecordCodec.summary(await(commands.get(batch.get(i)), "scan records"));
                }
                if (s != null && s.expiresAt().isAfter(now) && matches(query, s)) {
                    candidates.add(new Candidate(batch.get(i), s.createdAt()));
                }
            }
            return false;
        });
        candidates.sort(Comparator.comparing(Candidate::createdAt).reversed());
        List<Candidate> newest = candidates.subList(0, Math.min(candidates.size(), query.limit()));
        List<RedisFuture<byte[]>> values = new ArrayList<>(newest.size());
        for (Candidate c : newest) {
            values.add(commands.get(c.key()));
        }
        List<IdempotencyRecord> records = new ArrayList<>(newest.size());
        for (int i = 0; i < newest.size(); i++) {
            byte[] value = await(values.get(i), "read records");
            if (value != null) {
                IdempotencyRecord r = RecordCodec.decode(recordIdOf(newest.get(i).key()), value);
                if (r.expiresAt().isAfter(now) && query.matches(r)) {
                    records.add(r);
                }
            }
        }
        return records;
    }

    private static boolean matches(RecordQuery query, RecordCodec.Summary s) {
        return (query.keyPrefix() == null || (s.key() != null && s.key().startsWith(query.keyPrefix())))
                && (query.state() == null || (query.state() == dev.semel.spi.RecordState.COMPLETED)
                        == (s.state() == RecordCodec.COMPLETED))
                && (query.createdAfter() == null || !s.createdAt().isBefore(query.createdAfter()))
                && (query.createdBefore() == null || s.createdAt().isBefore(query.createdBefore()));
    }

    @Override
    public boolean delete(String recordId) {
        Long n = eval(Scripts.DELETE, ScriptOutputType.INTEGER, recordId, channelBytes(recordId));
        return n == 1;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Redis expires records by itself; this removes records that are logically gone by
     * {@code now} earlier than their Redis TTL, examining at most {@link Builder#maxScannedKeys} keys.
     */
    @Override
    public int purgeExpired(Instant callerNow, int limit) {
        if (limit < 1) {
            return 0;
        }
        Instant now = storeNow(callerNow);
        byte[] nowBytes = RecordCodec.instant(now, "now");
        long nowMillis = now.toEpochMilli();
        int[] removed = new int[1];
        RedisClusterAsyncCommands<byte[], byte[]> commands = commands();
        scan(batch -> {
            List<RedisFuture<byte[]>> heads = new ArrayList<>(batch.size());
            for (byte[] key : batch) {
                heads.add(commands.getrange(key, 0, RecordCodec.HEADER_LENGTH - 1));
            }
            for (int i = 0; i < batch.size() && removed[0] < limit; i++) {
                RecordCodec.Summary s = RecordCodec.summaryOfHeader(await(heads.get(i), "scan records"));
                boolean gone = s != null && (s.expiresAt().toEpochMilli() <= nowMillis
                        || (s.state() == RecordCodec.IN_PROGRESS && s.leaseDeadline().toEpochMilli() <= nowMillis));
                if (gone) {
                    // the script checks again atomically: the record may have been taken over meanwhile
                    Long n = evalKey(Scripts.PURGE, ScriptOutputType.INTEGER, batch.get(i), nowBytes);
                    removed[0] += n.intValue();
                }
            }
            return removed[0] >= limit;
        });
        return removed[0];
    }

    /**
     * Waits for a pub/sub message on the record's channel (published when it completes, is
     * released or deleted), at most {@code timeout}. Checks the record once the subscription
     * is active, so a change that happened just before is not missed. Without pub/sub it
     * waits the timeout; the engine's next claim is the fallback poll.
     */
    @Override
    public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        waiters.await(channel(recordId), timeout, () -> stillInProgress(recordId));
    }

    private boolean stillInProgress(String recordId) {
        try {
            byte[] head = await(commands().getrange(key(recordId), 0, 1), "read a record");
            return head != null && head.length == 2 && head[1] == RecordCodec.IN_PROGRESS;
        } catch (IdempotencyStoreException e) {
            return true;
        }
    }

    /** Closes the store's connections (not the client). */
    @Override
    public void close() {
        connections.close();
    }

    // ------------------------------------------------------------------ keys

    /**
     * The Redis key of a record.
     *
     * @param recordId the record id
     * @return {@code <prefix>{<recordId>}}
     */
    String keyString(String recordId) {
        return keyPrefix + "{" + recordId + "}";
    }

    /**
     * The pub/sub channel a record's changes are published on.
     *
     * @param recordId the record id
     * @return {@code <prefix>{<recordId>}:changed}
     */
    String channel(String recordId) {
        return keyString(recordId) + ":changed";
    }

    boolean isWaiting(String recordId) {
        return waiters.isWaiting(channel(recordId));
    }

    /** {@link #keyString} as bytes, built in one array: this runs on every call. */
    private byte[] key(String recordId) {
        int n = recordId.length();
        byte[] key = new byte[keyStart.length + n + 1];
        System.arraycopy(keyStart, 0, key, 0, keyStart.length);
        for (int i = 0; i < n; i++) {
            char c = recordId.charAt(i);
            if (c >= 0x80) {
                // not the engine's hex id: let the encoder handle the rest of UTF-8
                return keyString(recordId).getBytes(StandardCharsets.UTF_8);
            }
            key[keyStart.length + i] = (byte) c;
        }
        key[key.length - 1] = '}';
        return key;
    }

    private byte[] channelBytes(String recordId) {
        return channel(recordId).getBytes(StandardCharsets.UTF_8);
    }

    private String recordIdOf(byte[] key) {
        String k = new String(key, StandardCharsets.UTF_8);
        return k.substring(keyPrefix.length() + 1, k.length() - 1);
    }

    // ------------------------------------------------------------------ plumbing

    private RedisClusterAsyncCommands<byte[], byte[]> commands() {
        if (!evictionPolicyChecked) {
            checkEvictionPolicy();
        }
        IdempotencyStoreException refusal = evictionRefusal;
        if (refusal != null) {
            throw new IdempotencyStoreException(refusal.getMessage(), null);
        }
        return connections.commands();
    }

    private <T> T eval(Scripts script, ScriptOutputType type, String recordId, byte[]... args) {
        return evalKey(script, type, key(recordId), args);
    }

    private <T> T evalKey(Scripts script, ScriptOutputType type, byte[] key, byte[]... args) {
        byte[][] keys = {key};
        RedisClusterAsyncCommands<byte[], byte[]> commands = commands();
        try {
            return awaitRaw(commands.<T>evalsha(script.sha(), type, keys, args));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RedisNoScriptException) {
                // SCRIPT FLUSH, a restart or a failover emptied the script cache: EVAL runs and caches it again
                try {
                    return awaitRaw(commands.<T>eval(script.source(), type, keys, args));
                } catch (ExecutionException again) {
                    throw failure("run the " + script + " script", again.getCause());
                }
            }
            throw failure("run the " + script + " script", e.getCause());
        }
    }

    /** {@link #evalKey} without waiting: the same NOSCRIPT fallback and failures, through the stage. */
    private <T> CompletableFuture<T> evalAsync(Scripts script, ScriptOutputType type, String recordId,
            byte[]... args) {
        byte[][] keys = {key(recordId)};
        RedisClusterAsyncCommands<byte[], byte[]> commands;
        try {
            commands = commands();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return timed(commands.<T>evalsha(script.sha(), type, keys, args)).handle((result, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(result);
            }
            Throwable cause = cause(error);
            if (cause instanceof RedisNoScriptException) {
                // SCRIPT FLUSH, a restart or a failover emptied the script cache: EVAL runs and caches it again
                return timed(commands.<T>eval(script.source(), type, keys, args)).handle((again, failed) -> {
                    if (failed != null) {
                        throw failure("run the " + script + " script", cause(failed));
                    }
                    return again;
                });
            }
            return CompletableFuture.<T>failedFuture(failure("run the " + script + " script", cause));
        }).thenCompose(Function.identity());
    }

    /** A command's stage, failed with a store failure if Redis does not answer within the command timeout. */
    private <T> CompletableFuture<T> timed(RedisFuture<T> command) {
        CompletableFuture<T> future = command.toCompletableFuture();
        return future.orTimeout(commandTimeout.toNanos(), TimeUnit.NANOSECONDS).handle((result, error) -> {
            if (error == null) {
                return result;
            }
            Throwable cause = cause(error);
            if (cause instanceof TimeoutException) {
                future.cancel(false); // a cancelled command still waiting for a reconnect is never sent
                throw new IdempotencyStoreException(
                        "Redis did not answer within " + commandTimeout.toMillis() + " ms", cause);
            }
            throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
        });
    }

    private static Throwable cause(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private <T> T await(RedisFuture<T> future, String what) {
        try {
            return awaitRaw(future);
        } catch (ExecutionException e) {
            throw failure(what, e.getCause());
        }
    }

    private <T> T awaitRaw(CompletionStage<T> stage) throws ExecutionException {
        var future = stage.toCompletableFuture();
        try {
            return future.get(commandTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // a cancelled command still waiting for a reconnect is never sent
            future.cancel(false);
            throw new IdempotencyStoreException("Redis did not answer within " + commandTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new IdempotencyStoreException("Interrupted while waiting for Redis", e);
        } catch (CancellationException e) {
            throw new IdempotencyStoreException("The Redis command was cancelled", e);
        }
    }

    private static IdempotencyStoreException failure(String what, Throwable cause) {
        if (cause instanceof IdempotencyStoreException storeException) {
            return storeException;
        }
        return new IdempotencyStoreException("Redis failed to " + what + ": " + cause.getMessage(), cause);
    }

    /** Scans this store's keys in batches until the visitor says stop, the keys end or the bound is reached. */
    private void scan(BatchVisitor visitor) {
        RedisClusterAsyncCommands<byte[], byte[]> commands = commands();
        ScanArgs args = ScanArgs.Builder.matches(ascii(globEscape(keyPrefix) + "{*}")).limit(SCAN_BATCH);
        int scanned = 0;
        KeyScanCursor<byte[]> cursor = await(commands.scan(args), "scan keys");
        while (true) {
            List<byte[]> keys = cursor.getKeys();
            scanned += keys.size();
            if (!keys.isEmpty() && visitor.visit(keys)) {
                return;
            }
            if (cursor.isFinished() || scanned >= maxScannedKeys) {
                return;
            }
            ScanCursor next = cursor;
            cursor = await(commands.scan(next, args), "scan keys");
        }
    }

    @FunctionalInterface
    private interface BatchVisitor {
        /** @return {@code true} to stop scanning */
        boolean visit(List<byte[]> keys);
    }

    private static String globEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Builds a {@link RedisIdempotencyStore}. */
    public static final class Builder {
        private final AbstractRedisClient client;
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private Duration leaseGrace = DEFAULT_LEASE_GRACE;
        private int maxScannedKeys = DEFAULT_MAX_SCANNED_KEYS;
        private boolean useServerClock = true;
        private boolean allowEviction;

        private Builder(AbstractRedisClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /**
         * Sets the prefix of every key and channel, so that several services or environments
         * can share one Redis. Default {@value #DEFAULT_KEY_PREFIX}.
         *
         * @param keyPrefix a prefix without <code>{</code> or <code>}</code> (they would break the hash tag)
         * @return this builder
         */
        public Builder keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("keyPrefix must not contain { or }: " + keyPrefix);
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * Sets how long to wait for Redis to answer one command before reporting a store
         * failure (a command not yet sent is then never sent). Default 2 seconds.
         *
         * @param commandTimeout a positive duration
         * @return this builder
         */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = positive(commandTimeout, "commandTimeout");
            return this;
        }

        /**
         * Sets how long Redis keeps an in-progress record after its lease ended (so that a
         * retry takes it over with the next fencing token, and a retry with another payload
         * is told it mismatches) before it expires the key; the record's TTL bounds it.
         * Default 1 hour.
         *
         * @param leaseGrace a positive duration
         * @return this builder
         */
        public Builder leaseGrace(Duration leaseGrace) {
            this.leaseGrace = positive(leaseGrace, "leaseGrace");
            return this;
        }

        /**
         * Sets the most keys one {@code query} or {@code purgeExpired} call examines. Default
         * {@value #DEFAULT_MAX_SCANNED_KEYS}.
         *
         * @param maxScannedKeys a positive bound
         * @return this builder
         */
        public Builder maxScannedKeys(int maxScannedKeys) {
            if (maxScannedKeys < 1) {
                throw new IllegalArgumentException("maxScannedKeys must be positive, was " + maxScannedKeys);
            }
            this.maxScannedKeys = maxScannedKeys;
            return this;
        }

        /**
         * Sets whether leases and expiry are judged by the Redis server's clock ({@code TIME},
         * the default) or by the {@code now} each caller passes. With the server's clock, a node
         * whose own clock is ahead can neither take over a live lease nor purge a live record:
         * {@code leaseDeadline - now} and {@code expiresAt - now} become durations on the
         * server's clock, and the records' times are the server's. Turn it off only for tests
         * that move time with an engine {@code Clock}, or when one process uses the keys.
         *
         * @param use {@code true} (default) to judge time by the server's clock
         * @return this builder
         */
        public Builder useServerClock(boolean use) {
            this.useServerClock = use;
            return this;
        }

        /**
         * Sets whether the store may run on a Redis whose {@code maxmemory-policy} evicts keys
         * ({@code allkeys-*}, {@code volatile-*}). Default {@code false}: such a server is refused
         * at start (or at the first call that reaches it), since an evicted live record lets a
         * retry run the operation again. A server that hides {@code CONFIG} gets a warning.
         *
         * @param allow {@code true} to accept the risk (a warning is logged)
         * @return this builder
         */
        public Builder allowEviction(boolean allow) {
            this.allowEviction = allow;
            return this;
        }

        /**
         * Builds the store. Connections open on first use, so a Redis that is down at start
         * only fails the calls made while it is down. A reachable Redis is asked for its
         * eviction policy here.
         *
         * @throws IllegalStateException if Redis evicts keys and {@link #allowEviction} was not set
         *
         * @return the store
         */
        public RedisIdempotencyStore build() {
            return new RedisIdempotencyStore(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
