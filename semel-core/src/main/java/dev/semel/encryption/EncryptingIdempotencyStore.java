package dev.semel.encryption;

import dev.semel.spi.ClaimRequest;
import dev.semel.spi.ClaimResult;
import dev.semel.spi.ForwardingIdempotencyStore;
import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import dev.semel.spi.StoredResponse;
import dev.semel.spi.TransactionalIdempotencyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A store that encrypts responses on their way in and decrypts them on their way out; made by
 * {@link ResponseEncryption#protect}. Everything else (ids, key, scope, fingerprint, lease,
 * times) passes through unchanged.
 */
class EncryptingIdempotencyStore extends ForwardingIdempotencyStore {
    private final ResponseEncryption encryption;

    EncryptingIdempotencyStore(IdempotencyStore delegate, ResponseEncryption encryption) {
        super(delegate);
        this.encryption = encryption;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        return decrypted(delegate().claim(request));
    }

    private ClaimResult decrypted(ClaimResult result) {
        if (result instanceof ClaimResult.Found found && found.record().response() != null) {
            return ClaimResult.found(decrypted(found.record()));
        }
        return result;
    }

    @Override
    public boolean complete(String recordId, long fencingToken, StoredResponse response, Instant expiresAt,
            Instant now) {
        return delegate().complete(recordId, fencingToken, encryption.encrypt(recordId, response), expiresAt, now);
    }

    /** The delegate's own asynchronous claim (Redis answers natively), decrypted as it arrives. */
    @Override
    public CompletionStage<ClaimResult> claimAsync(ClaimRequest request, Executor blocking) {
        return delegate().claimAsync(request, blocking).thenApply(this::decrypted);
    }

    /** Encrypted here, stored by the delegate's own asynchronous path. */
    @Override
    public CompletionStage<Boolean> completeAsync(String recordId, long fencingToken, StoredResponse response,
            Instant expiresAt, Instant now, Executor blocking) {
        StoredResponse encrypted;
        try {
            encrypted = encryption.encrypt(recordId, response);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return delegate().completeAsync(recordId, fencingToken, encrypted, expiresAt, now, blocking);
    }

    @Override
    public CompletionStage<Boolean> releaseAsync(String recordId, long fencingToken, Executor blocking) {
        return delegate().releaseAsync(recordId, fencingToken, blocking);
    }

    @Override
    public CompletionStage<Void> awaitChangeAsync(String recordId, java.time.Duration timeout) {
        return delegate().awaitChangeAsync(recordId, timeout);
    }

    @Override
    public Optional<IdempotencyRecord> find(String recordId, Instant now) {
        return delegate().find(recordId, now).map(this::decrypted);
    }

    /**
     * Lists records decrypted. A record that cannot be decrypted (say its key was removed) is
     * listed as stored, still encrypted, so that an operator can find and delete it: a listing
     * is never replayed to a client.
     */
    @Override
    public List<IdempotencyRecord> query(RecordQuery query, Instant now) {
        List<IdempotencyRecord> records = delegate().query(query, now);
        List<IdempotencyRecord> out = new ArrayList<>(records.size());
        for (IdempotencyRecord record : records) {
            try {
                out.add(decrypted(record));
            } catch (ResponseDecryptionException e) {
                out.add(record);
            }
        }
        return out;
    }

    IdempotencyRecord decryptedRecord(IdempotencyRecord r) {
        return decrypted(r);
    }

    private IdempotencyRecord decrypted(IdempotencyRecord r) {
        if (r.response() == null) {
            return r;
        }
        StoredResponse response;
        try {
            response = encryption.decrypt(r.recordId(), r.response());
        } catch (ResponseDecryptionException e) {
            throw e.withStoredRecord(r);
        }
        return new IdempotencyRecord(r.recordId(), r.key(), r.scope(), r.state(), r.fingerprint(), r.fencingToken(),
                r.leaseOwner(), r.leaseDeadline(), r.createdAt(), r.completedAt(), r.expiresAt(), response);
    }

    @Override
    public String toString() {
        return "Encrypting(" + delegate() + ", " + encryption + ")";
    }

    /** Keeps a transactional store transactional, so the engine still runs work in its transaction. */
    static final class EncryptingTransactionalIdempotencyStore extends EncryptingIdempotencyStore
            implements TransactionalIdempotencyStore {
        private final TransactionalIdempotencyStore transactional;

        EncryptingTransactionalIdempotencyStore(TransactionalIdempotencyStore delegate,
                ResponseEncryption encryption) {
            super(delegate, encryption);
            this.transactional = delegate;
        }

        @Override
        public <T, E extends Exception> T inTransaction(TransactionalWork<T, E> work) throws E {
            return transactional.inTransaction(work);
        }

        @Override
        public boolean findsCompleted() {
            return transactional.findsCompleted();
        }

        /** The delegate's read before the transaction, decrypted like a claim's record. */
        @Override
        public Optional<IdempotencyRecord> findCompleted(ClaimRequest request) {
            return transactional.findCompleted(request).map(this::decryptedRecord);
        }
    }
}
