-- Phase 2: loops as data a growth team manages through the admin agent, frequency rules, and the audit
-- trail of every change. Ids of viral_loops stay as they were: agent_decisions and loop_exposures point at them.

ALTER TABLE viral_loops
  ADD COLUMN display_name             text    NOT NULL DEFAULT '',
  ADD COLUMN description              text    NOT NULL DEFAULT '',
  ADD COLUMN groups                   text[]  NOT NULL DEFAULT '{}',
  ADD COLUMN audience                 jsonb   NOT NULL DEFAULT '{"requires_parental_consent": false}',
  ADD COLUMN targeting                jsonb   NOT NULL DEFAULT '{}',
  ADD COLUMN dismiss_cooldown_seconds integer NOT NULL DEFAULT 0 CHECK (dismiss_cooldown_seconds >= 0),
  ADD COLUMN action                   jsonb   NOT NULL DEFAULT '{}',
  -- Goes up by one on every change; the admin agent's optimistic concurrency compares it.
  ADD COLUMN version                  bigint  NOT NULL DEFAULT 1 CHECK (version >= 1);

UPDATE viral_loops SET
  display_name = 'Buddy challenge',
  description = 'After a strong practice set, the learner challenges a friend to beat their score on the same skill.',
  groups = '{social}',
  audience = '{"personas": ["student"], "requires_parental_consent": true}',
  dismiss_cooldown_seconds = 259200,
  action = '{"type": "show_share_modal", "headline": "Challenge a buddy!",
             "body": "You just nailed this practice set. Think a friend can beat your score?",
             "cta": "Send a challenge", "deep_link": "app://challenge/new?source=buddy_challenge",
             "channels": ["sms", "whatsapp", "copy_link"],
             "reward_preview": "You both get a streak shield when they finish the challenge"}'
WHERE name = 'buddy_challenge';

UPDATE viral_loops SET
  display_name = 'Results rally',
  description = 'After a diagnostic, the learner shares their results card and invites classmates to take the same diagnostic.',
  groups = '{social}',
  audience = '{"personas": ["student"], "requires_parental_consent": true}',
  dismiss_cooldown_seconds = 604800,
  action = '{"type": "show_share_modal", "headline": "Your results are in",
             "body": "See how your classmates do on the same diagnostic.",
             "cta": "Share my results", "deep_link": "app://results/share?source=results_rally",
             "channels": ["copy_link", "email"],
             "reward_preview": "Unlock a bonus practice pack when 2 classmates join"}'
WHERE name = 'results_rally';

UPDATE viral_loops SET
  display_name = 'Proud parent',
  description = 'A parent shares their child''s progress with family and friends, who are invited to try a free session.',
  groups = '{parent}',
  audience = '{"personas": ["parent"], "requires_parental_consent": false}',
  dismiss_cooldown_seconds = 1209600,
  action = '{"type": "show_share_modal", "headline": "Proud of their progress?",
             "body": "Share this week''s milestones with family, and give a friend a free session.",
             "cta": "Share progress", "deep_link": "app://progress/share?source=proud_parent",
             "channels": ["email", "sms", "whatsapp"],
             "reward_preview": "Both families get one free tutoring session"}'
WHERE name = 'proud_parent';

UPDATE viral_loops SET
  display_name = 'Tutor spotlight',
  description = 'After a great session, the learner recommends their tutor to a friend.',
  groups = '{tutor}',
  audience = '{"personas": ["student"], "requires_parental_consent": true}',
  dismiss_cooldown_seconds = 1209600,
  action = '{"type": "show_share_modal", "headline": "Loved this session?",
             "body": "Recommend your tutor to a friend who could use a hand.",
             "cta": "Recommend my tutor", "deep_link": "app://tutor/recommend?source=tutor_spotlight",
             "channels": ["copy_link", "sms"],
             "reward_preview": "Your friend gets 20% off their first month"}'
WHERE name = 'tutor_spotlight';

-- At most max_count selections of loops in the scope per learner within the period; all rules that apply
-- to a loop are AND-ed. period is "calendar_day", "calendar_week", "lifetime" or {"rolling_seconds": N}.
CREATE TABLE frequency_rules (
  id         text PRIMARY KEY,
  scope      text NOT NULL CHECK (scope IN ('global', 'group', 'loop')),
  scope_key  text,
  max_count  integer NOT NULL CHECK (max_count > 0),
  period     jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'global') = (scope_key IS NULL))
);

-- Replaces orchestrator.daily_cap (a UTC day): 3 per calendar day in the learner's time zone.
INSERT INTO frequency_rules (id, scope, scope_key, max_count, period) VALUES
  ('global_daily', 'global', NULL, 3, '"calendar_day"');

-- Every change made through the admin agent: who (the token's name), when, and the entity before and
-- after (null before a create, null after a delete). The highest id is the catalog's config_version.
CREATE TABLE config_changes (
  id         bigserial PRIMARY KEY,
  changed_at timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  entity     text NOT NULL CHECK (entity IN ('loop', 'frequency_rule')),
  key        text NOT NULL,
  action     text NOT NULL,
  before     jsonb,
  after      jsonb
);
CREATE INDEX config_changes_entity_key_idx ON config_changes (entity, key, id);
