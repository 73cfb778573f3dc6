#!/usr/bin/env bash
# The README's "Measure and learn" session, as a script: a loop with two variants, a learner shown one of them, a
# learner in the 5 % holdout (learner-12 is, under the default experiments.salt), their outcomes, and what
# get_learner and explain_decision say about their assignments. Run it after docs/walkthrough.sh, against a service
# started as that script says (default experiments: holdout 5 %, salt viral-engine). BASE and TOKEN may be overridden.
set -euo pipefail
# shellcheck source=docs/call.sh
. "$(dirname "$0")/call.sh"

call admin upsert_loop '{"loop": {"name": "results_rally", "display_name": "Results rally", "active": true,
  "triggers": ["diagnostic_completed"], "priority": 30, "groups": ["social"],
  "action": {"type": "show_share_modal", "headline": "Your results are in"},
  "variants": [{"key": "classmates", "weight": 1, "action": {"type": "show_share_modal", "headline": "See how your classmates do"}},
               {"key": "bonus_pack", "weight": 1, "action": {"type": "show_share_modal", "headline": "Unlock a bonus pack"}}]}}' \
  '.result | {created, config_version, variants: [.loop.variants[] | {key, weight}]}'
sleep 1 # the change reaches every instance within a second
SHOWN=$(call orchestrator trigger_event '{"event_type": "diagnostic_completed", "user_id": "learner-7"}' \
  '.result | {decision_id, outcome, loop, variant, action, rationale}')
echo "$SHOWN"
call orchestrator record_outcome "{\"decision_id\": \"$(jq -r .decision_id <<<"$SHOWN")\", \"outcome\": \"shown\"}" \
  '.result | {outcome, loop}'
call orchestrator get_learner '{"user_id": "learner-7"}' '.result.experiments'
HELD=$(call orchestrator trigger_event '{"event_type": "diagnostic_completed", "user_id": "learner-12"}' \
  '.result | {decision_id, outcome, loop, action, eligible_loops, rationale}')
echo "$HELD"
call orchestrator record_outcome "{\"decision_id\": \"$(jq -r .decision_id <<<"$HELD")\", \"outcome\": \"invite_sent\"}" \
  '.result | {outcome, loop}'
call orchestrator explain_decision "{\"decision_id\": \"$(jq -r .decision_id <<<"$HELD")\"}" \
  '.result | {outcome, loop, experiments, outcomes: [.outcomes[] | .outcome]}'
call orchestrator get_learner '{"user_id": "learner-12"}' '.result.experiments'
