#!/usr/bin/env bash
# Phase 3's walkthrough, as a script: a decision with the three built-in agents. Run it against a fresh service
# started with
#   ORCHESTRATOR_API_TOKENS='growth:admin+decide+observe:growth-team-s3cret-2026' java -jar target/viral-engine.jar
# It prints each request and its answer (jq -c). BASE and TOKEN may be overridden.
set -euo pipefail
# shellcheck source=docs/call.sh
. "$(dirname "$0")/call.sh"

# A loop with per-persona copy and an incentive. Its audience forgot to require consent: trust_safety is the net.
call admin upsert_loop '{"loop": {"name": "buddy_challenge", "display_name": "Buddy challenge", "active": true,
  "triggers": ["practice_completed"], "priority": 40, "groups": ["social"],
  "audience": {"requires_parental_consent": false},
  "action": {"type": "show_share_modal", "headline": "Challenge a buddy!", "cta": "Send a challenge",
    "channels": ["sms", "copy_link"],
    "copy": {"student": {"headline": "{{learner.attributes.first_name}}, challenge a buddy!",
                         "body": "You scored {{context.score}} on {{context.skill}}.", "cta": "Send a challenge",
                         "share_copy": "Beat my {{context.skill}} score on {{loop.display_name}}!"},
             "default": {"headline": "Challenge a buddy!", "body": "Practice is better together.",
                         "cta": "Send a challenge", "share_copy": "Join me on {{loop.display_name}}"}}},
  "incentive": {"referrer": "streak_shield", "joiner": "ai_tutor_minutes"}}}' \
  '.result | {created, changed, config_version}'

# A child of 9 without parental consent: child_sharing blocks the loop, and nothing else is eligible.
call orchestrator upsert_learner '{"user_id": "kid-9", "birth_year": 2017, "persona": "student",
  "parental_consent": "unknown"}' '.result | {user_id, birth_year, parental_consent}'
KID=$(call orchestrator select_loop '{"user_id": "kid-9", "event_type": "practice_completed"}' '.result')
echo "$KID"
call orchestrator explain_decision "{\"decision_id\": \"$(jq -r .decision_id <<<"$KID")\"}" \
  '.result | {outcome, checks: [.checks[] | select(.loop == "buddy_challenge")], agents}'

# An adult with a name: personalized copy (the name escaped) and the reward a join would earn.
call orchestrator upsert_learner '{"user_id": "ada", "birth_year": 1990, "persona": "student",
  "parental_consent": "granted", "attributes": {"first_name": "Ada <3"}}' '.result | {user_id, attributes}'
ADA=$(call orchestrator select_loop '{"user_id": "ada", "event_type": "practice_completed",
  "context": {"skill": "fractions", "score": 92}}' '.result')
echo "$ADA"
ID=$(jq -r .decision_id <<<"$ADA")
call orchestrator explain_decision "{\"decision_id\": \"$ID\"}" '.result.agents'

# Bea joins through Ada's invite: each side is granted once, however often the outcome is retried.
call orchestrator record_outcome "{\"decision_id\": \"$ID\", \"outcome\": \"joined\", \"referred_user_id\": \"bea\",
  \"request_id\": \"join-bea\"}" '.result | {outcome, rewards}'
call orchestrator record_outcome "{\"decision_id\": \"$ID\", \"outcome\": \"joined\", \"referred_user_id\": \"bea\",
  \"request_id\": \"join-bea\"}" '.result | {outcome, rewards: [.rewards[] | {grant_id, role}]}'
call incentives get_balance '{"user_id": "ada"}' '.result'
call incentives get_balance '{"user_id": "bea"}' '.result'

# An abuse report on the decision revokes both grants and blocks the loop for Ada.
call trust_safety report_abuse "{\"decision_id\": \"$ID\", \"reason\": \"spam invites\", \"request_id\": \"report-1\"}" \
  '.result | {user_id, loop, revoked_grants: (.revoked_grants | length)}'
call incentives get_balance '{"user_id": "bea"}' '.result'
call orchestrator select_loop '{"user_id": "ada", "event_type": "practice_completed"}' \
  '.result | {outcome, loop, rationale}'
