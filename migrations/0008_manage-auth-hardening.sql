-- Up Migration

-- Disabled operators cannot log in and their tokens are refused. NULL (every existing row) = enabled.
ALTER TABLE operators ADD COLUMN disabled_at timestamptz;

-- Revoked management tokens, read by every replica every GATEWAY_REVOCATION_POLL_MS and checked in memory.
-- A row revokes one token (jti) or every token of an operator issued up to revoked_at (subject: disable,
-- delete). Rows are useless once every token they can match has expired (expires_at) and are then pruned.
CREATE TABLE token_revocations (
  id         bigserial PRIMARY KEY,
  jti        text UNIQUE,
  subject    text,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_by text NOT NULL,
  reason     text NOT NULL CHECK (reason IN ('logout', 'revoked', 'disabled', 'deleted')),
  CHECK ((jti IS NULL) <> (subject IS NULL))
);
CREATE INDEX token_revocations_expires ON token_revocations (expires_at);

-- Failed management logins, one row per key ('operator:<username>' or 'address:<ip>'), updated in one
-- statement per attempt so every replica counts into the same row.
CREATE TABLE login_failures (
  key             text PRIMARY KEY,
  failures        integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz
);

-- Down Migration

DROP TABLE login_failures;
DROP TABLE token_revocations;
ALTER TABLE operators DROP COLUMN disabled_at;
