-- Up Migration

-- Group commit and deadlines for the money path. Only functions are added: every table, row, balance
-- and ledger chain written by the previous release is used as it is.

-- Raised by the money functions when the caller's deadline has passed: the statement (and with it
-- everything it wrote) is rolled back. SQLSTATE 57014 (query_canceled) is what the store already
-- treats as "the database did not answer in time" (503, never 402).
CREATE FUNCTION gate402_deadline_passed(deadline timestamptz) RETURNS void
  LANGUAGE plpgsql VOLATILE
  AS $$
  BEGIN
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'gate402: deadline % passed before the write', deadline USING ERRCODE = 'query_canceled';
    END IF;
  END
  $$;

-- A batch of prepaid debits in one statement, hence one transaction and one commit. Accounts are
-- locked in client_id order (the same order in every replica, so concurrent batches never deadlock);
-- each account's debits are applied in arrival order (array index), each only while the running
-- balance covers it, and chained onto the account's ledger exactly as the single-debit statement
-- does (same ledger_entry_hash, created_at truncated to ms). A debit whose deadline has passed when
-- its turn comes is 'expired' and writes nothing; if any applied debit's deadline has passed by the
-- end, the whole batch raises 57014 and rolls back, so a batch reaching Postgres late changes nothing.
-- Per account the batch is the unit a rollup entry can later replace (issue #15).
-- Returns one row per input debit: idx (1-based array index), outcome (applied | insufficient |
-- bad_credentials | suspended | expired), balance after (uneutaro) and the ledger entry id when applied.
CREATE FUNCTION ledger_debit_batch(
  p_client_ids text[], p_key_hashes text[], p_amounts bigint[], p_refs text[], p_route_ids text[],
  p_methods text[], p_deadlines timestamptz[]
) RETURNS TABLE (idx integer, outcome text, balance_micro bigint, entry_id bigint)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_now        timestamptz := date_trunc('milliseconds', now());
    v_client     text;
    v_found      boolean;
    v_key        text;
    v_status     text;
    v_balance    bigint;
    v_seq        bigint;
    v_head       text;
    v_prev_head  text;
    v_changed    boolean := false;
    v_hash       text;
    v_id         bigint;
    v_guard      timestamptz := 'infinity';
    v_item       record;
  BEGIN
    -- One pass over the debits sorted by (account, arrival): each account is locked when its first
    -- debit comes up and written back once after its last.
    FOR v_item IN SELECT u.c AS client_id, u.ord::integer AS i FROM unnest(p_client_ids) WITH ORDINALITY AS u(c, ord)
                   ORDER BY u.c, u.ord LOOP
      IF v_client IS DISTINCT FROM v_item.client_id THEN
        IF v_changed THEN
          UPDATE prepaid_accounts a
             SET balance_micro = v_balance, ledger_seq = v_seq, ledger_prev_head = v_prev_head,
                 ledger_head = v_head, updated_at = v_now
           WHERE a.client_id = v_client;
        END IF;
        v_client := v_item.client_id;
        v_changed := false;
        SELECT a.key_hash, a.status, a.balance_micro, a.ledger_seq, a.ledger_head
          INTO v_key, v_status, v_balance, v_seq, v_head
          FROM prepaid_accounts a WHERE a.client_id = v_client FOR UPDATE;
        v_found := FOUND;
      END IF;
      idx := v_item.i;
      entry_id := NULL;
      balance_micro := NULL;
      IF clock_timestamp() > p_deadlines[idx] THEN
        outcome := 'expired';
      ELSIF NOT v_found OR v_key IS DISTINCT FROM p_key_hashes[idx] THEN
        outcome := 'bad_credentials';
      ELSIF v_status <> 'active' THEN
        outcome := 'suspended';
      ELSIF v_balance < p_amounts[idx] THEN
        outcome := 'insufficient';
        balance_micro := v_balance;
      ELSE
        v_seq := v_seq + 1;
        v_balance := v_balance - p_amounts[idx];
        v_hash := ledger_entry_hash(v_head, v_client, v_seq, 'debit', -p_amounts[idx], v_balance,
                                    p_refs[idx], p_route_ids[idx], p_methods[idx], NULL, v_now);
        INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id,
                                    method, tx_hash, created_at, prev_hash, hash)
        VALUES (v_client, v_seq, 'debit', -p_amounts[idx], v_balance, p_refs[idx], p_route_ids[idx], p_methods[idx],
                NULL, v_now, v_head, v_hash)
        RETURNING id INTO v_id;
        v_prev_head := v_head;
        v_head := v_hash;
        v_changed := true;
        v_guard := LEAST(v_guard, p_deadlines[idx]);
        outcome := 'applied';
        balance_micro := v_balance;
        entry_id := v_id;
      END IF;
      RETURN NEXT;
    END LOOP;
    IF v_changed THEN
      UPDATE prepaid_accounts a
         SET balance_micro = v_balance, ledger_seq = v_seq, ledger_prev_head = v_prev_head,
             ledger_head = v_head, updated_at = v_now
       WHERE a.client_id = v_client;
    END IF;
    -- Last thing before the commit: nothing applied may outlive the earliest deadline among it.
    PERFORM gate402_deadline_passed(v_guard);
  END
  $$;

-- One use of a paid invoice in one statement (the claim of the tx hash in spent_txs, the redemption
-- or the conditional take of one more use), with the deadline checked first and last. Same outcomes
-- and the same waits on unique keys as the transaction it replaces; a refusal removes the claim it
-- made. Returns one row: outcome (applied | used_up | tx_mismatch | tx_is_deposit), uses left when applied.
CREATE FUNCTION redeem_invoice(
  p_invoice_id text, p_tx_hash text, p_route_id text, p_method text, p_price_micro bigint,
  p_paid_micro bigint, p_payer text, p_uses integer, p_deadline timestamptz, p_decision_id text
) RETURNS TABLE (outcome text, uses_left integer)
  LANGUAGE plpgsql VOLATILE
  AS $$
  DECLARE
    v_claimed boolean;
    v_purpose text;
    v_invoice text;
    v_left    integer;
    v_tx      text;
  BEGIN
    PERFORM gate402_deadline_passed(p_deadline);
    INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES (p_tx_hash, 'invoice', p_invoice_id)
      ON CONFLICT (tx_hash) DO NOTHING;
    v_claimed := FOUND;
    IF NOT v_claimed THEN
      SELECT s.purpose, s.invoice_id INTO v_purpose, v_invoice FROM spent_txs s WHERE s.tx_hash = p_tx_hash;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'spent_txs claim for % vanished', p_tx_hash;
      END IF;
      IF v_purpose = 'deposit' THEN
        outcome := 'tx_is_deposit'; RETURN NEXT; RETURN;
      END IF;
      IF v_invoice IS DISTINCT FROM p_invoice_id THEN
        outcome := 'tx_mismatch'; RETURN NEXT; RETURN;
      END IF;
    END IF;
    INSERT INTO redemptions AS r (invoice_id, tx_hash, route_id, method, price_micro, paid_micro, payer, uses, uses_left)
    VALUES (p_invoice_id, p_tx_hash, p_route_id, p_method, p_price_micro, p_paid_micro, p_payer, p_uses, p_uses - 1)
    ON CONFLICT DO NOTHING
    RETURNING r.uses_left INTO v_left;
    IF v_left IS NULL THEN
      UPDATE redemptions r SET uses_left = r.uses_left - 1, updated_at = now()
       WHERE r.invoice_id = p_invoice_id AND r.tx_hash = p_tx_hash AND r.uses_left > 0
      RETURNING r.uses_left INTO v_left;
    END IF;
    IF v_left IS NULL THEN
      SELECT r.tx_hash INTO v_tx FROM redemptions r WHERE r.invoice_id = p_invoice_id;
      IF v_claimed THEN
        DELETE FROM spent_txs s WHERE s.tx_hash = p_tx_hash;
      END IF;
      outcome := CASE WHEN v_tx IS NOT NULL AND v_tx <> p_tx_hash THEN 'tx_mismatch' ELSE 'used_up' END;
      RETURN NEXT; RETURN;
    END IF;
    -- The decision that spent the use, so an upstream failure can give it back (migration 0006).
    IF p_decision_id IS NOT NULL THEN
      INSERT INTO redemption_uses (decision_id, invoice_id) VALUES (p_decision_id, p_invoice_id)
        ON CONFLICT (decision_id) DO NOTHING;
    END IF;
    PERFORM gate402_deadline_passed(p_deadline);
    outcome := 'applied';
    uses_left := v_left;
    RETURN NEXT;
  END
  $$;

-- Down Migration

DROP FUNCTION redeem_invoice(text, text, text, text, bigint, bigint, text, integer, timestamptz, text);
DROP FUNCTION ledger_debit_batch(text[], text[], bigint[], text[], text[], text[], timestamptz[]);
DROP FUNCTION gate402_deadline_passed(timestamptz);
