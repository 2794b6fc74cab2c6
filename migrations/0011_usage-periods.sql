-- Up Migration

-- Ledger at mesh scale, part 2 (issue #15): usage rollups per period instead of per batch. Per account,
-- the calls of a period (GATEWAY_LEDGER_ROLLUP_MS) accumulate on the account row and are appended as ONE
-- `usage` ledger entry (the v2 hash of migration 0010) when the period closes:
--   (a) by the next debit batch of that account after the period ended (ledger_debit_batch_period),
--   (b) before any other entry of that account is appended (ledger_move, and per-call debits), so the
--       chain's balance arithmetic stays in order,
--   (c) by the sweep usage_close_due (FOR UPDATE SKIP LOCKED: replicas never close one period twice).
-- The balance stays exact per call in prepaid_accounts.balance_micro: chain balance − open total = balance.
-- Nothing written before is changed: per-call `debit` entries (first release) and per-batch `usage`
-- entries (0010) keep their hashes and verify as before.

-- The open period of an account (all NULL: none). Nullable without default: no table rewrite.
ALTER TABLE prepaid_accounts
  ADD COLUMN usage_open_at timestamptz,
  ADD COLUMN usage_last_at timestamptz,
  ADD COLUMN usage_calls bigint,
  ADD COLUMN usage_total_micro bigint,
  ADD COLUMN usage_first_ref text,
  ADD COLUMN usage_last_ref text,
  ADD COLUMN usage_entry_id bigint;
ALTER TABLE prepaid_accounts ADD CONSTRAINT prepaid_accounts_usage_period CHECK (
  (usage_open_at IS NULL) = (usage_last_at IS NULL) AND (usage_open_at IS NULL) = (usage_calls IS NULL)
  AND (usage_open_at IS NULL) = (usage_total_micro IS NULL) AND (usage_open_at IS NULL) = (usage_first_ref IS NULL)
  AND (usage_open_at IS NULL) = (usage_last_ref IS NULL) AND (usage_open_at IS NULL) = (usage_entry_id IS NULL)
  AND (usage_calls IS NULL OR (usage_calls > 0 AND usage_total_micro > 0)));
COMMENT ON COLUMN prepaid_accounts.usage_open_at IS 'open usage period: time of its first call (NULL: no open period)';
COMMENT ON COLUMN prepaid_accounts.usage_last_at IS 'open usage period: time of its newest call (the usage entry''s created_at)';
COMMENT ON COLUMN prepaid_accounts.usage_calls IS 'open usage period: calls debited in it';
COMMENT ON COLUMN prepaid_accounts.usage_total_micro IS
  'uneutaro, > 0: sum debited by the calls of the open usage period (already out of balance_micro)';
COMMENT ON COLUMN prepaid_accounts.usage_first_ref IS 'open usage period: decision id of its first call';
COMMENT ON COLUMN prepaid_accounts.usage_last_ref IS 'open usage period: decision id of its newest call';
COMMENT ON COLUMN prepaid_accounts.usage_entry_id IS
  'open usage period: ledger_entries.id its usage entry will carry (drawn when it opened, answered as the debit''s entry id)';
-- The sweep finds due periods without scanning every account; mid-period updates leave it untouched (HOT).
CREATE INDEX prepaid_accounts_usage_due ON prepaid_accounts (usage_open_at) WHERE usage_open_at IS NOT NULL;
-- Every debit batch rewrites its accounts' rows: room on each page lets that be a HOT update (no index
-- entries, a compressed WAL record) instead of a new tuple on another page plus an entry in every index.
-- Applies to pages written from now on; `VACUUM FULL prepaid_accounts` applies it to existing ones.
ALTER TABLE prepaid_accounts SET (fillfactor = 50);

-- Closes the open usage period of one account into its `usage` ledger entry (seq = ledger_seq + 1,
-- which every usage_events row of the period already names; balance after = the account balance, since
-- nothing else was appended while it was open). Locks the account row (a caller may hold it already).
-- @returns the entry id, or NULL when the account has no open period.
CREATE FUNCTION usage_close(p_client text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    a      prepaid_accounts%ROWTYPE;
    v_hash text;
  BEGIN
    SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client FOR UPDATE;
    IF NOT FOUND OR a.usage_entry_id IS NULL THEN
      RETURN NULL;
    END IF;
    v_hash := ledger_usage_hash(a.ledger_head, a.client_id, a.ledger_seq + 1, -a.usage_total_micro, a.balance_micro,
                                a.usage_calls, a.usage_first_ref, a.usage_last_ref, a.usage_last_at);
    INSERT INTO ledger_entries (id, client_id, seq, kind, amount_micro, balance_after_micro, created_at, prev_hash, hash,
                                call_count, first_ref, last_ref)
    VALUES (a.usage_entry_id, a.client_id, a.ledger_seq + 1, 'usage', -a.usage_total_micro, a.balance_micro, a.usage_last_at,
            a.ledger_head, v_hash, a.usage_calls, a.usage_first_ref, a.usage_last_ref);
    UPDATE prepaid_accounts
       SET ledger_seq = a.ledger_seq + 1, ledger_prev_head = a.ledger_head, ledger_head = v_hash,
           usage_open_at = NULL, usage_last_at = NULL, usage_calls = NULL, usage_total_micro = NULL,
           usage_first_ref = NULL, usage_last_ref = NULL, usage_entry_id = NULL
     WHERE client_id = p_client;
    RETURN a.usage_entry_id;
  END
  $$;

-- Safety net: no entry is appended to an account with an open period except that period's own usage
-- entry. Writers that do not know periods (a replica of the previous release during a rolling upgrade)
-- fail with 40001, which every release answers as 503 (retry), instead of forking the balance arithmetic.
CREATE FUNCTION ledger_entries_after_open_period() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM prepaid_accounts a
                WHERE a.client_id = NEW.client_id AND a.usage_entry_id IS NOT NULL AND a.usage_entry_id <> NEW.id) THEN
      RAISE EXCEPTION 'ledger_entries: account % has an open usage period; usage_close() it first', NEW.client_id
        USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
  END
  $$;

CREATE TRIGGER ledger_entries_after_open_period
  BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_after_open_period();

-- One balance movement other than a prepaid debit batch (deposit, credit, refund, adjustment, transfer leg,
-- single guarded debit), chained exactly as the first release's movement statement did (v1 hash, created_at
-- truncated to ms; taken once the row is locked), after closing the account's open usage period.
-- p_key_hash NULL: unguarded (never overdraws); else the account must be active with that key. Returns no
-- row when nothing was written (no such account, guard not met, or the balance would go negative).
CREATE FUNCTION ledger_move(
  p_client text, p_kind text, p_amount bigint, p_ref text, p_route_id text, p_method text, p_tx_hash text, p_key_hash text
) RETURNS TABLE (entry_id bigint, balance_micro bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    a      prepaid_accounts%ROWTYPE;
    v_now  timestamptz;
    v_hash text;
  BEGIN
    SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client FOR UPDATE;
    -- Taken under the row lock, so an account's entries are appended in created_at order.
    v_now := date_trunc('milliseconds', clock_timestamp());
    IF NOT FOUND OR a.balance_micro + p_amount < 0
       OR (p_key_hash IS NOT NULL AND (a.key_hash <> p_key_hash OR a.status <> 'active')) THEN
      RETURN;
    END IF;
    IF a.usage_entry_id IS NOT NULL THEN
      PERFORM usage_close(p_client);
      SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client;
    END IF;
    v_hash := ledger_entry_hash(a.ledger_head, p_client, a.ledger_seq + 1, p_kind, p_amount, a.balance_micro + p_amount,
                                p_ref, p_route_id, p_method, p_tx_hash, v_now);
    UPDATE prepaid_accounts
       SET balance_micro = a.balance_micro + p_amount, ledger_seq = a.ledger_seq + 1, ledger_prev_head = a.ledger_head,
           ledger_head = v_hash, updated_at = v_now
     WHERE client_id = p_client;
    INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id, method, tx_hash,
                                created_at, prev_hash, hash)
    VALUES (p_client, a.ledger_seq + 1, p_kind, p_amount, a.balance_micro + p_amount, p_ref, p_route_id, p_method,
            p_tx_hash, v_now, a.ledger_head, v_hash)
    RETURNING id INTO entry_id;
    balance_micro := a.balance_micro + p_amount;
    RETURN NEXT;
  END
  $$;

-- The prepaid debit batch of this release. Same parameters, locking order (client_id), per-call balance
-- checks, outcomes and deadline rules as ledger_debit_batch (0007), plus p_period_ms:
--   NULL  per-call `debit` entries (GATEWAY_LEDGER_ROLLUPS=false), after closing any open period;
--   0     one `usage` entry per account per batch (as 0010's ledger_debit_batch_rollup);
--   > 0   the account's calls accumulate in its open period (opened by the first call, closed first when
--         it is older than p_period_ms), one usage_events row per call (ledger_seq = the seq its usage
--         entry will take). entry_id is the period's usage entry id, drawn when the period opened.
CREATE FUNCTION ledger_debit_batch_period(
  p_client_ids text[], p_key_hashes text[], p_amounts bigint[], p_refs text[], p_route_ids text[],
  p_methods text[], p_deadlines timestamptz[], p_period_ms bigint
) RETURNS TABLE (idx integer, outcome text, balance_micro bigint, entry_id bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_n         integer := coalesce(array_length(p_client_ids, 1), 0);
    v_outcomes  text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_balances  bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_entries   bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_now       timestamptz;
    v_per_call  boolean := p_period_ms IS NULL;
    v_client    text;
    a           prepaid_accounts%ROWTYPE;
    v_found     boolean;
    v_changed   boolean := false;
    v_hash      text;
    v_id        bigint;
    v_ev_idx    integer[] := '{}';
    v_ev_seq    bigint[] := '{}';
    v_ev_at     timestamptz[] := '{}';
    v_i         integer;
    v_guard     timestamptz := 'infinity';
    v_item      record;
  BEGIN
    -- Sorted by (account, arrival), then one sentinel row (NULL account) that writes back the last account.
    FOR v_item IN SELECT s.c AS client_id, s.i FROM (
                    SELECT u.c, u.ord::integer AS i FROM unnest(p_client_ids) WITH ORDINALITY AS u(c, ord)
                    UNION ALL SELECT NULL, v_n + 1) AS s
                   ORDER BY (s.i > v_n), s.c, s.i LOOP
      IF v_item.i > v_n OR v_client IS DISTINCT FROM v_item.client_id THEN
        IF v_changed THEN
          UPDATE prepaid_accounts
             SET balance_micro = a.balance_micro, ledger_seq = a.ledger_seq, ledger_prev_head = a.ledger_prev_head,
                 ledger_head = a.ledger_head, usage_open_at = a.usage_open_at, usage_last_at = a.usage_last_at,
                 usage_calls = a.usage_calls, usage_total_micro = a.usage_total_micro, usage_first_ref = a.usage_first_ref,
                 usage_last_ref = a.usage_last_ref, usage_entry_id = a.usage_entry_id, updated_at = v_now
           WHERE client_id = v_client;
          IF p_period_ms = 0 THEN
            PERFORM usage_close(v_client);
          END IF;
        END IF;
        EXIT WHEN v_item.i > v_n;
        v_client := v_item.client_id;
        v_changed := false;
        SELECT * INTO a FROM prepaid_accounts WHERE client_id = v_client FOR UPDATE;
        v_found := FOUND;
        -- The account's time, taken under its row lock: per account, periods, calls and entries follow
        -- in time the order the lock serializes them in (a batch that waited for the lock is not earlier).
        v_now := date_trunc('milliseconds', clock_timestamp());
        IF v_found AND a.usage_entry_id IS NOT NULL
           AND (v_per_call OR a.usage_open_at <= v_now - p_period_ms * interval '1 millisecond') THEN
          PERFORM usage_close(v_client);
          SELECT * INTO a FROM prepaid_accounts WHERE client_id = v_client;
        END IF;
      END IF;
      v_i := v_item.i;
      IF clock_timestamp() > p_deadlines[v_i] THEN
        v_outcomes[v_i] := 'expired';
      ELSIF NOT v_found OR a.key_hash IS DISTINCT FROM p_key_hashes[v_i] THEN
        v_outcomes[v_i] := 'bad_credentials';
      ELSIF a.status <> 'active' THEN
        v_outcomes[v_i] := 'suspended';
      ELSIF a.balance_micro < p_amounts[v_i] THEN
        v_outcomes[v_i] := 'insufficient';
        v_balances[v_i] := a.balance_micro;
      ELSE
        a.balance_micro := a.balance_micro - p_amounts[v_i];
        IF v_per_call THEN
          v_hash := ledger_entry_hash(a.ledger_head, v_client, a.ledger_seq + 1, 'debit', -p_amounts[v_i], a.balance_micro,
                                      p_refs[v_i], p_route_ids[v_i], p_methods[v_i], NULL, v_now);
          INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id,
                                      method, tx_hash, created_at, prev_hash, hash)
          VALUES (v_client, a.ledger_seq + 1, 'debit', -p_amounts[v_i], a.balance_micro, p_refs[v_i], p_route_ids[v_i],
                  p_methods[v_i], NULL, v_now, a.ledger_head, v_hash)
          RETURNING id INTO v_id;
          a.ledger_seq := a.ledger_seq + 1;
          a.ledger_prev_head := a.ledger_head;
          a.ledger_head := v_hash;
          v_entries[v_i] := v_id;
        ELSE
          IF a.usage_entry_id IS NULL THEN
            a.usage_open_at := v_now;
            a.usage_calls := 0;
            a.usage_total_micro := 0;
            a.usage_first_ref := p_refs[v_i];
            a.usage_entry_id := nextval(pg_get_serial_sequence('ledger_entries', 'id'));
          END IF;
          a.usage_calls := a.usage_calls + 1;
          a.usage_total_micro := a.usage_total_micro + p_amounts[v_i];
          a.usage_last_ref := p_refs[v_i];
          a.usage_last_at := v_now;
          v_ev_idx := v_ev_idx || v_i;
          v_ev_seq := v_ev_seq || (a.ledger_seq + 1);
          v_ev_at := v_ev_at || v_now;
          v_entries[v_i] := a.usage_entry_id;
        END IF;
        v_changed := true;
        v_guard := LEAST(v_guard, p_deadlines[v_i]);
        v_outcomes[v_i] := 'applied';
        v_balances[v_i] := a.balance_micro;
      END IF;
    END LOOP;
    INSERT INTO usage_events (decision_id, client_id, route_id, method, amount_micro, ledger_seq, created_at)
    SELECT p_refs[e.i], p_client_ids[e.i], p_route_ids[e.i], p_methods[e.i], p_amounts[e.i], e.s, e.at
      FROM unnest(v_ev_idx, v_ev_seq, v_ev_at) AS e(i, s, at);
    -- Last thing before the commit: nothing applied may outlive the earliest deadline among it.
    PERFORM gate402_deadline_passed(v_guard);
    RETURN QUERY SELECT g.i::integer, v_outcomes[g.i], v_balances[g.i], v_entries[g.i] FROM generate_series(1, v_n) AS g(i);
  END
  $$;

-- The sweep: closes up to p_limit periods opened at least p_period_ms ago, skipping accounts another
-- transaction holds (a debit batch, which closes a due period itself, or another replica's sweep): a
-- period is closed once, never before it is due. @returns how many were closed.
CREATE FUNCTION usage_close_due(p_period_ms bigint, p_limit integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_due    timestamptz := date_trunc('milliseconds', now()) - p_period_ms * interval '1 millisecond';
    v_closed integer := 0;
    v_row    record;
  BEGIN
    FOR v_row IN SELECT client_id FROM prepaid_accounts
                  WHERE usage_open_at IS NOT NULL AND usage_open_at <= v_due
                  ORDER BY usage_open_at LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
      IF usage_close(v_row.client_id) IS NOT NULL THEN
        v_closed := v_closed + 1;
      END IF;
    END LOOP;
    RETURN v_closed;
  END
  $$;

-- Down Migration

DROP FUNCTION usage_close_due(bigint, integer);
DROP FUNCTION ledger_debit_batch_period(text[], text[], bigint[], text[], text[], text[], timestamptz[], bigint);
DROP FUNCTION ledger_move(text, text, bigint, text, text, text, text, text);
DROP TRIGGER ledger_entries_after_open_period ON ledger_entries;
DROP FUNCTION ledger_entries_after_open_period();
-- Open periods are closed into the chain first, so the previous release finds every call in its ledger.
SELECT usage_close(client_id) FROM prepaid_accounts WHERE usage_entry_id IS NOT NULL;
DROP FUNCTION usage_close(text);
DROP INDEX prepaid_accounts_usage_due;
ALTER TABLE prepaid_accounts RESET (fillfactor);
ALTER TABLE prepaid_accounts DROP CONSTRAINT prepaid_accounts_usage_period;
ALTER TABLE prepaid_accounts
  DROP COLUMN usage_open_at, DROP COLUMN usage_last_at, DROP COLUMN usage_calls, DROP COLUMN usage_total_micro,
  DROP COLUMN usage_first_ref, DROP COLUMN usage_last_ref, DROP COLUMN usage_entry_id;
