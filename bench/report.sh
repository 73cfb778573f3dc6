#!/usr/bin/env bash
# Issue 15 ("Report"): loop_report over 10 million decisions answers in under 1 s. Not run in CI.
#
# 1. A scratch database (DB, default bench_report, dropped and created again) gets the service's migrations V1-V6
#    by psql, in order, then DECISIONS synthetic decisions (default 10,000,000) spread evenly over DAYS days (default
#    60) ending at END, for LEARNERS learners (default 1,000,000), in chunks of CHUNK through generate_series:
#    65 % selected (one of the four seed loops; variant a or b for the first two, none for the others), 5 % holdout
#    (counterfactual loop), 30 % no_eligible_loop (no loop: the report skips them); event types spread over the
#    three. Outcomes on the selections: 70 % shown; of those 25 % send 1-2 invites; 30 % of inviting decisions
#    join, half of those reach fvm; 2 % of holdouts join. Deterministic (hashes of the row id), so runs compare.
# 2. report_rebuild() builds the rollups from scratch in one pass (what the migration does for existing rows), timed;
#    then INCREMENT (default 100,000) more decisions in the last hour, each with a shown, go through the inbox and
#    report_refresh(50000), as the service folds new rows every report.refresh_ms, timed.
# 3. loop_report's two queries (printed by viralengine.report.ReportQueries, so they are the service's own SQL) run
#    under EXPLAIN (ANALYZE, BUFFERS) for: the last 7 days with edges off the hour (group_by loop), the whole range
#    (group_by loop), and the last 7 days by variant; each three times, the plans of the last run kept. Then the
#    same through the service's JSON-RPC would add only the refresh of an empty inbox and the JSON (not measured).
# SKIP_LOAD=1 keeps the data of an earlier run; SKIP_ROLLUPS=1 also keeps its rollups (then only step 3 runs).
# Appends a section to bench/RESULTS.md (RESULTS=/dev/null to skip) and leaves the plans in $OUT (default
# target/bench-report).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${DB:-bench_report}
DECISIONS=${DECISIONS:-10000000}
DAYS=${DAYS:-60}
LEARNERS=${LEARNERS:-1000000}
CHUNK=${CHUNK:-1000000}
INCREMENT=${INCREMENT:-100000}
END=${END:-2026-11-01T00:00:00Z}
RESULTS=${RESULTS:-bench/RESULTS.md}
OUT=${OUT:-target/bench-report}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
mkdir -p "$OUT"

[ -d target/classes/viralengine/report ] || mvn -q -o compile -Denforcer.skip=true
FIGURES=$(java -cp target/classes viralengine.report.ReportQueries figures)
LEARNER_SQL=$(java -cp target/classes viralengine.report.ReportQueries learners)

if [ "${SKIP_LOAD:-0}" != 1 ]; then
  log "database $DB: migrations"
  dropdb --if-exists "$DB"
  createdb "$DB"
  for f in src/main/resources/db/migration/V*.sql; do q -f "$f"; done

  log "loading $DECISIONS decisions over $DAYS days for $LEARNERS learners, $CHUNK per statement"
  load_start=$(date +%s)
  for ((start = 1; start <= DECISIONS; start += CHUNK)); do
    stop=$((start + CHUNK - 1)); ((stop > DECISIONS)) && stop=$DECISIONS
    q <<SQL
INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success, created_at,
  user_id, event_type, outcome, variant, features_used)
SELECT gen_random_uuid(), 'orchestrator', 'trigger_event', '{}', CASE WHEN k < 70 THEN 1 + (h % 4) END, 1.5, true,
  timestamptz '$END' - interval '$DAYS days' + (g - 1) * (interval '$DAYS days' / $DECISIONS),
  'learner-' || (h % $LEARNERS), (ARRAY['practice_completed', 'session_ended', 'diagnostic_completed'])[1 + (h / 7) % 3],
  CASE WHEN k < 65 THEN 'selected' WHEN k < 70 THEN 'holdout' ELSE 'no_eligible_loop' END,
  CASE WHEN k < 65 AND h % 4 < 2 THEN (ARRAY['a', 'b'])[1 + (h / 11) % 2] END, '{}'
FROM generate_series($start, $stop) AS g,
  LATERAL (SELECT abs(hashint8(g)) AS h) AS x, LATERAL (SELECT (h / 13) % 100 AS k) AS y;
SQL
  done
  log "decisions loaded; outcomes"
  q <<'SQL'
INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params, variant)
SELECT gen_random_uuid(), d.decision_id, d.user_id, d.loop_id, o.kind, d.created_at + interval '1 minute', '{}'::jsonb, d.variant
FROM agent_decisions d, LATERAL (SELECT abs(hashint8(d.id * 31)) AS r) AS x,
  LATERAL (VALUES ('shown', 1), ('invite_sent', 2), ('invite_sent', 3), ('joined', 4), ('fvm_reached', 5)) AS o (kind, step)
WHERE d.outcome = 'selected' AND r % 100 < 70
  AND (o.step = 1 OR (r / 100) % 100 < 25 AND (o.step = 2 OR (o.step = 3 AND (r / 10000) % 2 = 0)
       OR (r / 100000) % 100 < 30 AND (o.step = 4 OR (o.step = 5 AND (r / 10000000) % 2 = 0))))
UNION ALL
SELECT gen_random_uuid(), d.decision_id, d.user_id, d.loop_id, 'joined', d.created_at + interval '1 hour', '{}'::jsonb, NULL
FROM agent_decisions d WHERE d.outcome = 'holdout' AND abs(hashint8(d.id * 37)) % 100 < 2;
SQL
  load_s=$(( $(date +%s) - load_start ))
  q -c "ANALYZE"
else
  load_s=-
fi
if [ "${SKIP_ROLLUPS:-0}" != 1 ]; then
  log "loaded in ${load_s}s; rebuilding the rollups from scratch (report_rebuild)"
  refresh_start=$(date +%s%3N)
  q -c "SELECT report_rebuild()" >/dev/null
  refresh_ms=$(( $(date +%s%3N) - refresh_start ))
  q -c "VACUUM ANALYZE"
  # The steady state: INCREMENT more decisions in the last hour (with outcomes), folded in by report_refresh as the
  # service does every report.refresh_ms, on top of the 10 million.
  log "rebuilt in ${refresh_ms} ms; $INCREMENT more decisions, then report_refresh"
  q <<SQL
INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success, created_at,
  user_id, event_type, outcome, variant, features_used)
SELECT gen_random_uuid(), 'orchestrator', 'trigger_event', '{}', 1 + (h % 4), 1.5, true,
  timestamptz '$END' - interval '1 hour' + g * (interval '1 hour' / $INCREMENT), 'learner-' || (h % $LEARNERS),
  'practice_completed', 'selected', NULL, '{}'
FROM generate_series(1, $INCREMENT) AS g, LATERAL (SELECT abs(hashint8(-g)) AS h) AS x;
INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)
SELECT gen_random_uuid(), decision_id, user_id, loop_id, 'shown', created_at, '{}'::jsonb
FROM agent_decisions WHERE created_at >= timestamptz '$END' - interval '1 hour';
SQL
  increment_start=$(date +%s%3N)
  while :; do
    taken=$(q -tA -c "SELECT report_refresh(50000)")
    ((taken < 50000)) && break
  done
  increment_ms=$(( $(date +%s%3N) - increment_start ))
  log "refresh of $INCREMENT decisions and their shown outcomes: ${increment_ms} ms"
  q -c "VACUUM ANALYZE"
else
  refresh_ms=- increment_ms=-
fi

counts=$(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM agent_decisions), (SELECT count(*) FROM loop_outcomes),
  (SELECT count(*) FROM report_hourly), (SELECT count(*) FROM report_chain), (SELECT count(*) FROM report_learners),
  pg_size_pretty(pg_total_relation_size('report_chain')), pg_size_pretty(pg_total_relation_size('agent_decisions'))")
log "rows: decisions outcomes hourly chain learners chain-size decisions-size = $counts"

# explain NAME FROM TO LEVEL: both queries, three times each; the last plans kept, the execution times of all printed
explain() {
  local name=$1 from=$2 to=$3 level=$4 h1 h2 hlevel
  h1=$(q -tA -c "SELECT CASE WHEN date_trunc('hour', timestamptz '$from' AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' = timestamptz '$from'
    THEN timestamptz '$from' ELSE (date_trunc('hour', timestamptz '$from' AT TIME ZONE 'UTC') + interval '1 hour') AT TIME ZONE 'UTC' END")
  h2=$(q -tA -c "SELECT date_trunc('hour', timestamptz '$to' AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")
  hlevel=$level; [ "$level" = v ] && hlevel=l
  d1=$(q -tA -c "SELECT date_bin('1 day', timestamptz '$h1', timestamptz '2000-01-01 00:00:00+00')")
  for which in figures learners; do
    local sql=$FIGURES; [ $which = learners ] && sql=$LEARNER_SQL
    for run in 1 2 3; do
      q -v ON_ERROR_STOP=1 > "$OUT/$name-$which.plan" <<SQL
SET TIME ZONE 'UTC';
PREPARE report(timestamptz, timestamptz, timestamptz, timestamptz, text, text, timestamptz) AS $sql;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE report('$from', '$to', '$h1', '$h2', '$level', '$hlevel', '$d1');
SQL
      echo "$name $which run $run: $(grep -o 'Execution Time: .*' "$OUT/$name-$which.plan")"
    done
  done
}

last=$(date -u -d "$END" +%Y-%m-%d)
week_from=$(date -u -d "$END - 7 days + 17 minutes" +%Y-%m-%dT%H:%M:%SZ)
week_to=$(date -u -d "$END - 23 minutes" +%Y-%m-%dT%H:%M:%SZ)
all_from=$(date -u -d "$END - $DAYS days" +%Y-%m-%dT%H:%M:%SZ)
# The same week a day earlier: its last partial hour holds the usual ~7,000 decisions, not the INCREMENT's 100,000.
before_from=$(date -u -d "$END - 8 days + 17 minutes" +%Y-%m-%dT%H:%M:%SZ)
before_to=$(date -u -d "$END - 1 day - 23 minutes" +%Y-%m-%dT%H:%M:%SZ)
{
  explain week "$week_from" "$week_to" l
  explain all "$all_from" "$END" l
  explain week-variant "$week_from" "$week_to" v
  explain week-before "$before_from" "$before_to" l
} | tee "$OUT/times.txt"

if [ "$RESULTS" != /dev/null ]; then
  {
    echo
    echo "## loop_report over $DECISIONS decisions ($(date -u +%Y-%m-%d), bench/report.sh)"
    echo
    echo "Machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(q -tA -c 'SHOW server_version')."
    echo "Data: $DECISIONS decisions over $DAYS days to $last, $LEARNERS learners; load ${load_s}s; rebuild of the rollups"
    echo "from scratch (report_rebuild) ${refresh_ms} ms; then $INCREMENT more decisions in the last hour with a shown each,"
    echo "folded in by report_refresh(50000) in ${increment_ms} ms. Rows: decisions, outcomes, report_hourly, report_chain,"
    echo "report_learners, report_chain size, agent_decisions size = $counts."
    echo
    echo '```'
    cat "$OUT/times.txt"
    echo '```'
  } >> "$RESULTS"
fi
log "plans in $OUT"
