package dev.semel.encryption;

import dev.semel.IdempotencyStoreException;
import dev.semel.spi.IdempotencyRecord;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when a stored response cannot be decrypted: it was encrypted with a key that is no
 * longer configured, the key or the ciphertext does not match (a wrong key under the same id,
 * or bytes changed in the store), or the record holds plaintext while plaintext is refused.
 *
 * <p>It is a store failure: the engine never replays what it could not authenticate. Failing
 * closed (the default), the caller gets {@link dev.semel.IdempotencyStoreException} and an
 * HTTP client a 503 problem with {@code Retry-After}; {@link #reason()} and the message (logged,
 * never sent to clients) say which record and which key.
 */
public class ResponseDecryptionException extends IdempotencyStoreException {
    private static final long serialVersionUID = 1L;

    /** Why a stored response could not be decrypted. */
    public enum Reason {
        /** The record names a key id that is not configured (removed too early after a rotation). */
        UNKNOWN_KEY,
        /** Authentication failed: a different key under the same id, or changed bytes. */
        AUTHENTICATION_FAILED,
        /** The stored envelope is not in a format this version writes. */
        MALFORMED,
        /** The record is not encrypted and plaintext records are refused. */
        PLAINTEXT_REFUSED
    }

    private final transient Reason reason;
    private final String recordId;
    private final @Nullable String keyId;
    private transient @Nullable IdempotencyRecord stored;

    /**
     * Creates the exception.
     *
     * @param reason why decryption failed
     * @param recordId the record whose response it was
     * @param keyId the key id the record names, or {@code null} if none
     * @param message what failed, for logs
     * @param cause the cryptographic failure, may be {@code null}
     */
    public ResponseDecryptionException(Reason reason, String recordId, @Nullable String keyId, String message,
            @Nullable Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.recordId = recordId;
        this.keyId = keyId;
    }

    /**
     * Returns why decryption failed.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * Returns the record whose response could not be decrypted.
     *
     * @return the record id
     */
    public String recordId() {
        return recordId;
    }

    /**
     * Returns the key id the stored response names.
     *
     * @return the key id, or {@code null} for a plaintext or malformed record
     */
    public @Nullable String keyId() {
        return keyId;
    }

    /**
     * Returns the record as the store holds it, its response still encrypted, when the failure
     * came from reading a record: what an operator sees of it (the admin view lists and shows
     * such a record this way, so that it can be found and deleted). Never replayed.
     *
     * @return the stored record, if known
     */
    public Optional<IdempotencyRecord> storedRecord() {
        return Optional.ofNullable(stored);
    }

    ResponseDecryptionException withStoredRecord(IdempotencyRecord record) {
        this.stored = record;
        return this;
    }
}
