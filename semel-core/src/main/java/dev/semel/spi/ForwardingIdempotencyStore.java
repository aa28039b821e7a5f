package dev.semel.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A store that forwards every call to another one: extend it to decorate a store
 * (logging, fault injection in tests, extra checks) by overriding only what changes.
 *
 * <p>The asynchronous methods ({@link #claimAsync}, {@link #completeAsync},
 * {@link #releaseAsync}, {@link #awaitChangeAsync}) are <em>not</em> forwarded: their defaults
 * run this decorator's blocking methods on the engine's store executor, so that an override of
 * {@code claim} or {@code complete} holds on the asynchronous path too. A decorator that keeps
 * the delegate's native asynchronous path (Redis answers with no thread hop) overrides them as
 * well, as the encrypting store of {@code ResponseEncryption.protect} does.
 */
public abstract class ForwardingIdempotencyStore implements IdempotencyStore {
    private final IdempotencyStore delegate;

    /**
     * Creates the decorator.
     *
     * @param delegate the store every call goes to
     */
    protected ForwardingIdempotencyStore(IdempotencyStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the decorated store */
    protected IdempotencyStore delegate() {
        return delegate;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        return delegate.claim(request);
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        return delegate.complete(recordId, fencingToken, response, expiresAt, now);
    }

    @Override
    public boolean release(String recordId, long fencingToken) {
        return delegate.release(recordId, fencingToken);
    }

    @Override
    public boolean renew(String recordId, long fencingToken, Instant leaseDeadline, Instant now) {
        return delegate.renew(recordId, fencingToken, leaseDeadline, now);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        return delegate.find(recordId, now);
    }

    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        return delegate.query(query, now);
    }

    @Override
    public boolean delete(String recordId) {
        return delegate.delete(recordId);
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        return delegate.purgeExpired(now, limit);
    }

    @Override
    public void awaitChange(String recordId, Duration timeout) throws InterruptedException {
        delegate.awaitChange(recordId, timeout);
    }

    @Override
    public boolean usesOwnClock() {
        return delegate.usesOwnClock();
    }
}
