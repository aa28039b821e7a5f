-- Semel idempotency records for PostgreSQL 12+. Safe to run more than once.
-- Times are microseconds since 1970-01-01T00:00:00Z (BIGINT); the table and index names may be
-- changed (JdbcIdempotencyStore.Builder#tableName / #schemaName) if every occurrence is changed.
CREATE TABLE IF NOT EXISTS semel_idempotency (
    record_id      VARCHAR(64)   NOT NULL PRIMARY KEY,
    idem_key       VARCHAR(255),
    scope          VARCHAR(2048),
    state          VARCHAR(16)   NOT NULL,
    fingerprint    BYTEA         NOT NULL,
    fencing_token  BIGINT        NOT NULL,
    lease_owner    VARCHAR(255),
    lease_deadline BIGINT,
    created_at     BIGINT        NOT NULL,
    completed_at   BIGINT,
    expires_at     BIGINT        NOT NULL,
    status         INTEGER,
    headers        BYTEA,
    body           BYTEA,
    body_retained  SMALLINT
);
CREATE INDEX IF NOT EXISTS semel_idempotency_expires_idx ON semel_idempotency (expires_at);
CREATE INDEX IF NOT EXISTS semel_idempotency_lease_idx ON semel_idempotency (state, lease_deadline);
CREATE INDEX IF NOT EXISTS semel_idempotency_created_idx ON semel_idempotency (created_at);
