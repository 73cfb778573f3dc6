-- Issue 28, retention by time partitions (docs/data-lifecycle.md, "Retention"). The two bulk log tables,
-- agent_decisions and viral_events (a row per decision and per event, with the personal payloads), become
-- declaratively partitioned, one partition per UTC day, so that a day past retention.days goes with a DROP TABLE
-- (instant, no bloat) instead of a DELETE of millions of rows.
--
-- The partition key is the row's UUIDv7 (store.Ids: a 48-bit millisecond prefix, then random bits): a day's bounds
-- are the UUIDs made of its first millisecond and zeros. Keyed on the id itself, the id's unique index stays global
-- (a unique index of a partitioned table must contain the key), and every look-up by id (explain_decision,
-- record_outcome, the spool's idempotent replay) reads one partition. An id that is not a UUIDv7 of a day with a
-- partition (tests' random v4 ids, a row replayed after its day was dropped) lands in the DEFAULT partition, which
-- retention never drops.
--
-- loop_exposures and loop_outcomes stay unpartitioned: every decision reads them by learner (the selection history,
-- dismissals, the trust_safety agent's invite and ring checks), and a read by learner names no time key that would
-- prune day partitions. Measured (bench/RESULTS.md, "Why exposures and outcomes are not partitioned"): with 400 day
-- partitions a learner's history read took 5.1 ms against 0.13 ms unpartitioned, and 0.45 ms even bounded by key to
-- its 9-day window. They are aged by a ranged DELETE on their decision_id index, with their decisions' day.
--
-- What a partitioned table cannot have is a global unique index on another column. request_id's (idempotency: one
-- decision per request_id) moves to request_claims below. The bigserial ids lose their primary keys (the columns
-- stay: report_inbox points at them, with the partition key beside them now).

-- The first UUID of a millisecond.
CREATE FUNCTION log_uuid_at(t timestamptz) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
$$;

-- The UTC day a UUIDv7 was made on; null for another version.
CREATE FUNCTION log_uuid_day(id uuid) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN substr(id::text, 15, 1) = '7' THEN (to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))
    ::bit(48)::bigint / 1000.0) AT TIME ZONE 'UTC')::date END
$$;

-- The partitioned tables and their keys.
CREATE FUNCTION log_partition_key(parent text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE parent WHEN 'viral_events' THEN 'event_id' ELSE 'decision_id' END
$$;
CREATE FUNCTION log_tables() RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
  SELECT unnest(ARRAY['agent_decisions', 'viral_events'])
$$;

-- Creates parent's partition of one UTC day unless it exists; returns whether it did. Rows of that day that landed in
-- the DEFAULT partition meanwhile (the job did not run, or a spool replayed a day it had not created) move into it:
-- PostgreSQL refuses a partition whose rows sit in the default. They are inserted into the partition itself, so the
-- parent's statement triggers (report_inbox) do not note them a second time.
CREATE FUNCTION log_partition_create(parent text, day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  name text := parent || '_p' || to_char(day, 'YYYYMMDD');
  key text := log_partition_key(parent);
  lo uuid := log_uuid_at(day::timestamp AT TIME ZONE 'UTC');
  hi uuid := log_uuid_at((day + 1)::timestamp AT TIME ZONE 'UTC');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TEMP TABLE log_strays ON COMMIT DROP AS SELECT * FROM %I WITH NO DATA', parent || '_default');
  EXECUTE format('WITH gone AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO log_strays'
    || ' SELECT * FROM gone', parent || '_default', key, key) USING lo, hi;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', name, parent, lo, hi);
  EXECUTE format('INSERT INTO %I SELECT * FROM log_strays', name);
  DROP TABLE log_strays;
  RETURN true;
END $$;

-- Every day partition: its table, its day, and its name.
CREATE FUNCTION log_partitions() RETURNS TABLE (parent text, day date, name text) LANGUAGE sql STABLE AS $$
  SELECT p.relname::text, to_date(right(c.relname, 8), 'YYYYMMDD'), c.relname::text
  FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
  WHERE p.relname IN (SELECT log_tables()) AND c.relname ~ '_p[0-9]{8}$'
$$;

-- request_id's uniqueness, global, for agent_decisions: a row with a request_id goes in only with its claim. row_key
-- is the claiming row's decision_id, so that a claim goes with its row's partition. viral_events needs none: an event
-- is only ever written beside its decision, with the request_id that decision claimed (store.DecisionStore).
-- loop_outcomes, unpartitioned, keeps its unique index.
CREATE TABLE request_claims (
  request_id text PRIMARY KEY,
  row_key    uuid NOT NULL
);
-- Retention deletes the claims of a dropped day by row_key range. Claims arrive in id order, so a BRIN index (a few
-- pages, almost free to maintain) finds them.
CREATE INDEX request_claims_row_key_brin ON request_claims USING brin (row_key);

-- BEFORE INSERT of a row with a request_id: claims it. Taken by another row, the row is skipped (returns null), which is
-- what ON CONFLICT DO NOTHING did with the unique index: the row is not inserted and not RETURNed, and a claim still in
-- flight in another transaction is waited for. A decision may insert over its own claim (the fallback's upsert over the
-- orchestrator's row, a spool replay of a row already there): its ON CONFLICT (decision_id) then decides.
-- A statement that must not lose its rows (the spool's replay, the fallbacks' upsert: answers already given) sets
-- viral.request_id_taken to 'keep_row' for its transaction: such a row, whose request_id another decision took in
-- flight after the statement checked it, goes in without it, named in features_used, as the statement itself does
-- with a request_id it finds taken (with the unique index, that race failed the batch, which was then retried).
CREATE FUNCTION log_claim_request() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  holder uuid;
BEGIN
  IF NEW.request_id IS NULL THEN
    RETURN NEW;
  END IF;
  INSERT INTO request_claims (request_id, row_key) VALUES (NEW.request_id, NEW.decision_id) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    RETURN NEW;
  END IF;
  SELECT row_key INTO holder FROM request_claims WHERE request_id = NEW.request_id;
  IF holder = NEW.decision_id THEN
    RETURN NEW;
  END IF;
  IF current_setting('viral.request_id_taken', true) = 'keep_row' THEN
    NEW.features_used := coalesce(NEW.features_used, '{}') || jsonb_build_object('request_id', NEW.request_id,
      'request_id_held_by_earlier_decision', true);
    NEW.request_id := NULL;
    RETURN NEW;
  END IF;
  RETURN NULL;
END $$;

-- A claim lives as long as its row: TRUNCATE of the table (tests, an operator) releases its claims.
CREATE FUNCTION log_release_claims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE request_claims;
  RETURN NULL;
END $$;

-- Fold what the inbox holds now, so that it can point at the new tables' rows from here on.
DO $$ BEGIN WHILE report_refresh(100000) > 0 LOOP END LOOP; END $$;

ALTER TABLE agent_decisions RENAME TO agent_decisions_v13;
ALTER TABLE viral_events RENAME TO viral_events_v13;
DROP TRIGGER agent_decisions_report ON agent_decisions_v13;
-- Their indexes (and key constraints) free their names for the new tables'.
DO $$
DECLARE
  i record;
BEGIN
  FOR i IN SELECT indexrelid::regclass::text AS name FROM pg_index
           WHERE indrelid IN ('agent_decisions_v13'::regclass, 'viral_events_v13'::regclass) LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', i.name, i.name || '_v13');
  END LOOP;
END $$;

CREATE TABLE agent_decisions (
  id            bigint NOT NULL DEFAULT nextval('agent_decisions_id_seq'),
  decision_id   uuid NOT NULL,
  request_id    text,
  agent_id      text NOT NULL,
  method        text NOT NULL,
  input_params  jsonb NOT NULL,
  output_result jsonb,
  rationale     text,
  features_used jsonb,
  loop_id       bigint REFERENCES viral_loops (id),
  event_id      uuid,
  latency_ms    double precision NOT NULL,
  success       boolean NOT NULL,
  error_code    integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  user_id       text,
  event_type    text,
  outcome       text,
  variant       text,
  PRIMARY KEY (decision_id)
) PARTITION BY RANGE (decision_id);
-- The same indexes as V10 left, less request_id's (request_claims) and id's (no query reads a decision by id but the
-- report fold, which now has the decision_id).
CREATE INDEX agent_decisions_created_at_idx ON agent_decisions (created_at);
CREATE INDEX agent_decisions_loop_id_idx ON agent_decisions (loop_id) WHERE loop_id IS NOT NULL;
CREATE INDEX agent_decisions_user_id_idx ON agent_decisions (user_id);

CREATE TABLE viral_events (
  id          bigint NOT NULL DEFAULT nextval('viral_events_id_seq'),
  event_id    uuid NOT NULL,
  request_id  text,
  event_type  text NOT NULL,
  user_id     text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  context     jsonb NOT NULL DEFAULT '{}',
  processed   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (event_id)
) PARTITION BY RANGE (event_id);
CREATE INDEX viral_events_user_occurred_idx ON viral_events (user_id, occurred_at);

CREATE TABLE agent_decisions_default PARTITION OF agent_decisions DEFAULT;
CREATE TABLE viral_events_default PARTITION OF viral_events DEFAULT;

CREATE TRIGGER agent_decisions_claim BEFORE INSERT ON agent_decisions
  FOR EACH ROW EXECUTE FUNCTION log_claim_request();
CREATE TRIGGER agent_decisions_release AFTER TRUNCATE ON agent_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION log_release_claims();

-- The existing rows: a partition for every day a UUIDv7 of theirs was made on (up to a week ahead: a clock far off
-- must not make thousands), the rest into the defaults. The copies go through the parents, so the claims are made.
SELECT log_partition_create(t, d.day)
FROM log_tables() t, (SELECT log_uuid_day(decision_id) AS day FROM agent_decisions_v13
  UNION SELECT log_uuid_day(event_id) FROM viral_events_v13) d
WHERE d.day BETWEEN date '2020-01-01' AND (now() AT TIME ZONE 'UTC')::date + 7;
INSERT INTO agent_decisions SELECT id, decision_id, request_id, agent_id, method, input_params, output_result, rationale,
  features_used, loop_id, event_id, latency_ms, success, error_code, created_at, user_id, event_type, outcome, variant
  FROM agent_decisions_v13 ORDER BY id;
INSERT INTO viral_events SELECT id, event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed
  FROM viral_events_v13;

ALTER SEQUENCE agent_decisions_id_seq OWNED BY agent_decisions.id;
ALTER SEQUENCE viral_events_id_seq OWNED BY viral_events.id;
DROP TABLE agent_decisions_v13, viral_events_v13;
-- The partitions of today and the week ahead, so that the service's first decisions have theirs before the job runs.
SELECT log_partition_create(t, (now() AT TIME ZONE 'UTC')::date + n) FROM log_tables() t, generate_series(0, 7) n;

-- The report inbox names a row by its partition key too: the fold finds it in one partition.
ALTER TABLE report_inbox ADD COLUMN decision_id uuid;

CREATE OR REPLACE FUNCTION report_note_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_inbox (decision_row, decision_id)
  SELECT id, decision_id FROM report_new_rows
  WHERE loop_id IS NOT NULL AND outcome IN ('selected', 'holdout')
    AND (features_used ->> 'dry_run') IS DISTINCT FROM 'true';
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION report_note_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_inbox (outcome_row, decision_id)
  SELECT id, decision_id FROM report_new_rows WHERE outcome IN ('shown', 'invite_sent', 'joined', 'fvm_reached');
  RETURN NULL;
END $$;

CREATE TRIGGER agent_decisions_report AFTER INSERT ON agent_decisions
  REFERENCING NEW TABLE AS report_new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_note_decisions();

-- The fold's work tables: report_taken gains the decision_id. A new name, because a session that folded before this
-- migration keeps its temporary report_taken of the old shape.
CREATE OR REPLACE FUNCTION report_work_tables() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('client_min_messages', 'warning', true);  -- no "already exists" notices per call
  CREATE TEMP TABLE IF NOT EXISTS report_picked (decision_row bigint, outcome_row bigint, decision_id uuid)
    ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_batch (hour timestamptz, loop_id bigint, variant text, event_type text,
    arm text, user_id text, kind text) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_new_links (kind "char", level "char", loop_id bigint, grp text, user_id text,
    hour timestamptz) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_deltas (level "char", hour timestamptz, kind "char", loop_id bigint, grp text,
    prev_hour timestamptz, learners bigint) ON COMMIT DELETE ROWS;
END $$;

-- As V6's, reading rows by their partition key (one partition each).
CREATE OR REPLACE FUNCTION report_fold_batch() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_batch
  SELECT report_hour(d.created_at), d.loop_id, coalesce(d.variant, ''), coalesce(d.event_type, ''),
         CASE d.outcome WHEN 'selected' THEN 'treatment' ELSE 'holdout' END,
         coalesce(d.user_id, d.input_params ->> 'user_id'), 'decision'
  FROM report_picked t JOIN agent_decisions d ON d.decision_id = t.decision_id AND d.id = t.decision_row;
  -- An outcome counts for its decision: in the decision's hour, arm, variant and event type.
  INSERT INTO report_batch
  SELECT report_hour(d.created_at), d.loop_id, coalesce(d.variant, ''), coalesce(d.event_type, ''),
         CASE d.outcome WHEN 'selected' THEN 'treatment' ELSE 'holdout' END,
         coalesce(d.user_id, d.input_params ->> 'user_id'), o.outcome
  FROM report_picked t
  JOIN loop_outcomes o ON o.decision_id = t.decision_id AND o.id = t.outcome_row
  JOIN agent_decisions d ON d.decision_id = o.decision_id
  WHERE d.loop_id IS NOT NULL AND d.outcome IN ('selected', 'holdout')
    AND (d.features_used ->> 'dry_run') IS DISTINCT FROM 'true';
  ANALYZE report_batch;

  INSERT INTO report_hourly AS r (hour, loop_id, variant, event_type, arm, decisions, shown, invite_sent, joined,
    fvm_reached)
  SELECT hour, loop_id, variant, event_type, arm, count(*) FILTER (WHERE kind = 'decision'),
         count(*) FILTER (WHERE kind = 'shown'), count(*) FILTER (WHERE kind = 'invite_sent'),
         count(*) FILTER (WHERE kind = 'joined'), count(*) FILTER (WHERE kind = 'fvm_reached')
  FROM report_batch GROUP BY hour, loop_id, variant, event_type, arm
  ON CONFLICT (hour, loop_id, variant, event_type, arm) DO UPDATE SET
    decisions = r.decisions + excluded.decisions, shown = r.shown + excluded.shown,
    invite_sent = r.invite_sent + excluded.invite_sent, joined = r.joined + excluded.joined,
    fvm_reached = r.fvm_reached + excluded.fvm_reached;
END $$;

-- As V8's, taking the inbox's decision_id too.
CREATE OR REPLACE FUNCTION report_refresh(batch_size integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  taken integer;
BEGIN
  PERFORM pg_advisory_xact_lock(7461001);
  PERFORM report_work_tables();
  WITH gone AS (
    DELETE FROM report_inbox WHERE id IN (SELECT id FROM report_inbox ORDER BY id LIMIT batch_size)
    RETURNING decision_row, outcome_row, decision_id)
  INSERT INTO report_picked SELECT decision_row, outcome_row, decision_id FROM gone;
  GET DIAGNOSTICS taken = ROW_COUNT;
  IF taken = 0 THEN
    RETURN 0;
  END IF;
  ANALYZE report_picked;
  PERFORM report_fold_batch();

  INSERT INTO report_new_links
  SELECT l.* FROM report_links() l
  WHERE NOT EXISTS (SELECT 1 FROM report_chain c WHERE c.kind = l.kind AND c.level = l.level AND c.loop_id = l.loop_id
    AND c.grp = l.grp AND c.user_id = l.user_id AND c.hour = l.hour);
  ANALYZE report_new_links;

  WITH chains AS (SELECT DISTINCT kind, level, loop_id, grp, user_id FROM report_new_links),
  merged AS (
    SELECT c.kind, c.level, c.loop_id, c.grp, c.user_id, c.hour, c.prev_hour, false AS is_new
    FROM report_chain c JOIN chains USING (kind, level, loop_id, grp, user_id)
    UNION ALL
    SELECT n.kind, n.level, n.loop_id, n.grp, n.user_id, n.hour, NULL, true FROM report_new_links n),
  linked AS (
    SELECT m.*, coalesce(lag(m.hour) OVER (PARTITION BY m.kind, m.level, m.loop_id, m.grp, m.user_id ORDER BY m.hour),
                         '-infinity') AS new_prev
    FROM merged m),
  inserted AS (
    INSERT INTO report_chain (kind, level, loop_id, grp, user_id, hour, prev_hour)
    SELECT kind, level, loop_id, grp, user_id, hour, new_prev FROM linked WHERE is_new),
  changed AS (SELECT * FROM linked WHERE NOT is_new AND prev_hour IS DISTINCT FROM new_prev),
  moved AS (
    UPDATE report_chain c SET prev_hour = ch.new_prev FROM changed ch
    WHERE c.kind = ch.kind AND c.level = ch.level AND c.loop_id = ch.loop_id AND c.grp = ch.grp
      AND c.user_id = ch.user_id AND c.hour = ch.hour),
  deltas AS (
    SELECT kind, level, loop_id, grp, hour, prev_hour, -1 AS n FROM changed WHERE prev_hour IS NOT NULL
    UNION ALL
    SELECT kind, level, loop_id, grp, hour, new_prev, 1 FROM changed
    UNION ALL
    SELECT kind, level, loop_id, grp, hour, new_prev, 1 FROM linked WHERE is_new)
  INSERT INTO report_deltas
  SELECT level, hour, kind, loop_id, grp, prev_hour, sum(n) FROM deltas
  GROUP BY level, hour, kind, loop_id, grp, prev_hour;
  PERFORM report_add_learners();
  RETURN taken;
END $$;

-- As V6's. Rebuilding after retention dropped days would lose those days' figures: the rollups are the only record
-- left of them (docs/data-lifecycle.md).
CREATE OR REPLACE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7461001);
  LOCK TABLE agent_decisions, loop_outcomes IN SHARE MODE;
  PERFORM report_work_tables();
  TRUNCATE report_inbox, report_hourly, report_chain, report_learners, report_learners_daily;
  INSERT INTO report_picked (decision_row, decision_id)
  SELECT id, decision_id FROM agent_decisions
  WHERE loop_id IS NOT NULL AND outcome IN ('selected', 'holdout') AND (features_used ->> 'dry_run') IS DISTINCT FROM 'true';
  INSERT INTO report_picked (outcome_row, decision_id)
  SELECT id, decision_id FROM loop_outcomes WHERE outcome IN ('shown', 'invite_sent', 'joined', 'fvm_reached');
  ANALYZE report_picked;
  PERFORM report_fold_batch();
  INSERT INTO report_chain (kind, level, loop_id, grp, user_id, hour, prev_hour)
  SELECT l.kind, l.level, l.loop_id, l.grp, l.user_id, l.hour,
         coalesce(lag(l.hour) OVER (PARTITION BY l.kind, l.level, l.loop_id, l.grp, l.user_id ORDER BY l.hour),
                  '-infinity')
  FROM report_links() l;
  INSERT INTO report_deltas
  SELECT level, hour, kind, loop_id, grp, prev_hour, count(*) FROM report_chain
  GROUP BY level, hour, kind, loop_id, grp, prev_hour;
  PERFORM report_add_learners();
END $$;

-- Drops the partitions of one UTC day from the two partitioned tables, with their request claims, and deletes the day's
-- decisions' exposures and outcomes (unpartitioned: found by their decision_id index), in the caller's transaction;
-- returns the rows each table lost. Returns nothing, and drops nothing, while report_inbox points into the day: the rollups
-- must fold every row in first, or the day's figures would be lost with it. The partitions are locked before the inbox
-- is read, so no row of the day can commit (with its inbox row) between the check and the drop.
CREATE FUNCTION log_partition_drop(day date) RETURNS TABLE (parent text, dropped bigint) LANGUAGE plpgsql AS $$
DECLARE
  lo uuid := log_uuid_at(day::timestamp AT TIME ZONE 'UTC');
  hi uuid := log_uuid_at((day + 1)::timestamp AT TIME ZONE 'UTC');
  p record;
BEGIN
  FOR p IN SELECT * FROM log_partitions() l WHERE l.day = log_partition_drop.day ORDER BY l.parent LOOP
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', p.name);
  END LOOP;
  IF EXISTS (SELECT 1 FROM report_inbox WHERE decision_id >= lo AND decision_id < hi) THEN
    RETURN;
  END IF;
  FOR p IN SELECT * FROM log_partitions() l WHERE l.day = log_partition_drop.day ORDER BY l.parent LOOP
    parent := p.parent;
    EXECUTE format('SELECT count(*) FROM %I', p.name) INTO dropped;
    EXECUTE format('DROP TABLE %I', p.name);
    RETURN NEXT;
  END LOOP;
  DELETE FROM request_claims WHERE row_key >= lo AND row_key < hi;
  parent := 'loop_exposures';
  DELETE FROM loop_exposures WHERE decision_id >= lo AND decision_id < hi;
  GET DIAGNOSTICS dropped = ROW_COUNT;
  RETURN NEXT;
  parent := 'loop_outcomes';
  DELETE FROM loop_outcomes WHERE decision_id >= lo AND decision_id < hi;
  GET DIAGNOSTICS dropped = ROW_COUNT;
  RETURN NEXT;
END $$;
