-- Up Migration

-- Signed payments (x402 Cosmos `exact`, payload.signedTx) that gate402 broadcast itself. The
-- redemption lives in `redemptions` (claimed in spent_txs like any tx-hash proof); this row tracks
-- the chain's verdict, which the confirmer records after the allow.
CREATE TABLE x402_settlements (
  tx_hash        text PRIMARY KEY REFERENCES spent_txs (tx_hash) ON DELETE CASCADE,
  invoice_id     text NOT NULL,
  payer          text NOT NULL,
  exposure_micro bigint NOT NULL CHECK (exposure_micro >= 0),
  optimistic     boolean NOT NULL,
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'failed', 'dropped')),
  code           integer,
  height         bigint,
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
COMMENT ON COLUMN x402_settlements.exposure_micro IS 'uneutaro, never negative: price allowed before confirmation (0 when not optimistic)';
COMMENT ON COLUMN x402_settlements.expires_at IS 'after this a tx the chain never showed is given up (dropped)';
CREATE INDEX x402_settlements_pending ON x402_settlements (created_at) WHERE status = 'pending';

-- Per payer: value allowed but not yet confirmed, and whether optimistic settlement is refused.
CREATE TABLE x402_payers (
  payer             text PRIMARY KEY,
  unconfirmed_micro bigint NOT NULL DEFAULT 0 CHECK (unconfirmed_micro >= 0),
  failed_count      integer NOT NULL DEFAULT 0,
  blocked_at        timestamptz
);
COMMENT ON COLUMN x402_payers.unconfirmed_micro IS 'uneutaro, never negative: prices allowed optimistically whose tx is not confirmed yet; raised only by a conditional upsert under the cap';
COMMENT ON COLUMN x402_payers.blocked_at IS 'set when a tx of this payer failed on chain after an optimistic allow: optimistic settlement refused from then on';

-- Down Migration

DROP TABLE x402_payers;
DROP TABLE x402_settlements;
