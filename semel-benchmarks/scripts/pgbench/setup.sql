-- Scratch tables of the database-only comparison (run.sh): Semel's record table as shipped
-- (pgb_semel: primary key + 3 indexes), the same with the primary key only (pgb_lean), three
-- index variants, and the naive baseline's table (pgb_naive). Dropped again by run.sh.
DROP TABLE IF EXISTS pgb_semel, pgb_lean, pgb_naive, pgb_v1, pgb_v2, pgb_v3;
CREATE TABLE pgb_semel (record_id VARCHAR(64) NOT NULL PRIMARY KEY, idem_key VARCHAR(255), scope VARCHAR(2048),
    state VARCHAR(16) NOT NULL, fingerprint BYTEA NOT NULL, fencing_token BIGINT NOT NULL, lease_owner VARCHAR(255),
    lease_deadline BIGINT, created_at BIGINT NOT NULL, completed_at BIGINT, expires_at BIGINT NOT NULL, status INTEGER,
    headers BYTEA, body BYTEA, body_retained SMALLINT);
CREATE INDEX ON pgb_semel (expires_at);
CREATE INDEX ON pgb_semel (state, lease_deadline);
CREATE INDEX ON pgb_semel (created_at);
-- primary key only
CREATE TABLE pgb_lean (LIKE pgb_semel INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE pgb_lean ADD PRIMARY KEY (record_id);
-- v1: the lease index partial (completed records leave it)
CREATE TABLE pgb_v1 (LIKE pgb_semel INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE pgb_v1 ADD PRIMARY KEY (record_id);
CREATE INDEX ON pgb_v1 (expires_at); CREATE INDEX ON pgb_v1 (created_at);
CREATE INDEX ON pgb_v1 (lease_deadline) WHERE state = 'IN_PROGRESS';
-- v2: v1 with BRIN for the two time columns
CREATE TABLE pgb_v2 (LIKE pgb_semel INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE pgb_v2 ADD PRIMARY KEY (record_id);
CREATE INDEX ON pgb_v2 USING brin (expires_at); CREATE INDEX ON pgb_v2 USING brin (created_at);
CREATE INDEX ON pgb_v2 (lease_deadline) WHERE state = 'IN_PROGRESS';
-- v3: v1 without the created_at index
CREATE TABLE pgb_v3 (LIKE pgb_semel INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE pgb_v3 ADD PRIMARY KEY (record_id);
CREATE INDEX ON pgb_v3 (expires_at); CREATE INDEX ON pgb_v3 (lease_deadline) WHERE state = 'IN_PROGRESS';
CREATE TABLE pgb_naive (idempotency_key varchar(255) PRIMARY KEY, status int, content_type varchar(255), body bytea);
