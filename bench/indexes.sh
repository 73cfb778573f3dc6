#!/usr/bin/env bash
# Lean indexes (issue 28): PostgreSQL's CPU per decision row inserted into agent_decisions with V8's indexes (agent_id,
# no user_id) against V10's (user_id, no agent_id), the rest of the schema as migrated.
#
# Starts the JAR once on a throwaway database (Flyway migrates it) and stops it, pre-fills PREFILL decisions of 100,000
# learners, then for each repetition and each index set (interleaved A, B, A, B, ...) builds that set and inserts
# BATCHES batches of 64 rows (the decision log's group commit size) in one backend, with decision ids ordered by time
# like UUIDv7 and random user ids. CPU is the backend's own (utime + stime from /proc/self/stat, read by the backend
# through pg_read_file), so other processes on the machine do not count; the wall time does include waiting for a core.
#
# Environment (all optional): JAR, PREFILL (1000000), BATCHES (500), REPS (3), PGHOST/PGPORT/PGUSER, RESULTS
# (bench/RESULTS.md; /dev/null to not record).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAR PREFILL BATCHES REPS)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/.."
JAR=${JAR:-target/viral-engine.jar}
PREFILL=${PREFILL:-1000000}
BATCHES=${BATCHES:-500}
REPS=${REPS:-3}
RESULTS=${RESULTS:-bench/RESULTS.md}

ensure_jar
bench_setup indexes
start_service java indexes "ORCHESTRATOR_WARMUP_CALLS=0" ""
wait_ready >/dev/null
stop_jvm

# One batch as the decision log writes it (the columns that matter to the indexes), ids ordered by time.
ROW="SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
      || substr(md5(random()::text || g), 13, 20))::uuid, 'orchestrator', 'select_loop',
      jsonb_build_object('user_id', 'learner-' || u, 'event_type', 'practice_completed'),
      '{\"outcome\": \"no_eligible_loop\"}', 'bench', '{\"checks\": []}', NULL::bigint, 1.0, true,
      'learner-' || u, 'practice_completed', 'no_eligible_loop'
    FROM (SELECT g, (random() * 100000)::int AS u FROM generate_series(1, @ROWS@) g) s"
INSERT="INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, output_result, rationale,
      features_used, loop_id, latency_ms, success, user_id, event_type, outcome)"
sql "$INSERT ${ROW//@ROWS@/$PREFILL}" >/dev/null
sql "TRUNCATE report_inbox" >/dev/null
sql "CREATE FUNCTION bench_cpu_ticks() RETURNS bigint LANGUAGE sql AS \$\$
       SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
       FROM regexp_replace(pg_read_file('/proc/self/stat'), '^.*\\) ', '') AS s \$\$" >/dev/null

use_set() {
  if [ "$1" = A ]; then
    sql "SET client_min_messages = warning; DROP INDEX IF EXISTS agent_decisions_user_id_idx; CREATE INDEX IF NOT EXISTS agent_decisions_agent_id_idx ON agent_decisions (agent_id)"
  elif [ "$1" = C ]; then
    sql "SET client_min_messages = warning; DROP INDEX IF EXISTS agent_decisions_user_id_idx; DROP INDEX IF EXISTS agent_decisions_agent_id_idx"
  else
    sql "SET client_min_messages = warning; DROP INDEX IF EXISTS agent_decisions_agent_id_idx; CREATE INDEX IF NOT EXISTS agent_decisions_user_id_idx ON agent_decisions (user_id)"
  fi
  sql "VACUUM ANALYZE agent_decisions" >/dev/null
}
# Prints "cpu_us_per_row wall_us_per_row" for BATCHES batches of 64 in one backend.
measure() {
  psql -d "$DB" -tAq <<SQL
CREATE TEMP TABLE t0 AS SELECT bench_cpu_ticks() AS ticks, clock_timestamp() AS at;
DO \$\$ BEGIN FOR i IN 1..$BATCHES LOOP $INSERT ${ROW//@ROWS@/64}; END LOOP; END \$\$;
SELECT round((bench_cpu_ticks() - ticks) * 1e6 / $CLK_TCK / ($BATCHES * 64)::numeric, 1) || ' '
    || round(extract(epoch FROM clock_timestamp() - at) * 1e6 / ($BATCHES * 64)::numeric, 1) FROM t0;
SQL
}

declare -A CPU WALL
for rep in $(seq 1 "$REPS"); do
  for set in A B C; do
    use_set "$set"
    read -r cpu wall <<<"$(measure)"
    log "rep $rep set $set: ${cpu} us CPU, ${wall} us wall per row"
    CPU[$set]+="$cpu"$'\n'; WALL[$set]+="$wall"$'\n'
  done
done
use_set B >/dev/null
SIZES=$(sql "SELECT string_agg(indexrelname || ' ' || pg_size_pretty(pg_relation_size(indexrelid)), ', ' ORDER BY indexrelname)
             FROM pg_stat_user_indexes WHERE relname = 'agent_decisions'")
ROWS_NOW=$(sql "SELECT count(*) FROM agent_decisions")
use_set A >/dev/null
SIZE_A=$(sql "SELECT pg_size_pretty(pg_relation_size('agent_decisions_agent_id_idx'))")

REPORT="### Lean indexes on agent_decisions: insert cost before and after ($(date -u +%Y-%m-%d), issue 28)

Command: \`$COMMAND\`. $(nproc) cores, load average at start $LOAD_AT_START (other sessions were running: the wall
times wait for a core; the CPU figures are the inserting backend's own). $PREFILL rows pre-filled, $BATCHES batches of 64
per measurement, $REPS repetitions interleaved; medians. A = V8's indexes (agent_id), B = V10's (user_id instead), C = neither (what
dropping agent_id alone would give, without a fast forget_learner).

| index set | PostgreSQL CPU per row | wall per row |
|---|---|---|
| A: decision_id, request_id, agent_id, created_at, loop_id (partial) | $(grep . <<<"${CPU[A]}" | median) us | $(grep . <<<"${WALL[A]}" | median) us |
| B: decision_id, request_id, user_id, created_at, loop_id (partial) | $(grep . <<<"${CPU[B]}" | median) us | $(grep . <<<"${WALL[B]}" | median) us |
| C: decision_id, request_id, created_at, loop_id (partial): neither | $(grep . <<<"${CPU[C]}" | median) us | $(grep . <<<"${WALL[C]}" | median) us |

Index sizes at $ROWS_NOW rows (set B): $SIZES; agent_id's (set A) $SIZE_A."
echo "$REPORT"
[ "$RESULTS" = /dev/null ] || printf '\n%s\n' "$REPORT" >>"$RESULTS"
