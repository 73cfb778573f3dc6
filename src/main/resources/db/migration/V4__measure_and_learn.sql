-- Phase 2, measure and learn: what loop_report and the bandit read, kept as plain columns of the audit row
-- rather than dug out of jsonb, so that reports over millions of decisions can use indexes and rollups.
ALTER TABLE agent_decisions
  ADD COLUMN user_id    text,
  ADD COLUMN event_type text,
  -- selected, no_eligible_loop, opted_out, holdout or degraded; null for a call that failed.
  ADD COLUMN outcome    text,
  -- The key of the selected loop's variant, when the loop has variants.
  ADD COLUMN variant    text;
-- For outcome = 'holdout', loop_id names the counterfactual: the loop that would have been selected.
-- A holdout writes no loop_exposures row, so it never counts toward caps or cooldowns.

-- Weighted alternative action payloads: [{key, weight, action}], empty for a loop without variants.
ALTER TABLE viral_loops ADD COLUMN variants jsonb NOT NULL DEFAULT '[]';

-- The sticky variant of each learner for each loop: assigned once by salted hash, then kept even when the
-- weights change.
CREATE TABLE learner_variants (
  user_id     text NOT NULL,
  loop_id     bigint NOT NULL REFERENCES viral_loops (id),
  variant     text NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, loop_id)
);

-- The variant the outcome was an exposure to (copied from the decision when recorded).
ALTER TABLE loop_outcomes ADD COLUMN variant text;
