-- Up Migration

-- Operators of the management API (/manage). Passwords are scrypt hashes in PHC form
-- ($scrypt$ln=..,r=..,p=..$salt$hash), so the cost parameters travel with each hash.
CREATE TABLE operators (
  username      text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{2,63}$'),
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
  -- true only for the admin created with GATEWAY_ADMIN_BOOTSTRAP_TOKEN; the partial unique index makes
  -- the bootstrap work once even when two first requests race.
  bootstrap     boolean NOT NULL DEFAULT false,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT bootstrap OR role = 'admin')
);
CREATE UNIQUE INDEX operators_single_bootstrap ON operators (bootstrap) WHERE bootstrap;
COMMENT ON COLUMN operators.password_hash IS 'scrypt PHC string with per-user salt and cost parameters';

-- Operator money movements (credit, refund, adjustment, transfer). The idempotency key is claimed by
-- INSERT … ON CONFLICT in the same transaction as the ledger movements, so one key moves money once.
CREATE TABLE manage_transactions (
  id              bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  request_hash    text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('credit', 'refund', 'adjustment', 'transfer')),
  client_id       text,
  from_client     text,
  to_client       text,
  amount_micro    bigint NOT NULL,
  reason          text NOT NULL,
  operator        text NOT NULL,
  outcome         text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'applied', 'refused')),
  response_status integer,
  response_body   json,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'transfer') = (from_client IS NOT NULL AND to_client IS NOT NULL)),
  CHECK ((kind = 'transfer') = (client_id IS NULL))
);
COMMENT ON COLUMN manage_transactions.request_hash IS 'sha256 hex of the canonical request (kind, accounts, amountMicro, reason)';
COMMENT ON COLUMN manage_transactions.amount_micro IS 'uneutaro, signed only for adjustments; positive otherwise';
COMMENT ON COLUMN manage_transactions.response_body IS 'the first answer, replayed byte for byte (json, not jsonb, keeps its key order) for the same key and request';

-- Down Migration

DROP TABLE manage_transactions;
DROP TABLE operators;
