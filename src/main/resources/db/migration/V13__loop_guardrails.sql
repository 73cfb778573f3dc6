-- Issue 27: a loop's guardrails, [{metric, max_increase}], empty for none. The guardrail job (package guardrails)
-- deactivates a loop whose metric worsened beyond max_increase against the holdout, audited in config_changes with
-- actor 'guardrail'.
ALTER TABLE viral_loops ADD COLUMN guardrails jsonb NOT NULL DEFAULT '[]';

-- Why an automatic change was made (the guardrail job's figures and interval); null for a person's change.
ALTER TABLE config_changes ADD COLUMN evidence jsonb;
