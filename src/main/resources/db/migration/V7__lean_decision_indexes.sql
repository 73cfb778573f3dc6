-- Issue 13: every index on agent_decisions costs each decision row an insert. loop_id's users all ask for one loop
-- (the foreign key's check when a loop row is deleted, an operator's "decisions of loop X"); most decisions select
-- nothing and have no loop_id, so they need no entry. A partial index serves the same queries: "loop_id = $1"
-- implies "loop_id IS NOT NULL". The other indexes each serve a query: decision_id (unique: explain_decision,
-- record_outcome, idempotent replay), request_id (unique: idempotency), created_at (time ranges: loop_report's
-- partial hours, operators), agent_id (DESIGN.md's contract; per-agent audits).
DROP INDEX agent_decisions_loop_id_idx;
CREATE INDEX agent_decisions_loop_id_idx ON agent_decisions (loop_id) WHERE loop_id IS NOT NULL;
