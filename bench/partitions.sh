#!/usr/bin/env bash
# Retention by day partitions (issue 28, V14): agent_decisions and viral_events partitioned by day (V14) against the
# same tables unpartitioned (V13's layout and indexes), at DECISIONS decisions. loop_exposures and loop_outcomes are
# unpartitioned in V14 (read by learner on every decision): both layouts share them.
#
# Starts the JAR once on a throwaway database (Flyway migrates it: partitioned) and stops it. Fills the partitioned
# tables with SQL, in the service's proportions: every decision with a request_id and its event, an exposure for every
# third (a selection), a shown and a joined outcome for every thirtieth; ids are UUIDv7 spread evenly over DAYS days,
# LEARNERS learners, and two learners (child-1, child-2) with CHILD_DECISIONS decisions each, spread over every day.
# Then copies the decisions and events into schema flat, whose tables have V13's shape (bigserial keys, global unique indexes on the
# ids and request_id, no partitions, no claims). Then measures, for each layout:
#   - disk: tables + indexes (+ request_claims for the partitioned one), per million decisions;
#   - insert CPU: batches of 64 decisions with their events, exposures and outcomes (one statement per table, as the
#     decision log's group commit writes them), REPS times interleaved, in one backend: that backend's own CPU
#     (utime + stime from /proc/self/stat, read through pg_read_file), per decision;
#   - through the service's HTTP API (the service restarted on each layout: the flat tables are renamed into place):
#     explain_decision (median of 9 decisions), loop_report over the last 30 days of whole hours (median of 3), and
#     forget_learner of one child (a learner whose rows are in every day's partition), each after a pass not counted.
# The database is dropped at the end.
#
# COLD=1 drops the OS page cache before each forget_learner (needs root), so that neither layout's erasure finds the
# learner's rows cached. Environment (all optional): JAR, DECISIONS (20000000), DAYS (30), LEARNERS (1000000), CHILD_DECISIONS (10000),
# CHUNK (1000000 decisions per fill transaction), BATCHES (200), REPS (3), BENCH_PORT, PGHOST/PGPORT/PGUSER,
# RESULTS (bench/RESULTS.md; /dev/null to not record).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAR DECISIONS DAYS LEARNERS CHILD_DECISIONS CHUNK BATCHES REPS COLD)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/.."
JAR=${JAR:-target/viral-engine.jar}
DECISIONS=${DECISIONS:-20000000}
DAYS=${DAYS:-30}
LEARNERS=${LEARNERS:-1000000}
CHILD_DECISIONS=${CHILD_DECISIONS:-10000}
CHUNK=${CHUNK:-1000000}
BATCHES=${BATCHES:-200}
REPS=${REPS:-3}
RESULTS=${RESULTS:-bench/RESULTS.md}

ensure_jar
bench_setup partitions
SERVICE_ENV="ORCHESTRATOR_WARMUP_CALLS=0 RETENTION_DAYS=0"
start_service java partitions "$SERVICE_ENV" ""
wait_ready >/dev/null
stop_jvm

START_MS=$(( $(now_ms) - DAYS * 86400000 ))
STEP_US=$(( DAYS * 86400000000 / DECISIONS )) # between two decisions' ids
EVERY=$(( DECISIONS / (2 * CHILD_DECISIONS) )) # every EVERY-th decision is a child's
# uuid7 MS_EXPR SEED_EXPR: a UUIDv7 of that millisecond, its random bits from md5(SEED)
uuid7() { echo "(lpad(to_hex($1), 12, '0') || '7' || substr(md5($2), 1, 3) || '8' || substr(md5($2), 4, 15))::uuid"; }
MS="(${START_MS}::bigint + g::bigint * $STEP_US / 1000)"
USER_EXPR="CASE WHEN g % $EVERY = 0 THEN 'child-' || (1 + (g / $EVERY) % 2) ELSE 'learner-' || (g % $LEARNERS) END"
D_ID=$(uuid7 "$MS" "'d' || g"); E_ID=$(uuid7 "$MS" "'e' || g"); O_ID=$(uuid7 "$MS" "'o' || g || k")

# fill FROM TO: decisions FROM+1..TO with their events, exposures and outcomes, in one transaction
fill() {
  psql -d "$DB" -tAq -v ON_ERROR_STOP=1 <<SQL >/dev/null
BEGIN;
INSERT INTO agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale,
  features_used, loop_id, event_id, latency_ms, success, created_at, user_id, event_type, outcome)
SELECT $D_ID, 'req-' || g, 'orchestrator', 'trigger_event',
  jsonb_build_object('user_id', u, 'event_type', 'practice_completed', 'context', jsonb_build_object('school', 'school-' || g % 500)),
  jsonb_build_object('outcome', CASE WHEN g % 3 = 0 THEN 'selected' ELSE 'no_eligible_loop' END),
  'bench', '{"checks": []}', CASE WHEN g % 3 = 0 THEN 1 END, $E_ID, 1.0, true, to_timestamp($MS / 1000.0), u,
  'practice_completed', CASE WHEN g % 3 = 0 THEN 'selected' ELSE 'no_eligible_loop' END
FROM generate_series($1 + 1, $2) g, LATERAL (SELECT $USER_EXPR AS u) x;
INSERT INTO viral_events (event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed)
SELECT $E_ID, 'req-' || g, 'practice_completed', u, to_timestamp($MS / 1000.0), to_timestamp($MS / 1000.0),
  jsonb_build_object('school', 'school-' || g % 500), true
FROM generate_series($1 + 1, $2) g, LATERAL (SELECT $USER_EXPR AS u) x;
INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at, event_type)
SELECT u, 1, $D_ID, to_timestamp($MS / 1000.0), 'practice_completed'
FROM generate_series($1 + 1, $2) g, LATERAL (SELECT $USER_EXPR AS u) x WHERE g % 3 = 0;
INSERT INTO loop_outcomes (outcome_id, request_id, decision_id, user_id, loop_id, outcome, occurred_at, referred_user_id,
  context, input_params)
SELECT $O_ID, 'out-' || g || k, $D_ID, u, 1, k, to_timestamp($MS / 1000.0), CASE WHEN k = 'joined' THEN 'friend-' || g END,
  '{}', jsonb_build_object('outcome', k)
FROM generate_series($1 + 1, $2) g CROSS JOIN (VALUES ('shown'), ('joined')) AS o (k), LATERAL (SELECT $USER_EXPR AS u) x
WHERE g % 30 = 0;
COMMIT;
SQL
}

T0=$(now_ms)
day_partitions "(to_timestamp($START_MS / 1000.0) AT TIME ZONE 'UTC')::date" "(now() AT TIME ZONE 'UTC')::date"
for from in $(seq 0 "$CHUNK" $(( DECISIONS - 1 ))); do
  to=$(( from + CHUNK < DECISIONS ? from + CHUNK : DECISIONS ))
  fill "$from" "$to"
  log "filled $to of $DECISIONS decisions ($(( ($(now_ms) - T0) / 1000 )) s; $(df -h --output=avail / | tail -1) free)"
done
log "folding the rollups"
sql "SELECT report_rebuild()" >/dev/null
FILL_S=$(( ($(now_ms) - T0) / 1000 ))

log "copying into the unpartitioned layout (schema flat)"
T1=$(now_ms)
psql -d "$DB" -tAq -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE SCHEMA flat;
CREATE TABLE flat.agent_decisions (id bigint PRIMARY KEY DEFAULT nextval('public.agent_decisions_id_seq'), decision_id uuid NOT NULL UNIQUE, request_id text,
  agent_id text NOT NULL, method text NOT NULL, input_params jsonb NOT NULL, output_result jsonb, rationale text,
  features_used jsonb, loop_id bigint REFERENCES viral_loops (id), event_id uuid, latency_ms double precision NOT NULL,
  success boolean NOT NULL, error_code integer, created_at timestamptz NOT NULL DEFAULT now(), user_id text,
  event_type text, outcome text, variant text);
CREATE TABLE flat.viral_events (id bigint PRIMARY KEY DEFAULT nextval('public.viral_events_id_seq'), event_id uuid NOT NULL UNIQUE, request_id text,
  event_type text NOT NULL, user_id text NOT NULL, occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL,
  context jsonb NOT NULL DEFAULT '{}', processed boolean NOT NULL DEFAULT false);
INSERT INTO flat.agent_decisions SELECT * FROM public.agent_decisions ORDER BY decision_id;
INSERT INTO flat.viral_events SELECT * FROM public.viral_events ORDER BY event_id;
-- V13's indexes, built after the copy (as they would be after years of inserts, less the bloat)
CREATE UNIQUE INDEX ON flat.agent_decisions (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX ON flat.agent_decisions (created_at);
CREATE INDEX ON flat.agent_decisions (loop_id) WHERE loop_id IS NOT NULL;
CREATE INDEX ON flat.agent_decisions (user_id);
CREATE UNIQUE INDEX ON flat.viral_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX ON flat.viral_events (user_id, occurred_at);
CREATE TRIGGER agent_decisions_report AFTER INSERT ON flat.agent_decisions
  REFERENCING NEW TABLE AS report_new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_note_decisions();
SQL
sql "VACUUM ANALYZE" >/dev/null
COPY_S=$(( ($(now_ms) - T1) / 1000 ))
sql "CREATE FUNCTION bench_cpu_ticks() RETURNS bigint LANGUAGE sql AS \$\$
       SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
       FROM regexp_replace(pg_read_file('/proc/self/stat'), '^.*\\) ', '') AS s \$\$" >/dev/null

# disk SCHEMA: bytes of the four log tables (with partitions, indexes and TOAST): the two partitioned ones (public, with
# the claims) or their flat copies, and the unpartitioned exposures and outcomes, which both layouts share
disk() {
  local shared="pg_total_relation_size('public.loop_exposures') + pg_total_relation_size('public.loop_outcomes')"
  if [ "$1" = public ]; then
    sql "SELECT sum(pg_total_relation_size(c.oid)) + $shared FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.relname ~ '^(agent_decisions|viral_events)_'
           OR c.relname = 'request_claims')"
  else
    sql "SELECT sum(pg_total_relation_size(('flat.' || t)::regclass)) + $shared FROM log_tables() t"
  fi
}
DISK_P=$(disk public); DISK_F=$(disk flat)
per_million() { awk -v b="$1" -v n="$DECISIONS" 'BEGIN {printf "%.0f MB", b / 1048576 / (n / 1e6)}'; }
log "disk per million decisions: partitioned $(per_million "$DISK_P"), flat $(per_million "$DISK_F")"

# One batch of 64 decisions with their 64 events, ~21 exposures and ~4 outcomes, into schema @S@; ids of now.
BATCH="WITH s AS (SELECT g, gen_random_uuid()::text AS r, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms,
         'learner-' || (random() * $LEARNERS)::int AS u FROM generate_series(1, 64) g),
       ids AS (SELECT s.*, (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(r), 1, 3) || '8' || substr(md5(r), 4, 15))::uuid AS d,
         (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(r || 'e'), 1, 3) || '8' || substr(md5(r || 'e'), 4, 15))::uuid AS e FROM s),
       dd AS (INSERT INTO @S@.agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale,
         features_used, loop_id, event_id, latency_ms, success, user_id, event_type, outcome)
         SELECT d, 'm-' || r, 'orchestrator', 'trigger_event', jsonb_build_object('user_id', u, 'event_type', 'practice_completed'),
         '{\"outcome\": \"selected\"}', 'bench', '{\"checks\": []}', CASE WHEN g % 3 = 0 THEN 1 END, e, 1.0, true, u,
         'practice_completed', CASE WHEN g % 3 = 0 THEN 'selected' ELSE 'no_eligible_loop' END FROM ids),
       ee AS (INSERT INTO @S@.viral_events (event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed)
         SELECT e, 'm-' || r, 'practice_completed', u, now(), now(), '{\"school\": \"x\"}', true FROM ids),
       xx AS (INSERT INTO public.loop_exposures (user_id, loop_id, decision_id, fired_at, event_type)
         SELECT u, 1, d, now(), 'practice_completed' FROM ids WHERE g % 3 = 0)
     INSERT INTO public.loop_outcomes (outcome_id, request_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)
     SELECT gen_random_uuid(), 'mo-' || r, d, u, 1, 'shown', now(), '{}' FROM ids WHERE g % 15 = 0"
# measure SCHEMA: "cpu_us wall_us" per decision over BATCHES batches, one statement per batch, in one backend
measure() {
  psql -d "$DB" -tAq <<SQL
CREATE TEMP TABLE t0 AS SELECT bench_cpu_ticks() AS ticks, clock_timestamp() AS at;
DO \$\$ BEGIN FOR i IN 1..$BATCHES LOOP ${BATCH//@S@/$1}; END LOOP; END \$\$;
SELECT round((bench_cpu_ticks() - ticks) * 1e6 / $CLK_TCK / ($BATCHES * 64)::numeric, 1) || ' '
    || round(extract(epoch FROM clock_timestamp() - at) * 1e6 / ($BATCHES * 64)::numeric, 1) FROM t0;
SQL
}
declare -A CPU WALL
for rep in $(seq 1 "$REPS"); do
  for layout in public flat; do
    read -r cpu wall <<<"$(measure "$layout")"
    log "rep $rep $layout: ${cpu} us CPU, ${wall} us wall per decision"
    CPU[$layout]+="$cpu"$'\n'; WALL[$layout]+="$wall"$'\n'
  done
done
sql "TRUNCATE report_inbox" >/dev/null

# rpc_ms AGENT METHOD PARAMS: the wall time of one call, in ms (fails on an error answer)
rpc_ms() {
  local out
  out=$(curl -s --max-time 300 -w ' %{time_total}' -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$BASE/mcp/$1/$2")
  grep -q '"result"' <<<"${out% *}" || { echo "$2 failed: ${out:0:300}" >&2; exit 1; }
  awk -v s="${out##* }" 'BEGIN {printf "%.1f\n", s * 1000}'
}
# latencies CHILD N: "explain_ms report_ms forget_ms" (learner-N is forgotten first, as a warm-up) through the service's API on the layout in place
latencies() {
  start_service java partitions "$SERVICE_ENV" ""
  wait_ready >/dev/null
  local ids explain report forget from to
  ids=$(sql "SELECT decision_id FROM agent_decisions TABLESAMPLE SYSTEM (1) LIMIT 9")
  from=$(date -u -d '30 days ago' +%Y-%m-%dT%H:00:00Z); to=$(date -u +%Y-%m-%dT%H:00:00Z)
  # A first pass of each, not counted: a fresh service's connections have not read the tables' (partitions') catalog
  # entries yet, nor PostgreSQL its caches the pages.
  for id in $ids; do rpc_ms orchestrator explain_decision "{\"decision_id\":\"$id\"}" >/dev/null; done
  rpc_ms orchestrator loop_report "{\"from\":\"$from\",\"to\":\"$to\"}" >/dev/null
  rpc_ms admin forget_learner "{\"user_id\":\"learner-$2\",\"request_id\":\"bench-warm-$2\"}" >/dev/null
  explain=$(for id in $ids; do rpc_ms orchestrator explain_decision "{\"decision_id\":\"$id\"}"; done | median)
  report=$(for _ in 1 2 3; do rpc_ms orchestrator loop_report "{\"from\":\"$from\",\"to\":\"$to\"}"; done | median)
  if [ -n "${COLD:-}" ]; then # both layouts' erasures from a cold OS page cache (root only)
    sync; echo 1 > /proc/sys/vm/drop_caches
  fi
  forget=$(rpc_ms admin forget_learner "{\"user_id\":\"$1\",\"request_id\":\"bench-$1\"}")
  stop_jvm
  echo "$explain $report $forget"
}
read -r EXPLAIN_P REPORT_P FORGET_P <<<"$(latencies child-1 1)"
log "partitioned: explain_decision $EXPLAIN_P ms, loop_report $REPORT_P ms, forget_learner $FORGET_P ms"
# The flat tables take the log tables' names (the partitioned ones step aside into schema parted).
sql "CREATE SCHEMA parted; ALTER TABLE public.agent_decisions SET SCHEMA parted; ALTER TABLE public.viral_events SET SCHEMA parted;
     ALTER TABLE flat.agent_decisions SET SCHEMA public; ALTER TABLE flat.viral_events SET SCHEMA public" >/dev/null
read -r EXPLAIN_F REPORT_F FORGET_F <<<"$(latencies child-2 2)"
log "flat: explain_decision $EXPLAIN_F ms, loop_report $REPORT_F ms, forget_learner $FORGET_F ms"
PARTS=$(sql "SELECT count(*) FROM log_partitions() WHERE parent = 'agent_decisions'")

REPORT="### Day partitions against unpartitioned log tables, $DECISIONS decisions ($(date -u +%Y-%m-%d), issue 28)

Command: \`$COMMAND\`. $(nproc) cores, load average at start $LOAD_AT_START (other sessions were running: the wall
times wait for a core; the insert CPU is the inserting backend's own). $DECISIONS decisions over $DAYS days
($PARTS day partitions per table), each with a request_id and an event, an exposure for every third, a shown and a
joined outcome for every thirtieth; $LEARNERS learners. Filled (partitioned) in ${FILL_S}s, copied into the flat
layout and indexed in ${COPY_S}s. Partitioned = V14 (agent_decisions and viral_events in day partitions on their
UUIDv7 keys, request_id claimed in request_claims by a trigger); flat = V13's tables and indexes for those two. Both
layouts share the unpartitioned loop_exposures and loop_outcomes (V14 keeps them so), counted in each.

| | partitioned (V14) | flat (V13) |
|---|---|---|
| insert: PostgreSQL CPU per decision (+ its event, 1/3 exposure, 1/15 outcome), batches of 64, median of $REPS | $(grep . <<<"${CPU[public]}" | median) us | $(grep . <<<"${CPU[flat]}" | median) us |
| insert: wall per decision | $(grep . <<<"${WALL[public]}" | median) us | $(grep . <<<"${WALL[flat]}" | median) us |
| disk per million decisions (tables, indexes, TOAST; + request_claims) | $(per_million "$DISK_P") | $(per_million "$DISK_F") |
| \`explain_decision\` (median of 9 random decisions, after a first pass) | $EXPLAIN_P ms | $EXPLAIN_F ms |
| \`loop_report\`, last 30 days of whole hours (median of 3) | $REPORT_P ms | $REPORT_F ms |
| \`forget_learner\` of a learner with $CHILD_DECISIONS decisions spread over every day | $FORGET_P ms | $FORGET_F ms |"
echo "$REPORT"
[ "$RESULTS" = /dev/null ] || printf '\n%s\n' "$REPORT" >>"$RESULTS"
