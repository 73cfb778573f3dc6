-- Learner profiles: what product services tell us about a learner, read on every decision.
-- selection_seq is the per-learner guard of the caps-and-cooldowns invariant: every recorded selection
-- advances it by one with a conditional write (see docs/decisioning.md), so two deciders that read the same
-- history cannot both record a selection.
CREATE TABLE learners (
  user_id          text PRIMARY KEY,
  timezone         text NOT NULL DEFAULT 'UTC',
  birth_year       integer,
  persona          text CHECK (persona IN ('student', 'parent', 'tutor')),
  parental_consent text NOT NULL DEFAULT 'unknown' CHECK (parental_consent IN ('granted', 'denied', 'unknown')),
  growth_opt_out   boolean NOT NULL DEFAULT false,
  attributes       jsonb NOT NULL DEFAULT '{}',
  selection_seq    bigint NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- What happened after a decision: shown, dismissed, clicked, shared, invites and joins.
CREATE TABLE loop_outcomes (
  id               bigserial PRIMARY KEY,
  outcome_id       uuid NOT NULL UNIQUE,
  request_id       text,
  decision_id      uuid NOT NULL,
  user_id          text NOT NULL,
  loop_id          bigint REFERENCES viral_loops (id),
  outcome          text NOT NULL,
  occurred_at      timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  referred_user_id text,
  context          jsonb NOT NULL DEFAULT '{}',
  input_params     jsonb NOT NULL
);
CREATE UNIQUE INDEX loop_outcomes_request_id_key ON loop_outcomes (request_id) WHERE request_id IS NOT NULL;
-- explain_decision lists a decision's outcomes.
CREATE INDEX loop_outcomes_decision_idx ON loop_outcomes (decision_id);
-- Every decision reads the learner's dismissals (the dismiss cooldown).
CREATE INDEX loop_outcomes_dismissed_idx ON loop_outcomes (user_id, loop_id, occurred_at) WHERE outcome = 'dismissed';
-- Last-touch attribution looks up the touches of a referred learner.
CREATE INDEX loop_outcomes_referred_idx ON loop_outcomes (referred_user_id, occurred_at) WHERE referred_user_id IS NOT NULL;
