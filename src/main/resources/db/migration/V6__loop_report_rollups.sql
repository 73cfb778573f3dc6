-- loop_report's rollups (docs/measure-and-learn.md, "Rollups"). The report reads whole hours from these tables
-- and only the partial first and last hour of its range from agent_decisions and loop_outcomes, so it answers in
-- milliseconds over millions of decisions.
--
-- The write path stays cheap: a statement-level trigger notes the ids of new reportable rows in report_inbox (one
-- INSERT per decision-log batch), and report_refresh() folds the inbox into the rollups off the hot path (every
-- report.refresh_ms, and before every report). An inbox instead of an id watermark: a bigserial id is taken before
-- its transaction commits, so a watermark can skip a row that commits late; an inbox row commits with its row.

CREATE TABLE report_inbox (
  id           bigserial PRIMARY KEY,
  decision_row bigint,  -- agent_decisions.id of a selection or holdout
  outcome_row  bigint   -- loop_outcomes.id of a shown, invite_sent, joined or fvm_reached
);

-- What a report counts: selections and holdouts with a loop, dry runs excluded (they count toward nothing).
CREATE FUNCTION report_note_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_inbox (decision_row)
  SELECT id FROM report_new_rows
  WHERE loop_id IS NOT NULL AND outcome IN ('selected', 'holdout')
    AND (features_used ->> 'dry_run') IS DISTINCT FROM 'true';
  RETURN NULL;
END $$;

CREATE TRIGGER agent_decisions_report AFTER INSERT ON agent_decisions
  REFERENCING NEW TABLE AS report_new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_note_decisions();

CREATE FUNCTION report_note_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_inbox (outcome_row)
  SELECT id FROM report_new_rows WHERE outcome IN ('shown', 'invite_sent', 'joined', 'fvm_reached');
  RETURN NULL;
END $$;

CREATE TRIGGER loop_outcomes_report AFTER INSERT ON loop_outcomes
  REFERENCING NEW TABLE AS report_new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_note_outcomes();

-- Additive figures per hour of decision time. An outcome counts in the hour of its decision, whenever it happened.
-- arm: treatment (outcome selected) or holdout (loop_id is the counterfactual loop). variant and event_type are ''
-- when the decision had none.
CREATE TABLE report_hourly (
  hour        timestamptz NOT NULL,
  loop_id     bigint NOT NULL,
  variant     text NOT NULL,
  event_type  text NOT NULL,
  arm         text NOT NULL CHECK (arm IN ('treatment', 'holdout')),
  decisions   bigint NOT NULL,
  shown       bigint NOT NULL,
  invite_sent bigint NOT NULL,
  joined      bigint NOT NULL,
  fvm_reached bigint NOT NULL,
  PRIMARY KEY (hour, loop_id, variant, event_type, arm)
);

-- Distinct learners are not additive across hours. Each learner's hours with a decision (or an exposure) form a
-- chain per (kind, level, loop, group): kind s = selected, h = held out, e = exposed (a shown); level l = loop,
-- v = variant (grp is the variant), t = event type (grp is the event type). prev_hour links each hour to the
-- learner's previous one ('-infinity' for the first). A learner has an hour in [H1, H2) exactly when exactly one of
-- their hours in [H1, H2) has prev_hour < H1, so distinct learners = a sum over report_learners.
CREATE TABLE report_chain (
  kind      "char" NOT NULL,
  level     "char" NOT NULL,
  loop_id   bigint NOT NULL,
  grp       text NOT NULL,
  user_id   text NOT NULL,
  hour      timestamptz NOT NULL,
  prev_hour timestamptz,  -- null only inside report_refresh(), between insert and relink
  PRIMARY KEY (kind, level, loop_id, grp, user_id, hour)
);

-- How many chain links there are per (kind, level, loop, group, hour, prev_hour).
CREATE TABLE report_learners (
  level     "char" NOT NULL,
  hour      timestamptz NOT NULL,
  kind      "char" NOT NULL,
  loop_id   bigint NOT NULL,
  grp       text NOT NULL,
  prev_hour timestamptz NOT NULL,
  learners  bigint NOT NULL,
  PRIMARY KEY (level, hour, kind, loop_id, grp, prev_hour)
);
-- A range that starts where the data starts has few links with prev_hour < H1 (mostly '-infinity'): this index
-- reads just those, where the primary key would read every hour of the range.
CREATE INDEX report_learners_prev_idx ON report_learners (level, prev_hour, hour);

-- The same counts with prev_hour cut to its day: a range's hours have links to almost every earlier hour (a million
-- learners return at scattered times), so summing report_learners over a week reads ~half a million rows. Here a
-- week reads hours x earlier days. Links with prev_day < the day of H1 come from this table; those whose prev_hour
-- lies in H1's own day, before H1, from report_learners through report_learners_prev_idx (a day of prev_hours).
CREATE TABLE report_learners_daily (
  level    "char" NOT NULL,
  hour     timestamptz NOT NULL,
  kind     "char" NOT NULL,
  loop_id  bigint NOT NULL,
  grp      text NOT NULL,
  prev_day timestamptz NOT NULL,
  learners bigint NOT NULL,
  PRIMARY KEY (level, hour, kind, loop_id, grp, prev_day)
);

-- The hour a decision falls in, the same in every session time zone (date_trunc would use the session's).
CREATE FUNCTION report_hour(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_bin('1 hour', t, timestamptz '2000-01-01 00:00:00+00')
$$;

-- The UTC day of a prev_hour; '-infinity' (no previous hour) stays itself.
CREATE FUNCTION report_day(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN isfinite(t) THEN date_bin('1 day', t, timestamptz '2000-01-01 00:00:00+00') ELSE t END
$$;

-- The temporary tables one fold works in (per session, emptied at commit).
CREATE FUNCTION report_work_tables() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('client_min_messages', 'warning', true);  -- no "already exists" notices per call
  CREATE TEMP TABLE IF NOT EXISTS report_taken (decision_row bigint, outcome_row bigint) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_batch (hour timestamptz, loop_id bigint, variant text, event_type text,
    arm text, user_id text, kind text) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_relink (kind "char", level "char", loop_id bigint, grp text, user_id text)
    ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_deltas (level "char", hour timestamptz, kind "char", loop_id bigint, grp text,
    prev_hour timestamptz, learners bigint) ON COMMIT DELETE ROWS;
END $$;

-- report_taken (row ids) -> report_batch (facts), then the additive figures into report_hourly.
CREATE FUNCTION report_fold_batch() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_batch
  SELECT report_hour(d.created_at), d.loop_id, coalesce(d.variant, ''), coalesce(d.event_type, ''),
         CASE d.outcome WHEN 'selected' THEN 'treatment' ELSE 'holdout' END,
         coalesce(d.user_id, d.input_params ->> 'user_id'), 'decision'
  FROM report_taken t JOIN agent_decisions d ON d.id = t.decision_row;
  -- An outcome counts for its decision: in the decision's hour, arm, variant and event type.
  INSERT INTO report_batch
  SELECT report_hour(d.created_at), d.loop_id, coalesce(d.variant, ''), coalesce(d.event_type, ''),
         CASE d.outcome WHEN 'selected' THEN 'treatment' ELSE 'holdout' END,
         coalesce(d.user_id, d.input_params ->> 'user_id'), o.outcome
  FROM report_taken t
  JOIN loop_outcomes o ON o.id = t.outcome_row
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

-- The chain links of report_batch; a held-out learner sees no variant, so holdouts have no variant-level chain.
CREATE FUNCTION report_links() RETURNS TABLE (kind "char", level "char", loop_id bigint, grp text, user_id text,
  hour timestamptz) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT DISTINCT CASE WHEN b.kind = 'shown' THEN 'e' WHEN b.arm = 'treatment' THEN 's' ELSE 'h' END::"char",
         lv.level, b.loop_id, CASE lv.level WHEN 'l' THEN '' WHEN 'v' THEN b.variant ELSE b.event_type END,
         b.user_id, b.hour
  FROM report_batch b CROSS JOIN (VALUES ('l'::"char"), ('v'::"char"), ('t'::"char")) AS lv (level)
  WHERE (b.kind = 'decision' OR (b.kind = 'shown' AND b.arm = 'treatment'))
    AND NOT (b.arm = 'holdout' AND lv.level = 'v');
END $$;

-- Adds report_deltas to both link counts.
CREATE FUNCTION report_add_learners() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_learners AS r (level, hour, kind, loop_id, grp, prev_hour, learners)
  SELECT level, hour, kind, loop_id, grp, prev_hour, learners FROM report_deltas
  ON CONFLICT (level, hour, kind, loop_id, grp, prev_hour) DO UPDATE SET learners = r.learners + excluded.learners;
  INSERT INTO report_learners_daily AS r (level, hour, kind, loop_id, grp, prev_day, learners)
  SELECT level, hour, kind, loop_id, grp, report_day(prev_hour), sum(learners) FROM report_deltas
  GROUP BY level, hour, kind, loop_id, grp, report_day(prev_hour)
  ON CONFLICT (level, hour, kind, loop_id, grp, prev_day) DO UPDATE SET learners = r.learners + excluded.learners;
END $$;

-- Folds up to batch_size inbox rows into the rollups; returns how many it took. One refresher at a time (an
-- advisory lock): relinking a chain reads and rewrites the learner's links, which two refreshers must not race on.
CREATE FUNCTION report_refresh(batch_size integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  taken integer;
BEGIN
  PERFORM pg_advisory_xact_lock(7461001);
  PERFORM report_work_tables();
  WITH gone AS (
    DELETE FROM report_inbox WHERE id IN (SELECT id FROM report_inbox ORDER BY id LIMIT batch_size)
    RETURNING decision_row, outcome_row)
  INSERT INTO report_taken SELECT decision_row, outcome_row FROM gone;
  GET DIAGNOSTICS taken = ROW_COUNT;
  IF taken = 0 THEN
    RETURN 0;
  END IF;
  PERFORM report_fold_batch();

  WITH added AS (
    INSERT INTO report_chain (kind, level, loop_id, grp, user_id, hour)
    SELECT * FROM report_links()
    ON CONFLICT DO NOTHING
    RETURNING kind, level, loop_id, grp, user_id)
  INSERT INTO report_relink SELECT DISTINCT kind, level, loop_id, grp, user_id FROM added;
  ANALYZE report_relink;

  -- Relink the chains that gained a link: a link that arrives out of order changes its successor's prev_hour.
  -- Only links whose prev_hour changed move a count (-1 at the old prev_hour, +1 at the new one).
  WITH linked AS (
    SELECT c.kind, c.level, c.loop_id, c.grp, c.user_id, c.hour, c.prev_hour,
           coalesce(lag(c.hour) OVER (PARTITION BY c.kind, c.level, c.loop_id, c.grp, c.user_id ORDER BY c.hour),
                    '-infinity') AS new_prev
    FROM report_chain c JOIN report_relink r USING (kind, level, loop_id, grp, user_id)),
  changed AS (SELECT * FROM linked WHERE prev_hour IS DISTINCT FROM new_prev),
  moved AS (
    UPDATE report_chain c SET prev_hour = ch.new_prev FROM changed ch
    WHERE c.kind = ch.kind AND c.level = ch.level AND c.loop_id = ch.loop_id AND c.grp = ch.grp
      AND c.user_id = ch.user_id AND c.hour = ch.hour),
  deltas AS (
    SELECT kind, level, loop_id, grp, hour, prev_hour, -1 AS n FROM changed WHERE prev_hour IS NOT NULL
    UNION ALL
    SELECT kind, level, loop_id, grp, hour, new_prev, 1 FROM changed)
  INSERT INTO report_deltas
  SELECT level, hour, kind, loop_id, grp, prev_hour, sum(n) FROM deltas
  GROUP BY level, hour, kind, loop_id, grp, prev_hour;
  PERFORM report_add_learners();
  RETURN taken;
END $$;

-- Rebuilds every rollup from agent_decisions and loop_outcomes in one pass (sorts instead of per-chain relinking):
-- the backfill of this migration, and of bench/report.sh's 10 million rows. Writes to both tables wait meanwhile
-- (SHARE lock), so no row is counted twice or missed; the inbox is emptied because everything in it is counted.
CREATE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7461001);
  LOCK TABLE agent_decisions, loop_outcomes IN SHARE MODE;
  PERFORM report_work_tables();
  TRUNCATE report_inbox, report_hourly, report_chain, report_learners, report_learners_daily;
  INSERT INTO report_taken (decision_row)
  SELECT id FROM agent_decisions
  WHERE loop_id IS NOT NULL AND outcome IN ('selected', 'holdout') AND (features_used ->> 'dry_run') IS DISTINCT FROM 'true';
  INSERT INTO report_taken (outcome_row)
  SELECT id FROM loop_outcomes WHERE outcome IN ('shown', 'invite_sent', 'joined', 'fvm_reached');
  ANALYZE report_taken;
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

-- Rows that were already there.
SELECT report_rebuild();
