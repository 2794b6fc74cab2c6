-- Up Migration

-- Revoked pass tokens (issue 12). A pass is checked in memory on every replica; each replica loads
-- this table at start and follows it with LISTEN gate402_pass_revoked (src/store/pass-revocations.ts).
CREATE TABLE revoked_passes (
  jti        text PRIMARY KEY,
  reason     text,
  revoked_by text,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
COMMENT ON COLUMN revoked_passes.jti IS 'the pass token jti: the invoice id that bought the pass';
COMMENT ON COLUMN revoked_passes.expires_at IS 'latest possible expiry of the pass; after it the row no longer matters';

-- Down Migration

DROP TABLE revoked_passes;
