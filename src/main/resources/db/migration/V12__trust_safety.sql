-- Phase 3, the trust_safety agent: blocked learners, abuse reports, and the loops a report blocked for a learner.
-- Reports are never edited; the rewards a report revokes are rows of reward_revocations (V11).
CREATE TABLE learner_blocks (
  user_id     text PRIMARY KEY,
  reason      text NOT NULL,
  until       timestamptz,
  blocked_at  timestamptz NOT NULL
);

CREATE TABLE abuse_reports (
  report_id    uuid PRIMARY KEY,
  request_id   text UNIQUE,
  decision_id  uuid NOT NULL,
  user_id      text NOT NULL,
  loop_id      bigint NOT NULL REFERENCES viral_loops (id),
  reason       text NOT NULL,
  reported_at  timestamptz NOT NULL,
  input_params jsonb NOT NULL,
  result       jsonb
);
-- check_action's "reported" rule: this learner's reports of the last 30 days.
CREATE INDEX abuse_reports_user_idx ON abuse_reports (user_id, reported_at);

CREATE TABLE loop_blocks (
  user_id    text NOT NULL,
  loop_id    bigint NOT NULL REFERENCES viral_loops (id),
  until      timestamptz NOT NULL,
  report_id  uuid NOT NULL REFERENCES abuse_reports (report_id),
  PRIMARY KEY (user_id, loop_id, report_id)
);

-- check_action's "invite_rate" rule: this learner's invite_sent outcomes of the last 24 hours, in one index range.
CREATE INDEX loop_outcomes_invites_idx ON loop_outcomes (user_id, occurred_at) WHERE outcome = 'invite_sent';
