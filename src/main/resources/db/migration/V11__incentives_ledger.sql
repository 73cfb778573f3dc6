-- Phase 3, the incentives agent: a reward ledger. Reward types are data; grants are never edited (a revocation is a
-- row of its own); a daily counter per learner, type and calendar day (in the learner's time zone) is what a grant
-- moves with a conditional UPDATE, so no cap is exceeded by concurrent grants, in one process or several.
CREATE TABLE reward_types (
  type          text PRIMARY KEY,
  amount        integer NOT NULL CHECK (amount > 0),
  daily_cap     integer NOT NULL CHECK (daily_cap > 0),
  expires_days  integer CHECK (expires_days > 0)
);
INSERT INTO reward_types (type, amount, daily_cap, expires_days) VALUES
  ('ai_tutor_minutes', 30, 60, 30),
  ('class_pass', 1, 2, 90),
  ('streak_shield', 1, 3, 7),
  ('xp', 50, 500, NULL);

CREATE TABLE reward_grants (
  grant_id     uuid PRIMARY KEY,
  request_id   text NOT NULL UNIQUE,
  user_id      text NOT NULL,
  reward_type  text NOT NULL REFERENCES reward_types (type),
  amount       integer NOT NULL CHECK (amount > 0),
  source       jsonb NOT NULL DEFAULT '{}',
  day          date NOT NULL,
  granted_at   timestamptz NOT NULL,
  expires_at   timestamptz,
  -- Through which decision, when the grant came from a joined outcome: report_abuse revokes these.
  decision_id  uuid,
  input_params jsonb NOT NULL
);
CREATE INDEX reward_grants_user_idx ON reward_grants (user_id, reward_type);
CREATE INDEX reward_grants_decision_idx ON reward_grants (decision_id) WHERE decision_id IS NOT NULL;

CREATE TABLE reward_revocations (
  grant_id    uuid PRIMARY KEY REFERENCES reward_grants (grant_id),
  reason      text NOT NULL,
  revoked_at  timestamptz NOT NULL
);

-- The cap's guard: how much of a type a learner was granted on one of their calendar days.
CREATE TABLE reward_daily (
  user_id      text NOT NULL,
  reward_type  text NOT NULL REFERENCES reward_types (type),
  day          date NOT NULL,
  granted      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, reward_type, day)
);

-- A loop names the reward types a join through it grants: {referrer?, joiner?} (the admin agent validates it).
ALTER TABLE viral_loops ADD COLUMN incentive jsonb;
