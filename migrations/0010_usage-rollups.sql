-- Up Migration

-- Ledger at mesh scale (issue #15). Prepaid usage can be recorded as one `usage` rollup ledger entry
-- per account per debit batch (call count, total, first/last decision id, balance after), with the
-- per-call detail in `usage_events`, partitioned by UTC day and dropped whole after the retention.
-- Nothing written before is changed: old per-call `debit` entries keep their v1 hashes and verify as before.

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN
  ('deposit', 'debit', 'credit', 'refund', 'adjustment', 'transfer_in', 'transfer_out', 'usage'));
-- Nullable without default: no table rewrite. Set on `usage` entries only.
ALTER TABLE ledger_entries ADD COLUMN call_count bigint, ADD COLUMN first_ref text, ADD COLUMN last_ref text;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_usage_fields CHECK
  ((kind = 'usage') = (call_count IS NOT NULL AND first_ref IS NOT NULL AND last_ref IS NOT NULL));
COMMENT ON COLUMN ledger_entries.call_count IS 'usage entries: number of prepaid calls rolled up (amount_micro is minus their sum)';
COMMENT ON COLUMN ledger_entries.first_ref IS 'usage entries: decision id of the first call rolled up (arrival order)';
COMMENT ON COLUMN ledger_entries.last_ref IS 'usage entries: decision id of the last call rolled up (arrival order)';

-- v2 hash, used for kind 'usage' only: the v1 fields plus call_count, first_ref, last_ref.
-- Must stay byte-for-byte identical to ledgerUsageHash() in src/store/ledger-hash.ts.
CREATE FUNCTION ledger_usage_hash(
  prev_hash text, client_id text, seq bigint, amount_micro bigint, balance_after_micro bigint,
  call_count bigint, first_ref text, last_ref text, created_at timestamptz
) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT encode(sha256(convert_to(
      'gate402-ledger-v2|' ||
      ledger_field(prev_hash) || '|' || ledger_field(client_id) || '|' || ledger_field(seq::text) || '|' ||
      ledger_field('usage') || '|' || ledger_field(amount_micro::text) || '|' ||
      ledger_field(balance_after_micro::text) || '|' || ledger_field(call_count::text) || '|' ||
      ledger_field(first_ref) || '|' || ledger_field(last_ref) || '|' ||
      ledger_field(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      'UTF8')), 'hex')
  $$;

-- Per-call detail of rolled-up usage. ledger_seq is the seq of the account's `usage` entry holding the call.
CREATE TABLE usage_events (
  decision_id  text NOT NULL,
  client_id    text NOT NULL,
  route_id     text,
  method       text,
  amount_micro bigint NOT NULL CHECK (amount_micro > 0),
  ledger_seq   bigint NOT NULL,
  created_at   timestamptz NOT NULL
) PARTITION BY RANGE (created_at);
COMMENT ON COLUMN usage_events.amount_micro IS 'uneutaro, > 0: what the call was debited';
-- Refunds and late-commit compensation find a call by decision id.
CREATE INDEX usage_events_by_decision ON usage_events (decision_id);
-- Catches rows for a day whose partition was not created ahead, so a missed maintenance never fails a debit.
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;
COMMENT ON COLUMN usage_events_default.amount_micro IS 'uneutaro, > 0: what the call was debited';

-- Creates the partition of one UTC day (usage_events_pYYYYMMDD) unless it exists. @returns created?
CREATE FUNCTION usage_partition_ensure(p_day date) RETURNS boolean
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_name text := 'usage_events_p' || to_char(p_day, 'YYYYMMDD');
  BEGIN
    IF to_regclass(v_name) IS NOT NULL THEN
      RETURN false;
    END IF;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)', v_name,
                     p_day::timestamp AT TIME ZONE 'UTC', (p_day + 1)::timestamp AT TIME ZONE 'UTC');
    EXCEPTION WHEN check_violation THEN
      -- The default partition already holds rows of that day (maintenance did not run in time): leave the
      -- day there rather than fail every later run (and with it the drops of expired days).
      RAISE WARNING 'usage_events: rows of % are in usage_events_default; no partition created for that day', p_day;
      RETURN false;
    END;
    -- Partitions do not inherit column comments; every *_micro column says its unit.
    EXECUTE format('COMMENT ON COLUMN %I.amount_micro IS %L', v_name, 'uneutaro, > 0: what the call was debited');
    RETURN true;
  END
  $$;

SELECT usage_partition_ensure(((now() AT TIME ZONE 'UTC')::date + d)) FROM generate_series(0, 2) AS d;

-- Detail older than this was dropped by retention: the verifier checks rollups against detail only after it.
CREATE TABLE usage_retention (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  dropped_before timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO usage_retention DEFAULT VALUES;

-- What a dropped day partition summed to, per account, route and method: reports stay exact after the drop.
CREATE TABLE usage_daily (
  day          date NOT NULL,
  client_id    text NOT NULL,
  route_id     text,
  method       text,
  calls        bigint NOT NULL,
  amount_micro bigint NOT NULL
);
CREATE INDEX usage_daily_by_day ON usage_daily (day);
COMMENT ON COLUMN usage_daily.amount_micro IS 'uneutaro: sum debited by the calls of that day';

-- ledger_debit_batch (migration 0007) with rollups: same parameters, locking order, per-call balance
-- checks, outcomes and deadline rules, but per account one `usage` entry (v2 hash) for all its applied
-- debits in the batch, and one usage_events row per applied debit. entry_id is the usage entry's id.
CREATE FUNCTION ledger_debit_batch_rollup(
  p_client_ids text[], p_key_hashes text[], p_amounts bigint[], p_refs text[], p_route_ids text[],
  p_methods text[], p_deadlines timestamptz[]
) RETURNS TABLE (idx integer, outcome text, balance_micro bigint, entry_id bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_n          integer := coalesce(array_length(p_client_ids, 1), 0);
    v_outcomes   text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_balances   bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_entries    bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_now        timestamptz := date_trunc('milliseconds', now());
    v_client     text;
    v_found      boolean;
    v_key        text;
    v_status     text;
    v_balance    bigint;
    v_seq        bigint;
    v_head       text;
    v_count      bigint := 0;
    v_total      bigint := 0;
    v_first      text;
    v_last       text;
    v_applied    integer[] := '{}';
    v_ev_idx     integer[] := '{}';
    v_ev_seq     bigint[] := '{}';
    v_hash       text;
    v_id         bigint;
    v_i          integer;
    v_guard      timestamptz := 'infinity';
    v_item       record;
  BEGIN
    -- Sorted by (account, arrival), then one sentinel row (NULL account) that flushes the last account.
    FOR v_item IN SELECT s.c AS client_id, s.i FROM (
                    SELECT u.c, u.ord::integer AS i FROM unnest(p_client_ids) WITH ORDINALITY AS u(c, ord)
                    UNION ALL SELECT NULL, v_n + 1) AS s
                   ORDER BY (s.i > v_n), s.c, s.i LOOP
      IF v_item.i > v_n OR v_client IS DISTINCT FROM v_item.client_id THEN
        IF v_count > 0 THEN
          v_hash := ledger_usage_hash(v_head, v_client, v_seq + 1, -v_total, v_balance, v_count, v_first, v_last, v_now);
          INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, created_at, prev_hash,
                                      hash, call_count, first_ref, last_ref)
          VALUES (v_client, v_seq + 1, 'usage', -v_total, v_balance, v_now, v_head, v_hash, v_count, v_first, v_last)
          RETURNING id INTO v_id;
          UPDATE prepaid_accounts a
             SET balance_micro = v_balance, ledger_seq = v_seq + 1, ledger_prev_head = v_head,
                 ledger_head = v_hash, updated_at = v_now
           WHERE a.client_id = v_client;
          FOREACH v_i IN ARRAY v_applied LOOP
            v_entries[v_i] := v_id;
          END LOOP;
        END IF;
        EXIT WHEN v_item.i > v_n;
        v_client := v_item.client_id;
        v_count := 0;
        v_total := 0;
        v_applied := '{}';
        SELECT a.key_hash, a.status, a.balance_micro, a.ledger_seq, a.ledger_head
          INTO v_key, v_status, v_balance, v_seq, v_head
          FROM prepaid_accounts a WHERE a.client_id = v_client FOR UPDATE;
        v_found := FOUND;
      END IF;
      v_i := v_item.i;
      IF clock_timestamp() > p_deadlines[v_i] THEN
        v_outcomes[v_i] := 'expired';
      ELSIF NOT v_found OR v_key IS DISTINCT FROM p_key_hashes[v_i] THEN
        v_outcomes[v_i] := 'bad_credentials';
      ELSIF v_status <> 'active' THEN
        v_outcomes[v_i] := 'suspended';
      ELSIF v_balance < p_amounts[v_i] THEN
        v_outcomes[v_i] := 'insufficient';
        v_balances[v_i] := v_balance;
      ELSE
        v_balance := v_balance - p_amounts[v_i];
        v_total := v_total + p_amounts[v_i];
        v_count := v_count + 1;
        IF v_count = 1 THEN
          v_first := p_refs[v_i];
        END IF;
        v_last := p_refs[v_i];
        v_applied := v_applied || v_i;
        v_ev_idx := v_ev_idx || v_i;
        v_ev_seq := v_ev_seq || (v_seq + 1);
        v_guard := LEAST(v_guard, p_deadlines[v_i]);
        v_outcomes[v_i] := 'applied';
        v_balances[v_i] := v_balance;
      END IF;
    END LOOP;
    INSERT INTO usage_events (decision_id, client_id, route_id, method, amount_micro, ledger_seq, created_at)
    SELECT p_refs[e.i], p_client_ids[e.i], p_route_ids[e.i], p_methods[e.i], p_amounts[e.i], e.s, v_now
      FROM unnest(v_ev_idx, v_ev_seq) AS e(i, s);
    -- Last thing before the commit: nothing applied may outlive the earliest deadline among it.
    PERFORM gate402_deadline_passed(v_guard);
    RETURN QUERY SELECT g.i::integer, v_outcomes[g.i], v_balances[g.i], v_entries[g.i] FROM generate_series(1, v_n) AS g(i);
  END
  $$;

-- Down Migration

DROP FUNCTION ledger_debit_batch_rollup(text[], text[], bigint[], text[], text[], text[], timestamptz[]);
DROP TABLE usage_daily;
DROP TABLE usage_retention;
DROP FUNCTION usage_partition_ensure(date);
DROP TABLE usage_events;
DROP FUNCTION ledger_usage_hash(text, text, bigint, bigint, bigint, bigint, text, text, timestamptz);
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_usage_fields;
ALTER TABLE ledger_entries DROP COLUMN call_count, DROP COLUMN first_ref, DROP COLUMN last_ref;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN
  ('deposit', 'debit', 'credit', 'refund', 'adjustment', 'transfer_in', 'transfer_out'));
