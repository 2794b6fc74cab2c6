-- Up Migration

-- Every incoming payment to the payment address, as the payment watcher read it from the chain's tx
-- index. Nothing here moves money: redemptions and deposits still claim tx hashes in spent_txs. The
-- table is the record that no payment was lost, the index invoice-only proofs are answered from, and
-- what GET /invoices/:id lists.
CREATE TABLE payments (
  tx_hash        text PRIMARY KEY CHECK (tx_hash ~ '^[0-9A-F]{64}$'),
  recipient      text NOT NULL,
  height         bigint NOT NULL CHECK (height > 0),
  tx_index       integer NOT NULL CHECK (tx_index >= 0),
  block_time     timestamptz NOT NULL,
  sender         text NOT NULL,
  denom          text NOT NULL,
  amount_micro   bigint NOT NULL CHECK (amount_micro >= 0),
  other_amounts  jsonb NOT NULL DEFAULT '{}'::jsonb,
  memo           text NOT NULL,
  code           integer NOT NULL,
  status         text NOT NULL CHECK (status IN
                   ('matched', 'late', 'overpaid', 'underpaid', 'unmatched', 'duplicate', 'deposit', 'failed')),
  invoice_id     text,
  expected_micro bigint CHECK (expected_micro >= 0),
  client_id      text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((status IN ('matched', 'late', 'overpaid', 'underpaid', 'duplicate')) = (invoice_id IS NOT NULL)),
  CHECK ((invoice_id IS NULL) = (expected_micro IS NULL))
);
COMMENT ON COLUMN payments.tx_hash IS '64 uppercase hex';
COMMENT ON COLUMN payments.recipient IS 'bech32 payment address the transfers credited';
COMMENT ON COLUMN payments.tx_index IS 'position of the tx in its block';
COMMENT ON COLUMN payments.denom IS 'the configured money denom (uneutaro) when the row was written';
COMMENT ON COLUMN payments.amount_micro IS 'uneutaro, never negative: sum of transfers to recipient in denom';
COMMENT ON COLUMN payments.other_amounts IS 'transfers to recipient in other denoms: {"<denom>": "<integer string>"}; recorded, never money';
COMMENT ON COLUMN payments.expected_micro IS 'uneutaro, never negative: price of the invoice named by the memo (excess = amount_micro - expected_micro)';
COMMENT ON COLUMN payments.status IS
  'matched | late (block time after invoice expiry) | overpaid | underpaid | unmatched (unknown memo) | duplicate (invoice already paid) | deposit (credited to client_id) | failed (code <> 0)';

-- One payment per invoice is THE payment; later ones are recorded as duplicate. The watcher relies on
-- this index, not on a read, to tell them apart.
CREATE UNIQUE INDEX payments_one_per_invoice ON payments (invoice_id) WHERE status IN ('matched', 'late', 'overpaid');
-- Invoice-only proofs and GET /invoices/:id look payments up by memo.
CREATE INDEX payments_by_memo ON payments (memo);
CREATE INDEX payments_by_height ON payments (recipient, height);

-- How far the watcher has read, per payment address. Only ever moves forward (GREATEST on write).
CREATE TABLE watcher_cursors (
  recipient  text PRIMARY KEY,
  height     bigint NOT NULL CHECK (height >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN watcher_cursors.height IS 'every payment at or below this height (minus the re-read window) is in payments';

-- Down Migration

DROP TABLE watcher_cursors;
DROP TABLE payments;
