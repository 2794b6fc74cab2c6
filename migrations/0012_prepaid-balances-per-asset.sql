-- Up Migration

-- Prepaid balances per asset (issue #13). An account holds one balance per accepted asset (network, denom):
--   - the primary asset (GATEWAY_DENOM on the primary network) stays prepaid_accounts.balance_micro, and
--     every row written before names it by network/denom NULL — nothing is rewritten or re-hashed;
--   - every other asset has a row in prepaid_balances, created by its first credit.
-- An account keeps ONE hash chain (ledger_seq/ledger_head on its row) for all its assets. An entry of another
-- asset names it (ledger_entries.network/denom), its balance_after_micro is that asset's balance, and it
-- carries the v3 hash, which covers every column including network and denom; primary entries keep the v1
-- (movements) and v2 (usage) hashes. An account has at most one open usage period (migration 0011), of one
-- asset (usage_network/usage_denom, NULL: primary); a call in another asset closes it first.
-- Every writer locks the account row first (as every 0011 function does), so the balance rows of an account
-- change only under its account row lock: one lock order, no deadlock, no lost update.

CREATE TABLE prepaid_balances (
  client_id     text NOT NULL REFERENCES prepaid_accounts (client_id),
  network       text NOT NULL,
  denom         text NOT NULL,
  balance_micro bigint NOT NULL CHECK (balance_micro >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, network, denom)
);
COMMENT ON TABLE prepaid_balances IS
  'balance of a prepaid account in an asset other than the primary one (that is prepaid_accounts.balance_micro)';
COMMENT ON COLUMN prepaid_balances.balance_micro IS 'smallest unit of denom, never negative';
COMMENT ON COLUMN prepaid_balances.network IS 'CAIP-2 network id of the asset, e.g. cosmos:gaia-devnet';
-- Rewritten by every debit batch of the account: room for HOT updates, as prepaid_accounts (0011).
ALTER TABLE prepaid_balances SET (fillfactor = 50);

-- Nullable without default: no table rewrite. NULL/NULL is the primary asset.
ALTER TABLE ledger_entries ADD COLUMN network text, ADD COLUMN denom text;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_asset CHECK ((network IS NULL) = (denom IS NULL)) NOT VALID;
ALTER TABLE ledger_entries VALIDATE CONSTRAINT ledger_entries_asset;
COMMENT ON COLUMN ledger_entries.denom IS
  'asset of amount_micro/balance_after_micro (with network); NULL: the primary asset (uneutaro), v1/v2 hash';
ALTER TABLE usage_events ADD COLUMN network text, ADD COLUMN denom text;
ALTER TABLE usage_daily ADD COLUMN network text, ADD COLUMN denom text;
ALTER TABLE refunds ADD COLUMN network text, ADD COLUMN denom text;
COMMENT ON COLUMN refunds.denom IS 'asset of amount_micro (with network); NULL: the primary asset';

ALTER TABLE prepaid_accounts ADD COLUMN usage_network text, ADD COLUMN usage_denom text;
ALTER TABLE prepaid_accounts ADD CONSTRAINT prepaid_accounts_usage_asset CHECK (
  (usage_network IS NULL) = (usage_denom IS NULL) AND (usage_denom IS NULL OR usage_entry_id IS NOT NULL));
COMMENT ON COLUMN prepaid_accounts.usage_denom IS 'open usage period: its asset (with usage_network); NULL: the primary asset';

-- v3 hash: every field of an entry, asset included. Used for entries whose denom is not NULL.
-- Must stay byte-for-byte identical to ledgerAssetHash() in src/store/ledger-hash.ts.
CREATE FUNCTION ledger_asset_hash(
  prev_hash text, client_id text, seq bigint, kind text, amount_micro bigint, balance_after_micro bigint,
  ref text, route_id text, method text, tx_hash text, call_count bigint, first_ref text, last_ref text,
  network text, denom text, created_at timestamptz
) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT encode(sha256(convert_to(
      'gate402-ledger-v3|' ||
      ledger_field(prev_hash) || '|' || ledger_field(client_id) || '|' || ledger_field(seq::text) || '|' ||
      ledger_field(kind) || '|' || ledger_field(amount_micro::text) || '|' ||
      ledger_field(balance_after_micro::text) || '|' || ledger_field(ref) || '|' || ledger_field(route_id) || '|' ||
      ledger_field(method) || '|' || ledger_field(tx_hash) || '|' || ledger_field(call_count::text) || '|' ||
      ledger_field(first_ref) || '|' || ledger_field(last_ref) || '|' || ledger_field(network) || '|' ||
      ledger_field(denom) || '|' ||
      ledger_field(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      'UTF8')), 'hex')
  $$;

-- usage_close (0011) with the period's asset: a primary period is closed exactly as before (v2 hash); a
-- period of another asset gets the v3 hash and that asset's balance as balance after.
CREATE OR REPLACE FUNCTION usage_close(p_client text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    a         prepaid_accounts%ROWTYPE;
    v_balance bigint;
    v_hash    text;
  BEGIN
    SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client FOR UPDATE;
    IF NOT FOUND OR a.usage_entry_id IS NULL THEN
      RETURN NULL;
    END IF;
    IF a.usage_denom IS NULL THEN
      v_balance := a.balance_micro;
      v_hash := ledger_usage_hash(a.ledger_head, a.client_id, a.ledger_seq + 1, -a.usage_total_micro, v_balance,
                                  a.usage_calls, a.usage_first_ref, a.usage_last_ref, a.usage_last_at);
    ELSE
      SELECT b.balance_micro INTO STRICT v_balance FROM prepaid_balances b
       WHERE b.client_id = p_client AND b.network = a.usage_network AND b.denom = a.usage_denom;
      v_hash := ledger_asset_hash(a.ledger_head, a.client_id, a.ledger_seq + 1, 'usage', -a.usage_total_micro, v_balance,
                                  NULL, NULL, NULL, NULL, a.usage_calls, a.usage_first_ref, a.usage_last_ref,
                                  a.usage_network, a.usage_denom, a.usage_last_at);
    END IF;
    INSERT INTO ledger_entries (id, client_id, seq, kind, amount_micro, balance_after_micro, created_at, prev_hash, hash,
                                call_count, first_ref, last_ref, network, denom)
    VALUES (a.usage_entry_id, a.client_id, a.ledger_seq + 1, 'usage', -a.usage_total_micro, v_balance, a.usage_last_at,
            a.ledger_head, v_hash, a.usage_calls, a.usage_first_ref, a.usage_last_ref, a.usage_network, a.usage_denom);
    UPDATE prepaid_accounts
       SET ledger_seq = a.ledger_seq + 1, ledger_prev_head = a.ledger_head, ledger_head = v_hash,
           usage_open_at = NULL, usage_last_at = NULL, usage_calls = NULL, usage_total_micro = NULL,
           usage_first_ref = NULL, usage_last_ref = NULL, usage_entry_id = NULL, usage_network = NULL, usage_denom = NULL
     WHERE client_id = p_client;
    RETURN a.usage_entry_id;
  END
  $$;

-- ledger_move (0011) in an asset (p_network/p_denom NULL: the primary asset). A credit of another asset
-- creates its balance row; a debit never takes a balance below 0. Returns no row when nothing was written.
CREATE FUNCTION ledger_move_asset(
  p_client text, p_network text, p_denom text, p_kind text, p_amount bigint, p_ref text, p_route_id text, p_method text,
  p_tx_hash text, p_key_hash text
) RETURNS TABLE (entry_id bigint, balance_micro bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    a         prepaid_accounts%ROWTYPE;
    v_now     timestamptz;
    v_balance bigint;
    v_after   bigint;
    v_hash    text;
  BEGIN
    IF (p_network IS NULL) <> (p_denom IS NULL) THEN
      RAISE EXCEPTION 'ledger_move_asset: network and denom are both set or both NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client FOR UPDATE;
    IF NOT FOUND OR (p_key_hash IS NOT NULL AND (a.key_hash <> p_key_hash OR a.status <> 'active')) THEN
      RETURN;
    END IF;
    -- Taken under the row lock, so an account's entries are appended in created_at order.
    v_now := date_trunc('milliseconds', clock_timestamp());
    IF p_denom IS NULL THEN
      v_balance := a.balance_micro;
    ELSE
      SELECT b.balance_micro INTO v_balance FROM prepaid_balances b
       WHERE b.client_id = p_client AND b.network = p_network AND b.denom = p_denom;
      v_balance := coalesce(v_balance, 0);
    END IF;
    v_after := v_balance + p_amount;
    IF v_after < 0 THEN
      RETURN;
    END IF;
    IF a.usage_entry_id IS NOT NULL THEN
      PERFORM usage_close(p_client);
      SELECT * INTO a FROM prepaid_accounts WHERE client_id = p_client;
    END IF;
    IF p_denom IS NULL THEN
      v_hash := ledger_entry_hash(a.ledger_head, p_client, a.ledger_seq + 1, p_kind, p_amount, v_after,
                                  p_ref, p_route_id, p_method, p_tx_hash, v_now);
    ELSE
      v_hash := ledger_asset_hash(a.ledger_head, p_client, a.ledger_seq + 1, p_kind, p_amount, v_after,
                                  p_ref, p_route_id, p_method, p_tx_hash, NULL, NULL, NULL, p_network, p_denom, v_now);
      INSERT INTO prepaid_balances AS b (client_id, network, denom, balance_micro, created_at, updated_at)
      VALUES (p_client, p_network, p_denom, v_after, v_now, v_now)
      ON CONFLICT (client_id, network, denom) DO UPDATE SET balance_micro = EXCLUDED.balance_micro, updated_at = v_now;
    END IF;
    UPDATE prepaid_accounts
       SET balance_micro = CASE WHEN p_denom IS NULL THEN v_after ELSE a.balance_micro END, ledger_seq = a.ledger_seq + 1,
           ledger_prev_head = a.ledger_head, ledger_head = v_hash, updated_at = v_now
     WHERE client_id = p_client;
    INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id, method, tx_hash,
                                created_at, prev_hash, hash, network, denom)
    VALUES (p_client, a.ledger_seq + 1, p_kind, p_amount, v_after, p_ref, p_route_id, p_method,
            p_tx_hash, v_now, a.ledger_head, v_hash, p_network, p_denom)
    RETURNING id INTO entry_id;
    balance_micro := v_after;
    RETURN NEXT;
  END
  $$;

-- The 0011 signature keeps working (a replica of the previous release during a rolling upgrade): the primary asset.
CREATE OR REPLACE FUNCTION ledger_move(
  p_client text, p_kind text, p_amount bigint, p_ref text, p_route_id text, p_method text, p_tx_hash text, p_key_hash text
) RETURNS TABLE (entry_id bigint, balance_micro bigint)
  LANGUAGE sql VOLATILE
  AS $$
    SELECT m.entry_id, m.balance_micro
      FROM ledger_move_asset(p_client, NULL, NULL, p_kind, p_amount, p_ref, p_route_id, p_method, p_tx_hash, p_key_hash) AS m
  $$;

-- Writes back an account row held in memory by a debit batch (its lock is held).
CREATE FUNCTION prepaid_account_write(a prepaid_accounts, p_now timestamptz) RETURNS void
  LANGUAGE sql VOLATILE
  AS $$
    UPDATE prepaid_accounts
       SET balance_micro = a.balance_micro, ledger_seq = a.ledger_seq, ledger_prev_head = a.ledger_prev_head,
           ledger_head = a.ledger_head, usage_open_at = a.usage_open_at, usage_last_at = a.usage_last_at,
           usage_calls = a.usage_calls, usage_total_micro = a.usage_total_micro, usage_first_ref = a.usage_first_ref,
           usage_last_ref = a.usage_last_ref, usage_entry_id = a.usage_entry_id, usage_network = a.usage_network,
           usage_denom = a.usage_denom, updated_at = p_now
     WHERE client_id = a.client_id
  $$;

-- The prepaid debit batch of this release: ledger_debit_batch_period (0011) where each debit names the assets
-- it may be paid in, in order of preference, with its price in each; it takes the FIRST asset whose balance
-- covers that asset's price (the route's prices in pricesOf order: primary first, then configured order).
-- Debit i's options are p_opt_*[p_opt_from[i] .. p_opt_to[i]]; an option's network/denom NULL is the primary
-- asset. Same locking order (client_id), outcomes, deadlines and p_period_ms meaning as 0011. Returns per debit:
-- outcome, balance after in the asset taken (insufficient: the first option's balance), entry id, and opt =
-- the 1-based position of the option taken among the debit's options (NULL unless applied), and primary_micro =
-- the account's primary balance after it (applied or insufficient), which the ClawPurse balance header reports.
CREATE FUNCTION ledger_debit_batch_assets(
  p_client_ids text[], p_key_hashes text[], p_refs text[], p_route_ids text[], p_methods text[],
  p_deadlines timestamptz[], p_period_ms bigint,
  p_opt_from integer[], p_opt_to integer[], p_opt_networks text[], p_opt_denoms text[], p_opt_amounts bigint[]
) RETURNS TABLE (idx integer, outcome text, balance_micro bigint, entry_id bigint, opt integer, primary_micro bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_n         integer := coalesce(array_length(p_client_ids, 1), 0);
    v_outcomes  text[] := array_fill(NULL::text, ARRAY[v_n]);
    v_balances  bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_entries   bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_opts      integer[] := array_fill(NULL::integer, ARRAY[v_n]);
    v_primary   bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
    v_now       timestamptz;
    v_per_call  boolean := p_period_ms IS NULL;
    v_client    text;
    a           prepaid_accounts%ROWTYPE;
    v_found     boolean;
    v_changed   boolean := false;
    -- the account's balances in other assets, in memory while its row is locked
    v_b_net     text[];
    v_b_den     text[];
    v_b_bal     bigint[];
    v_b_dirty   boolean := false;
    v_k         integer;
    v_j         integer;
    v_pick      integer;
    v_pick_k    integer;
    v_bal       bigint;
    v_first_bal bigint;
    v_after     bigint;
    v_net       text;
    v_den       text;
    v_hash      text;
    v_id        bigint;
    v_ev_idx    integer[] := '{}';
    v_ev_seq    bigint[] := '{}';
    v_ev_at     timestamptz[] := '{}';
    v_ev_net    text[] := '{}';
    v_ev_den    text[] := '{}';
    v_ev_amt    bigint[] := '{}';
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
          PERFORM prepaid_account_write(a, v_now);
        END IF;
        IF v_b_dirty THEN
          UPDATE prepaid_balances b SET balance_micro = x.bal, updated_at = v_now
            FROM unnest(v_b_net, v_b_den, v_b_bal) AS x(n, d, bal)
           WHERE b.client_id = v_client AND b.network = x.n AND b.denom = x.d AND b.balance_micro <> x.bal;
        END IF;
        IF v_changed AND p_period_ms = 0 THEN
          PERFORM usage_close(v_client);
        END IF;
        EXIT WHEN v_item.i > v_n;
        v_client := v_item.client_id;
        v_changed := false;
        v_b_dirty := false;
        SELECT * INTO a FROM prepaid_accounts WHERE client_id = v_client FOR UPDATE;
        v_found := FOUND;
        SELECT coalesce(array_agg(b.network ORDER BY b.network, b.denom), '{}'),
               coalesce(array_agg(b.denom ORDER BY b.network, b.denom), '{}'),
               coalesce(array_agg(b.balance_micro ORDER BY b.network, b.denom), '{}')
          INTO v_b_net, v_b_den, v_b_bal
          FROM prepaid_balances b WHERE b.client_id = v_client;
        -- The account's time, taken under its row lock (0011).
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
        CONTINUE;
      ELSIF NOT v_found OR a.key_hash IS DISTINCT FROM p_key_hashes[v_i] THEN
        v_outcomes[v_i] := 'bad_credentials';
        CONTINUE;
      ELSIF a.status <> 'active' THEN
        v_outcomes[v_i] := 'suspended';
        CONTINUE;
      END IF;
      -- The first option whose balance covers its price.
      v_pick := NULL;
      v_first_bal := NULL;
      FOR v_j IN p_opt_from[v_i] .. p_opt_to[v_i] LOOP
        v_k := NULL;
        IF p_opt_denoms[v_j] IS NULL THEN
          v_bal := a.balance_micro;
        ELSE
          v_k := array_position(v_b_den, p_opt_denoms[v_j]);
          -- denoms may repeat across networks: find the (network, denom) pair
          WHILE v_k IS NOT NULL AND v_b_net[v_k] IS DISTINCT FROM p_opt_networks[v_j] LOOP
            v_k := array_position(v_b_den, p_opt_denoms[v_j], v_k + 1);
          END LOOP;
          v_bal := CASE WHEN v_k IS NULL THEN 0 ELSE v_b_bal[v_k] END;
        END IF;
        v_first_bal := coalesce(v_first_bal, v_bal);
        IF v_bal >= p_opt_amounts[v_j] THEN
          v_pick := v_j;
          v_pick_k := v_k;
          EXIT;
        END IF;
      END LOOP;
      IF v_pick IS NULL THEN
        v_outcomes[v_i] := 'insufficient';
        v_balances[v_i] := coalesce(v_first_bal, a.balance_micro);
        v_primary[v_i] := a.balance_micro;
        CONTINUE;
      END IF;
      v_net := p_opt_networks[v_pick];
      v_den := p_opt_denoms[v_pick];
      -- One open period per account, of one asset: a call in another asset closes it first.
      IF NOT v_per_call AND a.usage_entry_id IS NOT NULL
         AND (a.usage_network IS DISTINCT FROM v_net OR a.usage_denom IS DISTINCT FROM v_den) THEN
        PERFORM prepaid_account_write(a, v_now);
        IF v_b_dirty THEN
          UPDATE prepaid_balances b SET balance_micro = x.bal, updated_at = v_now
            FROM unnest(v_b_net, v_b_den, v_b_bal) AS x(n, d, bal)
           WHERE b.client_id = v_client AND b.network = x.n AND b.denom = x.d AND b.balance_micro <> x.bal;
          v_b_dirty := false;
        END IF;
        PERFORM usage_close(v_client);
        SELECT * INTO a FROM prepaid_accounts WHERE client_id = v_client;
      END IF;
      IF v_den IS NULL THEN
        a.balance_micro := a.balance_micro - p_opt_amounts[v_pick];
        v_after := a.balance_micro;
      ELSE
        v_b_bal[v_pick_k] := v_b_bal[v_pick_k] - p_opt_amounts[v_pick];
        v_after := v_b_bal[v_pick_k];
        v_b_dirty := true;
      END IF;
      IF v_per_call THEN
        IF v_den IS NULL THEN
          v_hash := ledger_entry_hash(a.ledger_head, v_client, a.ledger_seq + 1, 'debit', -p_opt_amounts[v_pick], v_after,
                                      p_refs[v_i], p_route_ids[v_i], p_methods[v_i], NULL, v_now);
        ELSE
          v_hash := ledger_asset_hash(a.ledger_head, v_client, a.ledger_seq + 1, 'debit', -p_opt_amounts[v_pick], v_after,
                                      p_refs[v_i], p_route_ids[v_i], p_methods[v_i], NULL, NULL, NULL, NULL, v_net, v_den, v_now);
        END IF;
        INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id,
                                    method, tx_hash, created_at, prev_hash, hash, network, denom)
        VALUES (v_client, a.ledger_seq + 1, 'debit', -p_opt_amounts[v_pick], v_after, p_refs[v_i], p_route_ids[v_i],
                p_methods[v_i], NULL, v_now, a.ledger_head, v_hash, v_net, v_den)
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
          a.usage_network := v_net;
          a.usage_denom := v_den;
          a.usage_entry_id := nextval(pg_get_serial_sequence('ledger_entries', 'id'));
        END IF;
        a.usage_calls := a.usage_calls + 1;
        a.usage_total_micro := a.usage_total_micro + p_opt_amounts[v_pick];
        a.usage_last_ref := p_refs[v_i];
        a.usage_last_at := v_now;
        v_ev_idx := v_ev_idx || v_i;
        v_ev_seq := v_ev_seq || (a.ledger_seq + 1);
        v_ev_at := v_ev_at || v_now;
        v_ev_net := v_ev_net || v_net;
        v_ev_den := v_ev_den || v_den;
        v_ev_amt := v_ev_amt || p_opt_amounts[v_pick];
        v_entries[v_i] := a.usage_entry_id;
      END IF;
      v_changed := true;
      v_guard := LEAST(v_guard, p_deadlines[v_i]);
      v_outcomes[v_i] := 'applied';
      v_balances[v_i] := v_after;
      v_opts[v_i] := v_pick - p_opt_from[v_i] + 1;
      v_primary[v_i] := a.balance_micro;
    END LOOP;
    INSERT INTO usage_events (decision_id, client_id, route_id, method, amount_micro, ledger_seq, created_at, network, denom)
    SELECT p_refs[e.i], p_client_ids[e.i], p_route_ids[e.i], p_methods[e.i], e.amt, e.s, e.at, e.net, e.den
      FROM unnest(v_ev_idx, v_ev_seq, v_ev_at, v_ev_net, v_ev_den, v_ev_amt) AS e(i, s, at, net, den, amt);
    -- Last thing before the commit: nothing applied may outlive the earliest deadline among it.
    PERFORM gate402_deadline_passed(v_guard);
    RETURN QUERY SELECT g.i::integer, v_outcomes[g.i], v_balances[g.i], v_entries[g.i], v_opts[g.i], v_primary[g.i]
                   FROM generate_series(1, v_n) AS g(i);
  END
  $$;

-- The 0011 signature keeps working (previous release during a rolling upgrade): every debit in the primary asset.
CREATE OR REPLACE FUNCTION ledger_debit_batch_period(
  p_client_ids text[], p_key_hashes text[], p_amounts bigint[], p_refs text[], p_route_ids text[],
  p_methods text[], p_deadlines timestamptz[], p_period_ms bigint
) RETURNS TABLE (idx integer, outcome text, balance_micro bigint, entry_id bigint)
  LANGUAGE sql VOLATILE
  AS $$
    SELECT r.idx, r.outcome, r.balance_micro, r.entry_id
      FROM ledger_debit_batch_assets(
             p_client_ids, p_key_hashes, p_refs, p_route_ids, p_methods, p_deadlines, p_period_ms,
             ARRAY(SELECT generate_series(1, cardinality(p_client_ids))), ARRAY(SELECT generate_series(1, cardinality(p_client_ids))),
             array_fill(NULL::text, ARRAY[cardinality(p_client_ids)]), array_fill(NULL::text, ARRAY[cardinality(p_client_ids)]),
             p_amounts) AS r
  $$;

-- Down Migration

-- Refused while any balance, entry or period of another asset exists: the previous release cannot hold it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM prepaid_balances) OR EXISTS (SELECT 1 FROM ledger_entries WHERE denom IS NOT NULL)
     OR EXISTS (SELECT 1 FROM prepaid_accounts WHERE usage_denom IS NOT NULL) THEN
    RAISE EXCEPTION 'prepaid balances in assets other than the primary exist; migrating down would lose them';
  END IF;
END
$$;
-- The 0011 functions as they were.
CREATE OR REPLACE FUNCTION usage_close(p_client text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION ledger_move(
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

CREATE OR REPLACE FUNCTION ledger_debit_batch_period(
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
DROP FUNCTION ledger_debit_batch_assets(text[], text[], text[], text[], text[], timestamptz[], bigint, integer[], integer[],
                                        text[], text[], bigint[]);
DROP FUNCTION prepaid_account_write(prepaid_accounts, timestamptz);
DROP FUNCTION ledger_move_asset(text, text, text, text, bigint, text, text, text, text, text);
DROP FUNCTION ledger_asset_hash(text, text, bigint, text, bigint, bigint, text, text, text, text, bigint, text, text, text, text,
                                timestamptz);
ALTER TABLE prepaid_accounts DROP CONSTRAINT prepaid_accounts_usage_asset;
ALTER TABLE prepaid_accounts DROP COLUMN usage_network, DROP COLUMN usage_denom;
ALTER TABLE refunds DROP COLUMN network, DROP COLUMN denom;
ALTER TABLE usage_daily DROP COLUMN network, DROP COLUMN denom;
ALTER TABLE usage_events DROP COLUMN network, DROP COLUMN denom;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_asset;
ALTER TABLE ledger_entries DROP COLUMN network, DROP COLUMN denom;
DROP TABLE prepaid_balances;
