-- Up Migration

-- The single place that claims an on-chain tx hash: its primary key is what makes a tx that paid an
-- invoice impossible to credit as a deposit, and the reverse.
CREATE TABLE spent_txs (
  tx_hash    text PRIMARY KEY CHECK (tx_hash ~ '^[0-9A-F]{64}$'),
  purpose    text NOT NULL CHECK (purpose IN ('invoice', 'deposit')),
  invoice_id text,
  client_id  text,
  height     bigint,
  sender     text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((purpose = 'invoice') = (invoice_id IS NOT NULL)),
  CHECK ((purpose = 'deposit') = (client_id IS NOT NULL))
);
COMMENT ON COLUMN spent_txs.tx_hash IS '64 uppercase hex';
COMMENT ON COLUMN spent_txs.height IS 'block height of a deposit tx, for the record';
COMMENT ON COLUMN spent_txs.sender IS 'bech32 sender of a deposit tx, for the record';

CREATE TABLE redemptions (
  invoice_id text PRIMARY KEY,
  tx_hash    text NOT NULL UNIQUE REFERENCES spent_txs (tx_hash),
  route_id   text NOT NULL,
  method     text NOT NULL,
  price_micro bigint NOT NULL CHECK (price_micro >= 0),
  paid_micro  bigint NOT NULL CHECK (paid_micro >= 0),
  payer      text NOT NULL,
  uses       integer NOT NULL CHECK (uses >= 1),
  uses_left  integer NOT NULL CHECK (uses_left >= 0 AND uses_left <= uses),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN redemptions.price_micro IS 'uneutaro, never negative: invoice price';
COMMENT ON COLUMN redemptions.paid_micro IS 'uneutaro, never negative: amount the tx paid to the payment address';
COMMENT ON COLUMN redemptions.uses_left IS 'requests this payment still buys; decremented by a conditional UPDATE';

-- Down Migration

DROP TABLE redemptions;
DROP TABLE spent_txs;
