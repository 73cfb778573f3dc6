#!/usr/bin/env bash
# forget_learner latency (issue 28): how long erasing one learner with LEARNER_DECISIONS decisions takes among
# OTHER_DECISIONS decisions of OTHER_LEARNERS other learners.
#
# Starts the JAR against a throwaway database (Flyway migrates it), fills the audit tables with SQL (generate_series:
# decisions with their events, a selection's exposure for every third decision, shown/joined outcomes for every tenth,
# a referral naming each forgotten learner), folds the report rollups (report_rebuild), ANALYZE, then calls
# POST /mcp/admin/forget_learner for REPS learners of LEARNER_DECISIONS decisions each, one after another, and reports
# each call's wall time (curl) and the row counts it answered. Each learner is then checked: no row names them.
#
# Environment (all optional): JAR (target/viral-engine.jar), LEARNER_DECISIONS (10000), OTHER_DECISIONS (1000000),
# OTHER_LEARNERS (100000), REPS (3), BENCH_PORT, PGHOST/PGPORT/PGUSER, RESULTS (bench/RESULTS.md; /dev/null to not record).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAR LEARNER_DECISIONS OTHER_DECISIONS OTHER_LEARNERS REPS)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/.."
JAR=${JAR:-target/viral-engine.jar}
LEARNER_DECISIONS=${LEARNER_DECISIONS:-10000}
OTHER_DECISIONS=${OTHER_DECISIONS:-1000000}
OTHER_LEARNERS=${OTHER_LEARNERS:-100000}
REPS=${REPS:-3}
RESULTS=${RESULTS:-bench/RESULTS.md}

ensure_jar
bench_setup erasure
start_service java erasure "ORCHESTRATOR_WARMUP_CALLS=0" ""
log "service ready in $(wait_ready) ms"

# fill USER_EXPR COUNT OFFSET: COUNT decisions (ids from OFFSET), each with its event; every third a selection of
# buddy_challenge with an exposure, every tenth selection shown and joined (the joined one names a referred friend).
fill() {
  sql "INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, output_result, rationale, features_used,
         loop_id, event_id, latency_ms, success, created_at, user_id, event_type, outcome)
       SELECT md5('d' || g)::uuid, 'orchestrator', 'trigger_event',
         jsonb_build_object('user_id', $1, 'event_type', 'practice_completed', 'context', jsonb_build_object('school', 'school-' || g % 500)),
         jsonb_build_object('outcome', CASE WHEN g % 3 = 0 THEN 'selected' ELSE 'no_eligible_loop' END),
         'bench', '{\"checks\": []}', CASE WHEN g % 3 = 0 THEN 1 END, md5('e' || g)::uuid, 1.0, true,
         now() - (g % 720) * interval '1 hour', $1, 'practice_completed',
         CASE WHEN g % 3 = 0 THEN 'selected' ELSE 'no_eligible_loop' END
       FROM generate_series($3 + 1, $3 + $2) g" >/dev/null
  sql "INSERT INTO viral_events (event_id, event_type, user_id, occurred_at, received_at, context, processed)
       SELECT md5('e' || g)::uuid, 'practice_completed', $1, now(), now(), jsonb_build_object('school', 'school-' || g % 500), true
       FROM generate_series($3 + 1, $3 + $2) g" >/dev/null
  sql "INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at, event_type)
       SELECT $1, 1, md5('d' || g)::uuid, now() - (g % 720) * interval '1 hour', 'practice_completed'
       FROM generate_series($3 + 1, $3 + $2) g WHERE g % 3 = 0" >/dev/null
  sql "INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, referred_user_id, context, input_params)
       SELECT md5('o' || g || k)::uuid, md5('d' || g)::uuid, $1, 1, k, now(), CASE WHEN k = 'joined' THEN 'friend-' || g END,
         '{}', jsonb_build_object('outcome', k)
       FROM generate_series($3 + 1, $3 + $2) g CROSS JOIN (VALUES ('shown'), ('joined')) AS o (k) WHERE g % 30 = 0" >/dev/null
}

T0=$(now_ms)
log "filling $OTHER_DECISIONS decisions of $OTHER_LEARNERS learners"
fill "'learner-' || (g % $OTHER_LEARNERS)" "$OTHER_DECISIONS" 0
for r in $(seq 1 "$REPS"); do
  fill "'child-$r'" "$LEARNER_DECISIONS" $(( OTHER_DECISIONS + r * LEARNER_DECISIONS ))
  sql "UPDATE loop_outcomes SET referred_user_id = 'child-$r' WHERE outcome_id IN
       (SELECT outcome_id FROM loop_outcomes WHERE outcome = 'joined' AND user_id LIKE 'learner-%' LIMIT 5 OFFSET $(( r * 5 )))" >/dev/null
  sql "INSERT INTO learners (user_id, attributes) VALUES ('child-$r', '{\"nickname\": \"bench\"}')" >/dev/null
done
log "folding the rollups"
sql "SELECT report_rebuild()" >/dev/null
sql "ANALYZE" >/dev/null
FILL_S=$(( ($(now_ms) - T0) / 1000 ))
SIZE=$(sql "SELECT pg_size_pretty(pg_database_size(current_database()))")
log "filled in ${FILL_S}s, database $SIZE"

ROWS=""
for r in $(seq 1 "$REPS"); do
  body="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"forget_learner\",\"params\":{\"user_id\":\"child-$r\",\"request_id\":\"bench-$r\"}}"
  out=$(curl -s --max-time 120 -w ' %{time_total}' -H 'content-type: application/json' -d "$body" "$BASE/mcp/admin/forget_learner")
  secs=${out##* }; json=${out% *}
  counts=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1])["result"]["rows"]; print(", ".join(k + " " + str(v) for k, v in r.items() if v))' "$json")
  left=$(sql "SELECT (SELECT count(*) FROM agent_decisions WHERE user_id = 'child-$r') + (SELECT count(*) FROM viral_events WHERE user_id = 'child-$r')")
  [ "$left" = 0 ] || { echo "child-$r still has $left rows" >&2; exit 1; }
  log "child-$r: ${secs}s ($counts)"
  ROWS+="| child-$r | $(awk -v s="$secs" 'BEGIN {printf "%.0f", s * 1000}') ms | $counts |"$'\n'
done

# rpc_ms METHOD PARAMS: the wall time of one call, in ms
rpc_ms() {
  curl -s --max-time 120 -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$BASE/mcp/orchestrator/$1" \
    | awk '{printf "%.1f\n", $1 * 1000}'
}
DECISION=$(sql "SELECT decision_id FROM agent_decisions WHERE user_id = (SELECT tombstone FROM learner_erasures WHERE request_id = 'bench-1') LIMIT 1")
EXPLAIN_MS=$(for _ in 1 2 3 4 5; do rpc_ms explain_decision "{\"decision_id\":\"$DECISION\"}"; done | median)
FROM=$(date -u -d '30 days ago' +%Y-%m-%dT%H:00:00Z); TO=$(date -u -d '1 hour' +%Y-%m-%dT%H:00:00Z)
REPORT_MS=$(for _ in 1 2 3; do rpc_ms loop_report "{\"from\":\"$FROM\",\"to\":\"$TO\"}"; done | median)
log "explain_decision ${EXPLAIN_MS} ms, loop_report (30 days) ${REPORT_MS} ms"

REPORT="### forget_learner of a learner with $LEARNER_DECISIONS decisions ($(date -u +%Y-%m-%d), issue 28)

Command: \`$COMMAND\`. $(nproc) cores, load average at start $LOAD_AT_START (other sessions were running: figures are
upper bounds). Database: $OTHER_DECISIONS other decisions of $OTHER_LEARNERS learners (+ events, exposures, outcomes,
rollups), $SIZE in all, filled in ${FILL_S}s. One call at a time; wall time of the HTTP call (curl), which is one
PostgreSQL transaction over every table that names the learner.

| learner | forget_learner | rows changed |
|---|---|---|
$ROWS
On the same database, after the erasures: \`explain_decision\` of a forgotten learner's decision $EXPLAIN_MS ms (median of
5), \`loop_report\` over the last 30 days $REPORT_MS ms (median of 3), wall time of the HTTP call."
echo "$REPORT"
[ "$RESULTS" = /dev/null ] || printf '\n%s\n' "$REPORT" >>"$RESULTS"
