-- Issue 28, lean indexes: every index on agent_decisions must serve a query the service runs.
--
-- agent_decisions_agent_id_idx goes: agent_id holds one value ('orchestrator'), so the planner never uses the index
-- (a filter on it matches every row: a sequential scan is cheaper), yet every decision paid an entry in it. DESIGN.md
-- lists agent_id among the indexed columns; docs/data-lifecycle.md says why this deployment departs from it.
--
-- agent_decisions_user_id_idx comes: forget_learner must find every decision of one learner among billions, and
-- nothing else leads there (a decision that selected nothing has no exposure and no event to go through). B-tree
-- deduplication keeps a learner's many entries compact.
DROP INDEX agent_decisions_agent_id_idx;
CREATE INDEX agent_decisions_user_id_idx ON agent_decisions (user_id);
