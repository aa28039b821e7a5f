-- Payments and refunds. Portable between H2 and PostgreSQL; idempotent, so a database made by an
-- earlier version of the example (before Flyway) takes it too.
CREATE TABLE IF NOT EXISTS payments (
    id          VARCHAR(36)    PRIMARY KEY,
    amount      NUMERIC(19, 2) NOT NULL,
    currency    CHAR(3)        NOT NULL,
    recipient   VARCHAR(200)   NOT NULL,
    status      VARCHAR(20)    NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
-- The caller's idempotency key (hashed) with the payment it made: with a store that cannot commit
-- its record together with the payment (Redis, memory, JDBC plain), a crash between the payment
-- and its record leaves the key to be run again; the payment already made is then found here.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS request_ref VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS payments_by_request_ref ON payments (request_ref);
CREATE INDEX IF NOT EXISTS payments_by_recipient ON payments (recipient, created_at);
CREATE INDEX IF NOT EXISTS payments_by_created ON payments (created_at);

CREATE TABLE IF NOT EXISTS refunds (
    id          VARCHAR(36)    PRIMARY KEY,
    payment_id  VARCHAR(36)    NOT NULL REFERENCES payments (id),
    amount      NUMERIC(19, 2) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_by_payment ON refunds (payment_id);
