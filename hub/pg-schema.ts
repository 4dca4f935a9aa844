// The hub's PostgreSQL schema: forward-only numbered migrations, recorded in schema_migrations and
// applied under an advisory lock, so several hub processes starting at once apply each exactly once.
// A migration is never edited after release; a change is a new, higher number.
//
// Events are partitioned by month of the hub's receipt time (received_ms, declarative range
// partitioning), so old months can be detached, archived or dropped whole. PostgreSQL requires a
// partitioned table's unique keys to include the partition key, which an event's identities (its id,
// its (device, seq)) do not; they live in event_keys, a narrow unpartitioned table that enforces
// both uniquenesses, and the bodies live in the partitioned `events`.
import type { PgDb, PgQueryable } from './pg-db.js';

const MIGRATION_LOCK = 0x65_73_69_6b; // "esik": pg_advisory_xact_lock key for migrations
/** Session advisory lock held for microseconds around handing out (or reading the horizon of) hub seqs. */
const HUB_SEQ_ALLOCATION_LOCK = 0x65_73_73_71; // "essq"

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE devices (
    id text PRIMARY KEY, name text, token_hash text NOT NULL, disabled boolean NOT NULL DEFAULT false, created_ms bigint NOT NULL);
  -- One row per device that has pushed: locked (FOR UPDATE) for the whole of an ingest, so the seq
  -- rule holds when two hub processes take pushes from the same device at once.
  CREATE TABLE device_seqs (device_id text PRIMARY KEY, top_seq bigint NOT NULL DEFAULT 0);
  -- Serialising counters: a transaction that hands out hub seqs, alarm ids or roster cursors holds
  -- the counter's row lock until it commits, so numbers become visible in the order they were given.
  CREATE TABLE hub_counters (name text PRIMARY KEY, value bigint NOT NULL);
  INSERT INTO hub_counters (name, value) VALUES ('events', 0), ('alarms', 0), ('roster', 0);
  CREATE TABLE event_keys (
    id text PRIMARY KEY, device_id text NOT NULL, seq bigint NOT NULL, hub_seq bigint NOT NULL UNIQUE,
    UNIQUE (device_id, seq));
  CREATE TABLE events (
    hub_seq bigint NOT NULL, id text NOT NULL, device_id text NOT NULL, seq bigint NOT NULL, type text NOT NULL,
    boot_id text NOT NULL, mono_ms double precision NOT NULL, time_trusted smallint NOT NULL, true_ms bigint,
    received_ms bigint NOT NULL, body text NOT NULL,
    PRIMARY KEY (hub_seq, received_ms)) PARTITION BY RANGE (received_ms);
  CREATE INDEX events_device ON events (device_id, hub_seq);
  CREATE INDEX events_unanchored ON events (device_id, boot_id) WHERE true_ms IS NULL;
  CREATE TABLE clock_anchors (
    device_id text NOT NULL, boot_id text NOT NULL, mono_ms double precision NOT NULL, wall_ms bigint NOT NULL,
    PRIMARY KEY (device_id, boot_id));
  CREATE TABLE seq_gaps (
    device_id text NOT NULL, from_seq bigint NOT NULL, to_seq bigint NOT NULL, event_id text, reason text NOT NULL,
    received_ms bigint NOT NULL, PRIMARY KEY (device_id, from_seq));
  CREATE INDEX seq_gaps_to ON seq_gaps (device_id, to_seq);
  CREATE TABLE seq_alarms (
    id bigint PRIMARY KEY, device_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL, detail text NOT NULL, at_ms bigint NOT NULL);
  CREATE INDEX seq_alarms_device ON seq_alarms (device_id, id);
  CREATE SEQUENCE roster_cursor;
  CREATE TABLE roster (
    cursor bigint PRIMARY KEY DEFAULT nextval('roster_cursor'),
    type text NOT NULL, entity_id text NOT NULL, person_id text, op text NOT NULL, data text,
    UNIQUE (type, entity_id));
  CREATE INDEX roster_person ON roster (person_id);
  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE commands (
    id text PRIMARY KEY, device_id text NOT NULL, kind text NOT NULL, args text NOT NULL, created_at text NOT NULL,
    expires_at text, expires_ms bigint, state text NOT NULL, ack text, acked_ms bigint);
  CREATE INDEX commands_pending ON commands (device_id, state);
  `,
  // 2: hub seqs no longer serialise commits (see hub/pg-events.ts). A writer takes a block from a
  // sequence and marks it in flight with a transaction advisory lock (two int4 keys: the block's
  // first seq split at bit 31), both under a short allocation lock; a reader hands out only seqs
  // below the lowest block still in flight. The 'events' counter row is no longer used.
  `
  CREATE SEQUENCE events_hub_seq;
  SELECT setval('events_hub_seq', (SELECT value FROM hub_counters WHERE name = 'events') + 1, false);
  CREATE FUNCTION hub_take_events_block(n integer) RETURNS bigint LANGUAGE plpgsql AS $$
  DECLARE first_seq bigint;
  BEGIN
    PERFORM pg_advisory_lock(${HUB_SEQ_ALLOCATION_LOCK});
    BEGIN
      first_seq := nextval('events_hub_seq');
      IF n > 1 THEN PERFORM setval('events_hub_seq', first_seq + n - 1); END IF;
      PERFORM pg_advisory_xact_lock((first_seq >> 31)::integer, (first_seq & 2147483647)::integer);
    EXCEPTION WHEN OTHERS THEN
      PERFORM pg_advisory_unlock(${HUB_SEQ_ALLOCATION_LOCK});
      RAISE;
    END;
    PERFORM pg_advisory_unlock(${HUB_SEQ_ALLOCATION_LOCK});
    RETURN first_seq;
  END $$;
  CREATE FUNCTION hub_events_visible_below() RETURNS bigint LANGUAGE plpgsql AS $$
  DECLARE lowest bigint; top bigint;
  BEGIN
    PERFORM pg_advisory_lock(${HUB_SEQ_ALLOCATION_LOCK});
    BEGIN
      SELECT min((l.classid::bigint << 31) | l.objid::bigint) INTO lowest FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());
      SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO top FROM events_hub_seq;
    EXCEPTION WHEN OTHERS THEN
      PERFORM pg_advisory_unlock(${HUB_SEQ_ALLOCATION_LOCK});
      RAISE;
    END;
    PERFORM pg_advisory_unlock(${HUB_SEQ_ALLOCATION_LOCK});
    RETURN coalesce(lowest, top + 1);
  END $$;
  `,
  // 3: the school console (hub/console): accounts, server-side sessions, the console's own settings
  // (the session-signing secret, shared by every hub process), and the audit log, which refuses
  // UPDATE, DELETE and TRUNCATE by trigger: audit records are evidence and cannot be edited.
  `
  CREATE TABLE console_accounts (
    id text PRIMARY KEY, username text NOT NULL UNIQUE, display_name text NOT NULL, role text NOT NULL, class_name text,
    password_hash text NOT NULL, failed_attempts integer NOT NULL DEFAULT 0, locked_at_ms bigint, created_ms bigint NOT NULL);
  CREATE TABLE console_sessions (id text PRIMARY KEY, account_id text, data text NOT NULL, expires_ms bigint NOT NULL);
  CREATE INDEX console_sessions_account ON console_sessions (account_id);
  CREATE TABLE console_meta (key text PRIMARY KEY, value text NOT NULL);
  CREATE TABLE console_audit (
    id bigserial PRIMARY KEY, at_ms bigint NOT NULL, account_id text, username text NOT NULL, action text NOT NULL,
    address text NOT NULL, subject text, detail text NOT NULL);
  CREATE INDEX console_audit_account ON console_audit (account_id, at_ms);
  CREATE FUNCTION console_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'console_audit is append-only'; END $$;
  CREATE TRIGGER console_audit_no_change BEFORE UPDATE OR DELETE ON console_audit
    FOR EACH ROW EXECUTE FUNCTION console_audit_append_only();
  CREATE TRIGGER console_audit_no_truncate BEFORE TRUNCATE ON console_audit
    FOR EACH STATEMENT EXECUTE FUNCTION console_audit_append_only();
  `,
  // 4: the parents' notifier (hub/notify): guardians, one-time codes (hashed), its cursor over hub
  // seqs, and the outbox, one row per (event, guardian, channel), claimed with FOR UPDATE SKIP LOCKED.
  `
  CREATE TABLE notify_guardians (
    id text PRIMARY KEY, person_id text NOT NULL, language text NOT NULL, telegram_chat text,
    webhook_url text, webhook_secret text, created_ms bigint NOT NULL, unlinked_ms bigint);
  CREATE INDEX notify_guardians_person ON notify_guardians (person_id);
  CREATE INDEX notify_guardians_chat ON notify_guardians (telegram_chat);
  CREATE TABLE notify_codes (hash text PRIMARY KEY, guardian_id text NOT NULL, expires_ms bigint NOT NULL, used_ms bigint);
  CREATE TABLE notify_cursor (name text PRIMARY KEY, hub_seq bigint NOT NULL);
  INSERT INTO notify_cursor (name, hub_seq) VALUES ('events', 0);
  CREATE TABLE notify_outbox (
    key text PRIMARY KEY, event_id text NOT NULL, guardian_id text NOT NULL, channel text NOT NULL, payload text NOT NULL,
    state text NOT NULL, attempts integer NOT NULL DEFAULT 0, due_ms bigint NOT NULL, lease_ms bigint,
    last_error text, created_ms bigint NOT NULL, sent_ms bigint);
  CREATE INDEX notify_outbox_due ON notify_outbox (state, due_ms);
  `,
  // 5: the canteen ledger (hub/canteen): accounts carry only posted totals, written in the same
  // transaction as the transfer that explains them; transfers are unique by their client-chosen id
  // and append-only by trigger (a correction is a new transfer).
  `
  CREATE TABLE ledger_accounts (
    id text PRIMARY KEY, kind text NOT NULL, person_id text, floor_tiyn bigint,
    debits_posted bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    created_ms bigint NOT NULL);
  CREATE TABLE ledger_transfers (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE,
    debit_account_id text NOT NULL REFERENCES ledger_accounts (id), credit_account_id text NOT NULL REFERENCES ledger_accounts (id),
    amount_tiyn bigint NOT NULL CHECK (amount_tiyn > 0), kind text NOT NULL, offline_charge smallint NOT NULL,
    reference text, note text, created_ms bigint NOT NULL, debit_balance_after bigint NOT NULL, credit_balance_after bigint NOT NULL,
    CHECK (debit_account_id <> credit_account_id));
  CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, seq);
  CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, seq);
  CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the canteen ledger is append-only: a correction is a new transfer'; END $$;
  CREATE TRIGGER ledger_transfers_no_change BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
  CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
  CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
  `,
  // 6: data-subject requests (hub/privacy): the register with deadlines and outcomes, and each
  // device's last acknowledged roster cursor (the since= of its pulls).
  `
  CREATE TABLE privacy_requests (
    id text PRIMARY KEY, kind text NOT NULL, person_id text NOT NULL, requester text NOT NULL, channel text NOT NULL,
    received_on text NOT NULL, note text NOT NULL, deadline text NOT NULL, status text NOT NULL, created_ms bigint NOT NULL,
    target_cursor bigint, executed_ms bigint, closed_ms bigint, record text);
  CREATE INDEX privacy_requests_status ON privacy_requests (status, deadline);
  CREATE TABLE device_roster_acks (device_id text PRIMARY KEY, cursor bigint NOT NULL, at_ms bigint NOT NULL);
  `,
  // 7: the notifier's record of each child's first arrival of a school day (local date), for late
  // notices and the mid-morning absent check.
  `
  CREATE TABLE notify_presence (person_id text NOT NULL, day text NOT NULL, first_in_ms bigint NOT NULL, PRIMARY KEY (person_id, day));
  `,
  // 8: the school library (hub/library): titles and copies (each copy its own barcode), loans folded
  // from the desks' library.* events by event id, the flags the fold raises (a double loan is one
  // row per pair), and the fold's cursor over hub seqs.
  `
  CREATE TABLE library_titles (
    id text PRIMARY KEY, isbn13 text, title text NOT NULL, author text, year integer, updated_ms bigint NOT NULL);
  CREATE INDEX library_titles_isbn ON library_titles (isbn13);
  CREATE TABLE library_copies (
    barcode text PRIMARY KEY, title_id text NOT NULL REFERENCES library_titles (id),
    reading_room_only smallint NOT NULL CHECK (reading_room_only IN (0, 1)),
    status text NOT NULL CHECK (status IN ('available', 'withdrawn', 'lost')), updated_ms bigint NOT NULL);
  CREATE INDEX library_copies_title ON library_copies (title_id);
  CREATE TABLE library_loans (
    event_id text PRIMARY KEY, copy_id text NOT NULL, borrower_id text, device_id text NOT NULL, hub_seq bigint NOT NULL,
    loaned_ms bigint NOT NULL, due_date text, renewals integer NOT NULL DEFAULT 0, returned_ms bigint, return_event_id text,
    conflict smallint NOT NULL DEFAULT 0);
  CREATE INDEX library_loans_copy ON library_loans (copy_id, loaned_ms);
  CREATE INDEX library_loans_open ON library_loans (borrower_id) WHERE returned_ms IS NULL;
  CREATE TABLE library_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, copy_id text NOT NULL, event_id text NOT NULL,
    other_event_id text NOT NULL, detail text NOT NULL, created_ms bigint NOT NULL,
    UNIQUE (kind, event_id, other_event_id));
  CREATE TABLE library_cursor (name text PRIMARY KEY, hub_seq bigint NOT NULL);
  INSERT INTO library_cursor (name, hub_seq) VALUES ('loans', 0);
  `,
  // 9: the console's attendance reads one day of grants by true time (hub/console/pg-store.ts
  // firstArrivals); on the partitioned events table this makes the index on every partition.
  `
  CREATE INDEX events_granted_true ON events (true_ms) WHERE type = 'access.granted';
  `,
  // 10: the parents' page and quiet hours (hub/notify): each guardian's quiet window (local HH:MM),
  // the page's expiring links (only a hash of the link's token is kept), and a child's consents
  // withdrawn from the page that the roster has no flag for (notices).
  `
  ALTER TABLE notify_guardians ADD COLUMN quiet_start text, ADD COLUMN quiet_end text;
  CREATE TABLE notify_page_links (
    hash text PRIMARY KEY, guardian_ids text NOT NULL, form_token text NOT NULL, expires_ms bigint NOT NULL, created_ms bigint NOT NULL);
  CREATE TABLE notify_withdrawals (
    person_id text NOT NULL, purpose text NOT NULL, guardian_id text NOT NULL, withdrawn_ms bigint NOT NULL, PRIMARY KEY (person_id, purpose));
  `,
  // 11: the console's people (hub/console/people-store.ts): what the hub keeps beside the roster and
  // never sends a kiosk: a person's ИИН, name parts and birth date, guardians' phones and their links
  // to children.
  `
  CREATE TABLE console_people (
    person_id text PRIMARY KEY, iin text NOT NULL UNIQUE, surname text NOT NULL, given_name text NOT NULL, patronymic text,
    birth_date text NOT NULL, updated_ms bigint NOT NULL);
  CREATE TABLE console_guardians (id text PRIMARY KEY, phone text NOT NULL UNIQUE, name text NOT NULL, updated_ms bigint NOT NULL);
  CREATE TABLE console_guardian_links (child_id text NOT NULL, guardian_id text NOT NULL, PRIMARY KEY (child_id, guardian_id));
  CREATE INDEX console_guardian_links_guardian ON console_guardian_links (guardian_id);
  `,
  // 12: the canteen's served meals (hub/canteen/meal-store.ts), folded from the tills' canteen.meal
  // events by event id, the flags the fold raises (a double free meal is one row per pair), and the
  // fold's cursor over hub seqs.
  `
  CREATE TABLE canteen_meals (
    event_id text PRIMARY KEY, device_id text NOT NULL, hub_seq bigint NOT NULL, person_id text NOT NULL, day text NOT NULL,
    period_id text NOT NULL, free smallint NOT NULL, free_category text, charge_tiyn bigint NOT NULL, subsidy_tiyn bigint NOT NULL,
    served_ms bigint NOT NULL, conflict smallint NOT NULL DEFAULT 0);
  CREATE INDEX canteen_meals_person_day ON canteen_meals (person_id, day, period_id);
  CREATE TABLE canteen_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, event_id text NOT NULL, other_event_id text NOT NULL,
    detail text NOT NULL, created_ms bigint NOT NULL, UNIQUE (kind, event_id, other_event_id));
  CREATE TABLE canteen_cursor (name text PRIMARY KEY, hub_seq bigint NOT NULL);
  INSERT INTO canteen_cursor (name, hub_seq) VALUES ('meals', 0);
  `,
  // 13: the canteen's settings for the tills' snapshot (hub/canteen/settings-store.ts): the menu
  // document (periods, menu with prices in tiyn, the staff-meal rule), the free-meal register, and
  // guardians' settings per child; one day's meals by day.
  `
  CREATE TABLE canteen_settings (name text PRIMARY KEY, body text NOT NULL, updated_ms bigint NOT NULL);
  CREATE TABLE canteen_free_meals (
    person_id text NOT NULL, category text NOT NULL, valid_from text, valid_to text, periods text NOT NULL,
    updated_ms bigint NOT NULL, PRIMARY KEY (person_id, category));
  CREATE TABLE canteen_guardian_settings (
    person_id text PRIMARY KEY, daily_limit_tiyn bigint, blocked_allergens text NOT NULL, updated_ms bigint NOT NULL);
  -- The snapshot reads one day's meals of every child.
  CREATE INDEX canteen_meals_day ON canteen_meals (day);
  `,
  // 14: the console's consent records (hub/console/consent-store.ts, Law 94-V Art. 8): append-only,
  // one row per grant or withdrawal by a child's legal representative, with its channel, purposes and
  // term, and the roster cursor of the flag change it caused (each device's purge acknowledgement).
  `
  CREATE TABLE console_consents (
    id text PRIMARY KEY, child_id text NOT NULL, guardian_id text, guardian_name text NOT NULL, action text NOT NULL,
    purposes text NOT NULL, channel text NOT NULL, given_on text NOT NULL, until_on text, recorded_ms bigint NOT NULL,
    recorded_by text NOT NULL, roster_cursor bigint, note text NOT NULL);
  CREATE INDEX console_consents_child ON console_consents (child_id, id);
  `,
  // 15: a librarian's "resolved" on a library flag (hub/library/library-core.ts resolveFlag, the
  // console's flags page): one row per flag, beside it, so the fold's table is never updated.
  `
  CREATE TABLE library_flag_resolutions (
    flag_id bigint PRIMARY KEY REFERENCES library_flags (id), resolved_ms bigint NOT NULL, resolved_by text NOT NULL);
  `,
  // 16: the canteen manager's "resolved" on a meal flag (hub/canteen/meal-store.ts resolveFlag, the
  // console's canteen page): one row per flag, beside it, like the library's.
  `
  CREATE TABLE canteen_flag_resolutions (
    flag_id bigint PRIMARY KEY REFERENCES canteen_flags (id), resolved_ms bigint NOT NULL, resolved_by text NOT NULL, note text NOT NULL);
  `,
];

/** Applies the migrations this database has not seen, in order, in one transaction. */
export async function migrate(db: PgDb): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_ms bigint NOT NULL)');
    const rows = await tx.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) throw new Error(`the hub database is at schema ${current}, newer than this hub (${MIGRATIONS.length}): upgrade the hub`);
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await tx.query(MIGRATIONS[version - 1] ?? '');
      await tx.query('INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)', [version, Date.now()]);
    }
  });
}

/** [start, end) of the UTC month holding `ms`, and the partition's name. */
export function monthOf(ms: number): { name: string; from: number; to: number } {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return { name: `events_${year}_${String(month + 1).padStart(2, '0')}`, from: Date.UTC(year, month, 1), to: Date.UTC(year, month + 1, 1) };
}

/**
 * Creates the month's partition if it is missing. Two processes may race to create it: the loser's
 * duplicate error is harmless, and the partition exists either way.
 */
export async function ensureMonthPartition(db: PgQueryable, ms: number): Promise<string> {
  const month = monthOf(ms);
  try {
    await db.query(`CREATE TABLE IF NOT EXISTS ${month.name} PARTITION OF events FOR VALUES FROM (${month.from}) TO (${month.to})`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '42P07' && code !== '23505') throw error;
  }
  return month.name;
}
