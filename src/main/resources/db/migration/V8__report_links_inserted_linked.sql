-- Issue 13: report_refresh() was most of loop_report's cost on the write path (pg_stat_statements: ~235 µs of
-- PostgreSQL time per selection folded in). It inserted each new chain link with a null prev_hour, then relinked
-- its chain and UPDATEd every link whose prev_hour changed, which was every new link: each link was written twice.
-- Now a new link is inserted with its prev_hour already computed (over the chain's existing links and the batch's
-- new ones together), and only existing links that an out-of-order arrival precedes are updated. The counts it
-- moves are the same: +1 at (hour, prev_hour) for each new link, -1/+1 for each existing link that moved.
-- LoopReportTest.aRebuildFromScratchMatchesTheIncrementalRollups checks the result against report_rebuild().

CREATE OR REPLACE FUNCTION report_work_tables() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('client_min_messages', 'warning', true);  -- no "already exists" notices per call
  CREATE TEMP TABLE IF NOT EXISTS report_taken (decision_row bigint, outcome_row bigint) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_batch (hour timestamptz, loop_id bigint, variant text, event_type text,
    arm text, user_id text, kind text) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_new_links (kind "char", level "char", loop_id bigint, grp text, user_id text,
    hour timestamptz) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE IF NOT EXISTS report_deltas (level "char", hour timestamptz, kind "char", loop_id bigint, grp text,
    prev_hour timestamptz, learners bigint) ON COMMIT DELETE ROWS;
END $$;

CREATE OR REPLACE FUNCTION report_refresh(batch_size integer) RETURNS integer LANGUAGE plpgsql AS $$
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

  -- The batch's links that are not in their chains yet (report_links() is distinct; the advisory lock keeps other
  -- refreshers out, so nothing else inserts links meanwhile).
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
