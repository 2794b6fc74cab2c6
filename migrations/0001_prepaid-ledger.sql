-- Up Migration

-- The ledger hash is computed over UTF-8 bytes (octet_length, convert_to); another server encoding
-- would make SQL and JS disagree, so refuse it here instead of producing unverifiable chains.
DO $$
BEGIN
  IF current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'gate402 needs a UTF8 database, found %', current_setting('server_encoding');
  END IF;
END
$$;

CREATE TABLE prepaid_accounts (
  client_id        text PRIMARY KEY,
  key_hash         text NOT NULL,
  deposit_memo     text NOT NULL UNIQUE,
  balance_micro    bigint NOT NULL CHECK (balance_micro >= 0),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  ledger_seq       bigint NOT NULL DEFAULT 0 CHECK (ledger_seq >= 0),
  ledger_head      text NOT NULL,
  ledger_prev_head text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN prepaid_accounts.balance_micro IS 'uneutaro, never negative';
COMMENT ON COLUMN prepaid_accounts.key_hash IS 'hex SHA-256 of the client key; the key is never stored';
COMMENT ON COLUMN prepaid_accounts.ledger_seq IS 'seq of the newest ledger entry of this account (0: none)';
COMMENT ON COLUMN prepaid_accounts.ledger_head IS 'hash of the newest ledger entry, or the account genesis hash';
COMMENT ON COLUMN prepaid_accounts.ledger_prev_head IS
  'ledger_head before the last movement: the UPDATE sets it so RETURNING can hand the old head to the ledger insert (no OLD in RETURNING before PG 18)';

CREATE TABLE ledger_entries (
  id                  bigserial PRIMARY KEY,
  client_id           text NOT NULL REFERENCES prepaid_accounts (client_id),
  seq                 bigint NOT NULL,
  kind                text NOT NULL CHECK (kind IN
                        ('deposit', 'debit', 'credit', 'refund', 'adjustment', 'transfer_in', 'transfer_out')),
  amount_micro        bigint NOT NULL,
  balance_after_micro bigint NOT NULL,
  ref                 text,
  route_id            text,
  method              text,
  tx_hash             text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  prev_hash           text NOT NULL,
  hash                text NOT NULL,
  UNIQUE (client_id, seq)
);
COMMENT ON COLUMN ledger_entries.amount_micro IS 'uneutaro, signed: + credits, - debits';
COMMENT ON COLUMN ledger_entries.balance_after_micro IS 'uneutaro, never negative: account balance after this entry';
COMMENT ON COLUMN ledger_entries.ref IS 'decision id, tx hash or idempotency key';
COMMENT ON COLUMN ledger_entries.hash IS 'sha256 hex of ledger_canonical(...) of this entry, chained per account via prev_hash';

-- Canonical encoding of one field: NULL is "-", text is "<utf8 byte length>:<text>". Length-prefixing
-- makes the concatenation unambiguous whatever characters the fields hold.
CREATE FUNCTION ledger_field(v text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(v)::text || ':' || v END $$;

-- Must stay byte-for-byte identical to ledgerEntryHash() in src/store/ledger-hash.ts.
CREATE FUNCTION ledger_entry_hash(
  prev_hash text, client_id text, seq bigint, kind text, amount_micro bigint, balance_after_micro bigint,
  ref text, route_id text, method text, tx_hash text, created_at timestamptz
) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT encode(sha256(convert_to(
      'gate402-ledger-v1|' ||
      ledger_field(prev_hash) || '|' || ledger_field(client_id) || '|' || ledger_field(seq::text) || '|' ||
      ledger_field(kind) || '|' || ledger_field(amount_micro::text) || '|' ||
      ledger_field(balance_after_micro::text) || '|' || ledger_field(ref) || '|' || ledger_field(route_id) || '|' ||
      ledger_field(method) || '|' || ledger_field(tx_hash) || '|' ||
      ledger_field(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      'UTF8')), 'hex')
  $$;

-- The fixed first prev_hash of an account's chain; ledgerGenesisHash() in src/store/ledger-hash.ts.
CREATE FUNCTION ledger_genesis_hash(client_id text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT encode(sha256(convert_to('gate402-ledger-genesis|' || ledger_field(client_id), 'UTF8')), 'hex') $$;

-- Append-only: corrections are new entries (kind adjustment/refund), never edits.
CREATE FUNCTION ledger_entries_reject_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only (% rejected)', TG_OP USING ERRCODE = 'restrict_violation';
  END
  $$;

CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();

CREATE TRIGGER ledger_entries_no_truncate
  BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();

-- Down Migration

DROP TABLE ledger_entries;
DROP TABLE prepaid_accounts;
DROP FUNCTION ledger_entries_reject_change();
DROP FUNCTION ledger_genesis_hash(text);
DROP FUNCTION ledger_entry_hash(text, text, bigint, text, bigint, bigint, text, text, text, text, timestamptz);
DROP FUNCTION ledger_field(text);
