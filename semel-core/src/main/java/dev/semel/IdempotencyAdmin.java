package dev.semel;

import dev.semel.spi.IdempotencyRecord;
import dev.semel.spi.IdempotencyStore;
import dev.semel.spi.RecordQuery;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The operator's view of an engine's records, from {@link Idempotency#admin()}: list and look
 * them up, delete one so its key can be used again, and check that the store answers. It is
 * what an admin endpoint or a health check needs, and nothing that could claim or complete a
 * key.
 *
 * <pre>{@code
 * List<IdempotencyRecord> stuck = idempotency.admin()
 *         .records(RecordQuery.all().withState(RecordState.IN_PROGRESS));
 * }</pre>
 */
public final class IdempotencyAdmin {
    /** The id the health check looks up; no real record id has this form (those are 64 hex characters). */
    static final String PROBE_RECORD_ID = "semel-health-probe";

    private final IdempotencyStore store;
    private final Clock clock;

    IdempotencyAdmin(IdempotencyStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Lists unexpired records matching a query, newest first.
     *
     * @param query which records, and at most how many
     * @return the records
     * @throws IdempotencyStoreException if the store failed
     */
    public List<IdempotencyRecord> records(RecordQuery query) {
        return store.query(query, clock.instant());
    }

    /**
     * Looks one record up by its id.
     *
     * @param recordId the record id ({@link Scope#recordId(IdempotencyKey)})
     * @return the record, if it exists and has not expired
     * @throws IdempotencyStoreException if the store failed
     */
    public Optional<IdempotencyRecord> record(String recordId) {
        return store.find(recordId, clock.instant());
    }

    /**
     * Looks up the record of a key in a scope.
     *
     * @param scope the scope
     * @param key the key
     * @return the record, if it exists and has not expired
     * @throws IdempotencyStoreException if the store failed
     */
    public Optional<IdempotencyRecord> record(Scope scope, IdempotencyKey key) {
        return record(scope.recordId(key));
    }

    /**
     * Deletes one record whatever its state, so that its key can be used again. A lease held
     * on it is lost: its holder can no longer complete it.
     *
     * @param recordId the record id
     * @return whether a record was deleted
     * @throws IdempotencyStoreException if the store failed
     */
    public boolean delete(String recordId) {
        return store.delete(recordId);
    }

    /**
     * Checks that the store answers, with one lookup of a record id that never exists.
     *
     * @throws RuntimeException whatever the store threw
     */
    public void check() {
        store.find(PROBE_RECORD_ID, clock.instant());
    }

    /**
     * The kind of store the engine writes to, for humans and for checking a wiring.
     *
     * @return the store's class (an encrypting store's, when records are encrypted)
     */
    public Class<? extends IdempotencyStore> storeType() {
        return store.getClass();
    }
}
