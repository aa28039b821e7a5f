-- Semel idempotency records for MySQL 8 / MariaDB 10.5+ (InnoDB). Safe to run more than once.
-- Times are microseconds since 1970-01-01T00:00:00Z (BIGINT). Bodies go up to the server's
-- max_allowed_packet (MariaDB default 16 MiB, MySQL 64 MiB) minus the other columns.
CREATE TABLE IF NOT EXISTS semel_idempotency (
    record_id      VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    idem_key       VARCHAR(255)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    scope          VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    state          VARCHAR(16)   CHARACTER SET ascii NOT NULL,
    fingerprint    VARBINARY(32) NOT NULL,
    fencing_token  BIGINT        NOT NULL,
    lease_owner    VARCHAR(255)  CHARACTER SET utf8mb4,
    lease_deadline BIGINT,
    created_at     BIGINT        NOT NULL,
    completed_at   BIGINT,
    expires_at     BIGINT        NOT NULL,
    status         INT,
    headers        MEDIUMBLOB,
    body           LONGBLOB,
    body_retained  SMALLINT,
    INDEX semel_idempotency_expires_idx (expires_at),
    INDEX semel_idempotency_lease_idx (state, lease_deadline),
    INDEX semel_idempotency_created_idx (created_at)
) ENGINE = InnoDB;
