-- bench/pg/schema.sql: the PostgreSQL peer of bench_ledger, in the common design of a
-- ledger on a relational database: an accounts table holding the balances, a
-- transfers table, and one plpgsql function per transfer that locks both accounts
-- FOR UPDATE in id order (so concurrent transfers cannot deadlock), checks the debit
-- account's limit, inserts the transfer and updates both balances, all in the
-- caller's transaction. Run by bench/pg/run-pg with psql -v accounts=N; it drops and
-- recreates everything, so it also resets the database between workloads.
--
-- Ids mirror bench_ledger: the funding account is 1, user account i (0-based) is
-- 1000 + i, transfers take ids from a sequence. Every user account is funded with one
-- credit of 10^12 cents from the funding account, which has no limit (flags 0); user
-- accounts have flag 2 (debits must not exceed credits), as in the ledger.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DROP FUNCTION IF EXISTS create_transfer(bigint, bigint, bigint, bigint);
DROP TABLE IF EXISTS transfers;
DROP TABLE IF EXISTS accounts;
DROP SEQUENCE IF EXISTS transfer_ids;

CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    debits_posted bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0,
    flags int NOT NULL DEFAULT 0
);

CREATE TABLE transfers (
    id bigint PRIMARY KEY,
    debit_account_id bigint NOT NULL,
    credit_account_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    ts timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE transfer_ids;

-- Result codes are bench_ledger's (enum ledger_transfer_result): 0 ok,
-- 17 exists, 24 accounts_must_be_different, 31 amount_must_not_be_zero,
-- 34/35 debit/credit_account_not_found, 58 exceeds_credits.
CREATE FUNCTION create_transfer(p_id bigint, p_debit bigint, p_credit bigint, p_amount bigint)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    debit accounts%ROWTYPE;
    credit accounts%ROWTYPE;
BEGIN
    IF p_debit = p_credit THEN
        RETURN 24;
    END IF;
    IF p_amount <= 0 THEN
        RETURN 31;
    END IF;
    -- Lock both rows in id order: two transfers between the same pair of accounts in
    -- opposite directions then queue instead of deadlocking.
    IF p_debit < p_credit THEN
        SELECT * INTO debit FROM accounts WHERE id = p_debit FOR UPDATE;
        SELECT * INTO credit FROM accounts WHERE id = p_credit FOR UPDATE;
    ELSE
        SELECT * INTO credit FROM accounts WHERE id = p_credit FOR UPDATE;
        SELECT * INTO debit FROM accounts WHERE id = p_debit FOR UPDATE;
    END IF;
    IF debit.id IS NULL THEN
        RETURN 34;
    END IF;
    IF credit.id IS NULL THEN
        RETURN 35;
    END IF;
    IF debit.flags & 2 <> 0 AND debit.debits_posted + p_amount > debit.credits_posted THEN
        RETURN 58;
    END IF;
    INSERT INTO transfers (id, debit_account_id, credit_account_id, amount)
        VALUES (p_id, p_debit, p_credit, p_amount)
        ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 17;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + p_amount WHERE id = p_debit;
    UPDATE accounts SET credits_posted = credits_posted + p_amount WHERE id = p_credit;
    RETURN 0;
END;
$$;

-- Seed: the accounts, then one funding transfer per user account and the balances
-- that follow from it (set-based: the seed is not what is measured).
INSERT INTO accounts (id, flags) VALUES (1, 0);
INSERT INTO accounts (id, flags)
    SELECT 1000 + i, 2 FROM generate_series(0, :accounts - 1) AS i;
INSERT INTO transfers (id, debit_account_id, credit_account_id, amount)
    SELECT nextval('transfer_ids'), 1, 1000 + i, 1000000000000
    FROM generate_series(0, :accounts - 1) AS i;
UPDATE accounts SET credits_posted = 1000000000000 WHERE id >= 1000;
UPDATE accounts SET debits_posted = 1000000000000 * :accounts WHERE id = 1;
VACUUM ANALYZE accounts;
VACUUM ANALYZE transfers;
CHECKPOINT;
