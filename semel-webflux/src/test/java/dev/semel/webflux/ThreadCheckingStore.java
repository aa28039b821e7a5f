package dev.semel.webflux;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.scheduler.Schedulers;

/**
 * A store around a real one that notes every call of a blocking method made on a thread that
 * must never block (a Reactor non-blocking thread, a Netty event loop of the server under
 * test): the blocking detector of these tests, next to BlockHound. Its asynchronous methods go
 * to the real store's (Redis answers them natively), so a store that runs a blocking call on
 * the caller's thread there is caught too. It can also fail (unreachable) and hold the claims
 * of keys with a given prefix until released (without blocking the caller), and it counts
 * claims per key.
 */
final class ThreadCheckingStore extends ForwardingIdempotencyStore {
    /** Calls made on an event loop: "operation on thread". Must stay empty. */
    final List<String> eventLoopCalls = Collections.synchronizedList(new ArrayList<>());
    /**
     * Blocking calls made by the server's requests (not the test's own thread, not the engine's
     * lease renewals): with the asynchronous path, none, and so no thread hop to the store executor.
     */
    final List<String> blockingCallsOfRequests = Collections.synchronizedList(new ArrayList<>());
    /** Every thread a store call ran on, by name, to show where they ran. */
    final Map<String, AtomicInteger> threads = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> claimsByKey = new ConcurrentHashMap<>();
    final AtomicBoolean failing = new AtomicBoolean();
    private volatile String heldPrefix;
    private volatile CountDownLatch release = new CountDownLatch(0);
    /** Counted down each time a held claim starts waiting. */
    final AtomicInteger heldClaims = new AtomicInteger();
    /** Where held claims wait, off every event loop. */
    private static final Executor HOLDERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "held-claim");
        t.setDaemon(true);
        return t;
    });

    ThreadCheckingStore(IdempotencyStore delegate) {
        super(delegate);
    }

    /** Whether a thread is one on which nothing may block. */
    static boolean mustNotBlock(Thread thread) {
        String name = thread.getName();
        return Schedulers.isNonBlockingThread(thread) || name.startsWith("reactor-http-")
                || name.startsWith(TestServer.LOOP_PREFIX);
    }

    /** Holds every claim of a key that starts with the prefix until {@link #releaseHeldClaims()}. */
    void holdClaims(String keyPrefix) {
        release = new CountDownLatch(1);
        heldPrefix = keyPrefix;
    }

    void releaseHeldClaims() {
        heldPrefix = null;
        release.countDown();
    }

    int claims(String key) {
        AtomicInteger n = claimsByKey.get(key);
        return n == null ? 0 : n.get();
    }

    private void check(String operation) {
        Thread thread = Thread.currentThread();
        threads.computeIfAbsent(thread.getName(), n -> new AtomicInteger()).incrementAndGet();
        if (mustNotBlock(thread)) {
            eventLoopCalls.add(operation + " on " + thread.getName());
        }
        if (!thread.getName().equals("main") && !operation.equals("renew")) {
            blockingCallsOfRequests.add(operation + " on " + thread.getName());
        }
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        check("claim");
        if (failing.get()) {
            throw new IdempotencyStoreException("connection refused", null);
        }
        String prefix = heldPrefix;
        if (prefix != null && request.key().startsWith(prefix)) {
            heldClaims.incrementAndGet();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("a held claim was never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        ClaimResult result = super.claim(request);
        claimsByKey.computeIfAbsent(request.key(), k -> new AtomicInteger()).incrementAndGet();
        return result;
    }

    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        threads.computeIfAbsent(Thread.currentThread().getName(), n -> new AtomicInteger()).incrementAndGet();
        if (failing.get()) {
            return CompletableFuture.failedFuture(new IdempotencyStoreException("connection refused", null));
        }
        String prefix = heldPrefix;
        CompletableFuture<Void> held = CompletableFuture.completedFuture(null);
        if (prefix != null && request.key().startsWith(prefix)) {
            heldClaims.incrementAndGet();
            CountDownLatch latch = release;
            held = CompletableFuture.runAsync(() -> {
                try {
                    if (!latch.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("a held claim was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }, HOLDERS);
        }
        return held.thenCompose(v -> delegate().claimAsync(request, blocking)).thenApply(result -> {
            claimsByKey.computeIfAbsent(request.key(), k -> new AtomicInteger()).incrementAndGet();
            return result;
        });
    }

    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        return delegate().completeAsync(recordId, fencingToken, response, expiresAt, now, blocking);
    }

    @Override
    public CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        return delegate().releaseAsync(recordId, fencingToken, blocking);
    }

    @Override
    public CompletionStage<Void> awaitChangeAsync(String recordId, Duration timeout) {
        return delegate().awaitChangeAsync(recordId, timeout);
    }

    @Override
    public boolean complete(String recordId, long token, StoredResponse response, Instant expiresAt, Instant now) {
        check("complete");
        return super.complete(recordId, token, response, expiresAt, now);
    }

    @Override
    public boolean release(String recordId, long token) {
        check("release");
        return super.release(recordId, token);
    }

    @Override
    public boolean renew(String recordId, long token, Instant leaseDeadline, Instant now) {
        check("renew");
        return super.renew(recordId, token, leaseDeadline, now);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        check("find");
        return super.find(recordId, now);
    }

    @Override
    public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        check("awaitChange");
        super.awaitChange(recordId, timeout);
    }
}
