package dev.semel.nearcache;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.StoredResponse;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** The store behind the near cache, counting the claims and completions that reach it. */
class CountingStore extends ForwardingIdempotencyStore {
    final AtomicInteger claims = new AtomicInteger();
    final AtomicInteger completes = new AtomicInteger();

    CountingStore(IdempotencyStore delegate) {
        super(delegate);
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        claims.incrementAndGet();
        return super.claim(request);
    }

    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        claims.incrementAndGet();
        return delegate().claimAsync(request, blocking);
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        completes.incrementAndGet();
        return super.complete(recordId, fencingToken, response, expiresAt, now);
    }

    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        completes.incrementAndGet();
        return delegate().completeAsync(recordId, fencingToken, response, expiresAt, now, blocking);
    }
}
