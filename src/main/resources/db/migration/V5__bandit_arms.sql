-- Phase 2, the bandit: each counted selection (loop_exposures) names the event type it followed, so the posterior of
-- an arm (loop, event type) is one index range scan over its latest selections. Select_loop without an event type
-- is its own arm, under ''.
ALTER TABLE loop_exposures ADD COLUMN event_type text;
UPDATE loop_exposures e SET event_type = d.input_params->>'event_type'
  FROM agent_decisions d WHERE d.decision_id = e.decision_id;
CREATE INDEX loop_exposures_arm_idx ON loop_exposures (loop_id, (coalesce(event_type, '')), fired_at DESC);
