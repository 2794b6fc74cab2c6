-- Up Migration

-- Which decision spent which invoice use, so an upstream failure reported for that decision (Envoy's
-- access log) can give the use back. Redemptions made before this table existed have no row here and
-- are simply not refundable; the redemptions table itself is unchanged.
CREATE TABLE redemption_uses (
  decision_id text PRIMARY KEY,
  invoice_id  text NOT NULL REFERENCES redemptions (invoice_id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX redemption_uses_by_invoice ON redemption_uses (invoice_id);
COMMENT ON TABLE redemption_uses IS 'one row per allowed request paid by an invoice use: the ext_authz decision id that spent it';

-- One row per reversed charge. The primary key is what makes a decision refundable once, whichever
-- replica receives the access log entry and however often Envoy sends it; the row is inserted in the
-- same transaction as the balance change (prepaid) or the returned use (invoice).
CREATE TABLE refunds (
  decision_id  text PRIMARY KEY,
  charge       text NOT NULL CHECK (charge IN ('prepaid', 'invoice')),
  client_id    text REFERENCES prepaid_accounts (client_id),
  invoice_id   text REFERENCES redemptions (invoice_id),
  amount_micro bigint NOT NULL CHECK (amount_micro >= 0),
  route_id     text,
  status       integer NOT NULL CHECK (status BETWEEN 100 AND 599),
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((charge = 'prepaid') = (client_id IS NOT NULL)),
  CHECK ((charge = 'invoice') = (invoice_id IS NOT NULL))
);
COMMENT ON COLUMN refunds.amount_micro IS
  'uneutaro, never negative: given back — the debit (prepaid) or the invoice price divided by its uses (invoice: one use returned)';
COMMENT ON COLUMN refunds.status IS 'HTTP status of the response Envoy logged for the decision';
COMMENT ON COLUMN refunds.reason IS 'bounded refund reason (metric label), e.g. upstream_timeout';

-- A prepaid refund finds its debit by decision id (ledger_entries.ref of the debit).
CREATE INDEX ledger_entries_debit_by_ref ON ledger_entries (ref) WHERE kind = 'debit';
-- Belt and braces under the refunds key: a refund ledger entry per reference at most (management
-- refunds use the unique "manage:<id>", refunds of upstream failures the decision id).
CREATE UNIQUE INDEX ledger_entries_one_refund_per_ref ON ledger_entries (ref) WHERE kind = 'refund';

-- Down Migration

DROP INDEX ledger_entries_one_refund_per_ref;
DROP INDEX ledger_entries_debit_by_ref;
DROP TABLE refunds;
DROP TABLE redemption_uses;
