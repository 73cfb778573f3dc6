-- Issue 28: a parent's erasure request (forget_learner). Each request is recorded here under its request_id: first
-- as pending, with the learner's user_id so that a restart can finish it; then, in the one transaction that erases
-- every row naming the learner, as completed, with user_id cleared and the row counts. The audit keeps the actor,
-- the time, the reason and the counts; the only trace of the learner is the tombstone, a keyed hash that cannot be
-- reversed without the deployment's secret.
CREATE TABLE learner_erasures (
  request_id   text PRIMARY KEY,
  tombstone    text NOT NULL,
  user_id      text CHECK ((user_id IS NULL) = (completed_at IS NOT NULL)),
  actor        text NOT NULL,
  reason       text,
  requested_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  row_counts   jsonb
);
-- explain_decision ("was this learner erased?") and spool replay ("is this learner erased?") look tombstones up.
CREATE INDEX learner_erasures_tombstone_idx ON learner_erasures (tombstone);
-- Restart: the erasures still to finish.
CREATE INDEX learner_erasures_pending_idx ON learner_erasures (requested_at) WHERE completed_at IS NULL;

-- The key of the tombstone hash when erasure.secret is not configured: generated once per deployment (the first
-- node to need it inserts it; every node reads the same one, so a learner has one tombstone cluster-wide).
CREATE TABLE lifecycle_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
