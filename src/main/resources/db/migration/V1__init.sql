-- Viral loops: what the orchestrator may select. All four are inactive in Phase 1.
CREATE TABLE viral_loops (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL UNIQUE,
  active           boolean NOT NULL DEFAULT false,
  triggers         text[] NOT NULL DEFAULT '{}',
  priority         integer NOT NULL DEFAULT 0,
  cooldown_seconds integer NOT NULL DEFAULT 0 CHECK (cooldown_seconds >= 0),
  eligibility      jsonb NOT NULL DEFAULT '{}',
  expected_k       double precision,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO viral_loops (name, active, triggers, priority, cooldown_seconds, eligibility, expected_k) VALUES
  ('buddy_challenge', false, '{practice_completed}',                 40, 86400,  '{}', 0.35),
  ('results_rally',   false, '{diagnostic_completed}',               30, 172800, '{}', 0.25),
  ('proud_parent',    false, '{session_ended,diagnostic_completed}', 20, 604800, '{}', 0.15),
  ('tutor_spotlight', false, '{session_ended}',                      10, 604800, '{}', 0.10);

-- Every event a product service sent us.
CREATE TABLE viral_events (
  id          bigserial PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  request_id  text,
  event_type  text NOT NULL,
  user_id     text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  context     jsonb NOT NULL DEFAULT '{}',
  processed   boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX viral_events_request_id_key ON viral_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX viral_events_user_occurred_idx ON viral_events (user_id, occurred_at);

-- Every decision and what the caller was told. event_id links a trigger_event decision to its event.
CREATE TABLE agent_decisions (
  id            bigserial PRIMARY KEY,
  decision_id   uuid NOT NULL UNIQUE,
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
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agent_decisions_request_id_key ON agent_decisions (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX agent_decisions_agent_id_idx ON agent_decisions (agent_id);
CREATE INDEX agent_decisions_created_at_idx ON agent_decisions (created_at);
CREATE INDEX agent_decisions_loop_id_idx ON agent_decisions (loop_id);

-- Which loop was shown to whom and when: what the cooldown and daily-cap checks read.
CREATE TABLE loop_exposures (
  id          bigserial PRIMARY KEY,
  user_id     text NOT NULL,
  loop_id     bigint NOT NULL REFERENCES viral_loops (id),
  decision_id uuid NOT NULL UNIQUE,
  fired_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loop_exposures_user_fired_idx ON loop_exposures (user_id, fired_at DESC);
