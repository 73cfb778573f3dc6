#!/usr/bin/env bash
# The README's growth-engineer walkthrough, as a script: run it against a service started with
#   ORCHESTRATOR_API_TOKENS='growth:admin+decide+observe:growth-team-s3cret-2026' java -jar target/viral-engine.jar
# It prints each request and its answer (jq -c). BASE and TOKEN may be overridden.
set -euo pipefail
# shellcheck source=docs/call.sh
. "$(dirname "$0")/call.sh"

call admin upsert_loop '{"loop": {"name": "buddy_challenge", "display_name": "Buddy challenge", "active": true,
  "triggers": ["practice_completed"], "priority": 40, "expected_k": 0.35, "groups": ["social"],
  "audience": {"min_age": 8, "personas": ["student"], "requires_parental_consent": true},
  "targeting": {"context.score": {"$gte": 80}},
  "cooldown_seconds": 3600, "dismiss_cooldown_seconds": 86400,
  "action": {"type": "show_share_modal", "headline": "Challenge a buddy!", "cta": "Send a challenge",
             "deep_link": "app://challenge/new", "channels": ["sms", "copy_link"]}}}' \
  '.result | {created, changed, config_version, version: .loop.version}'
call admin upsert_frequency_rule '{"rule": {"id": "social_weekly", "scope": "group", "scope_key": "social",
  "max_count": 2, "period": "calendar_week"}}' '.result'
call orchestrator upsert_learner '{"user_id": "learner-42", "timezone": "America/Los_Angeles", "birth_year": 2014,
  "persona": "student", "parental_consent": "granted"}' '.result'
DECISION=$(call orchestrator select_loop '{"user_id": "learner-42", "event_type": "practice_completed",
  "context": {"score": 92}}' '.result')
echo "$DECISION"
ID=$(jq -r .decision_id <<<"$DECISION")
call orchestrator record_outcome "{\"decision_id\": \"$ID\", \"outcome\": \"shown\"}" '.result'
call orchestrator record_outcome "{\"decision_id\": \"$ID\", \"outcome\": \"dismissed\"}" '.result'
AGAIN=$(call orchestrator select_loop '{"user_id": "learner-42", "event_type": "practice_completed", "context": {"score": 95}}' \
  '.result')
jq -c '{decision_id, outcome, loop, rationale}' <<<"$AGAIN"
call orchestrator explain_decision "{\"decision_id\": \"$(jq -r .decision_id <<<"$AGAIN")\"}" \
  '.result.checks[] | select(.loop == "buddy_challenge")'
call orchestrator explain_decision "{\"decision_id\": \"$ID\"}" \
  '.result | {outcome, loop, config_version, input, checks: [.checks[] | select(.loop == "buddy_challenge" or .loop == "proud_parent")], outcomes: [.outcomes[] | {outcome, occurred_at}]}'
call admin list_changes '{"limit": 3}' '.result.changes[] | {id, changed_at, actor, entity, key, action}'
