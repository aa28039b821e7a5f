-- Semel idempotency records for SQLite 3.24+. Safe to run more than once.
-- Times are microseconds since 1970-01-01T00:00:00Z (INTEGER).
CREATE TABLE IF NOT EXISTS semel_idempotency (
    record_id      TEXT    NOT NULL PRIMARY KEY,
    idem_key       TEXT,
    scope          TEXT,
    state          TEXT    NOT NULL,
    fingerprint    BLOB    NOT NULL,
    fencing_token  INTEGER NOT NULL,
    lease_owner    TEXT,
    lease_deadline INTEGER,
    created_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    expires_at     INTEGER NOT NULL,
    status         INTEGER,
    headers        BLOB,
    body           BLOB,
    body_retained  INTEGER
);
CREATE INDEX IF NOT EXISTS semel_idempotency_expires_idx ON semel_idempotency (expires_at);
CREATE INDEX IF NOT EXISTS semel_idempotency_lease_idx ON semel_idempotency (state, lease_deadline);
CREATE INDEX IF NOT EXISTS semel_idempotency_created_idx ON semel_idempotency (created_at);
