# shellcheck shell=bash disable=SC2034 # the variables set here are read by the scripts that source this
# Shared by the bench/ scripts (sourced, not run): tools, the JAR, a throwaway database, starting and stopping JVMs,
# waiting for readiness and for the decision log to settle, CPU pinning, CPU accounting from /proc (per process, and
# per database with a sampler), switching the seeded loops on and off, seeding learners (decisioning.sh, cost.sh).
#
# Sourcing defines functions only (and CLK_TCK, and GEN_PIN/SVC_PIN, empty until bench_setup), so a script can source it first
# and still tell which of its variables the caller set (env_prefix). It sets JAR before ensure_jar/start_service, calls bench_setup once (database, work
# directory, port, exit trap) and may set SETTLE_FATAL=1 (settle exits instead of logging and going on).
# Pinning (optional, taskset CPU lists such as "1" or "0,1"): GEN_CPUS for every load generator process (wrk,
# h2load, pgbench: run them as `$GEN_PIN wrk ...`), SVC_CPUS for every JVM started here (the service, BareRoute).
# Empty (the default) = no pinning.

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now_ms() { date +%s%3N; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
secs() { # a wrk-style duration (10, 10s, 2m) in whole seconds
  case $1 in *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}
# env_prefix VAR...: "VAR='value' " for each named variable that is set, to record how a script was invoked
env_prefix() {
  local var out=""
  for var in "$@"; do
    if [ -n "${!var+set}" ]; then out+="$var='${!var}' "; fi
  done
  printf '%s' "$out"
}

# install_missing COMMAND:PACKAGE...: apt-get installs the packages whose command is not on PATH
install_missing() {
  local need="" pair sudo=""
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=" ${pair#*:}"
  done
  [ -n "$need" ] || return 0
  log "installing$need"
  [ "$(id -u)" = 0 ] || sudo=sudo
  # shellcheck disable=SC2086
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null
}

# ensure_jar [CLASS_FILE]: builds the JAR when it is missing (or lacks CLASS_FILE, e.g. viralengine/bench/BareRoute.class)
ensure_jar() {
  if [ ! -f "$JAR" ] || { [ -n "${1:-}" ] && ! unzip -l "$JAR" "$1" >/dev/null 2>&1; }; then
    log "building $JAR"
    mvn -B -q -DskipTests package
    [ -f "$JAR" ] || { echo "$JAR is still missing after the build (the build writes target/viral-engine.jar)" >&2; exit 1; }
  fi
}

# CPU accounting from /proc (CLK_TCK ticks per second): ticks of one pid, of all live postgres processes, and of the
# whole machine; RSS fields; the 1-minute load average; us and pct turn ticks into us per unit and % of a core.
CLK_TCK=$(getconf CLK_TCK)
ticks_pid() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
ticks_pg() { local t=0 p; for p in $(pgrep -u postgres postgres 2>/dev/null || pgrep postgres); do t=$(( t + $(ticks_pid "$p") )); done; echo "$t"; }
ticks_all() { awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; } # total idle
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
load() { cut -d' ' -f1 /proc/loadavg; }
us() { awk -v t="$1" -v n="$2" -v k="$CLK_TCK" 'BEGIN {if (n > 0) printf "%.0f", t * 1e6 / k / n; else print "-"}'; } # ticks per n, in us
pct() { awk -v t="$1" -v k="$CLK_TCK" -v e="$2" 'BEGIN {printf "%.0f", t / k / (e / 1000) * 100}'; } # ticks over ms, as % of a core

GEN_PIN=""; SVC_PIN=""
# Checks the CPU lists and sets GEN_PIN / SVC_PIN (a "taskset -c LIST" prefix, or empty). taskset execs its
# command, so a pinned JVM keeps the pid that $! reports (the CPU and RSS accounting reads /proc/$PID).
setup_pinning() {
  GEN_CPUS=${GEN_CPUS:-}; SVC_CPUS=${SVC_CPUS:-}
  if [ -n "$GEN_CPUS" ]; then taskset -c "$GEN_CPUS" true || { echo "GEN_CPUS='$GEN_CPUS' is not a usable CPU list" >&2; exit 1; }; GEN_PIN="taskset -c $GEN_CPUS"; fi
  if [ -n "$SVC_CPUS" ]; then taskset -c "$SVC_CPUS" true || { echo "SVC_CPUS='$SVC_CPUS' is not a usable CPU list" >&2; exit 1; }; SVC_PIN="taskset -c $SVC_CPUS"; fi
}
pinning_note() {
  if [ -z "${GEN_CPUS:-}${SVC_CPUS:-}" ]; then echo "no CPU pinning"; return; fi
  echo "CPU pinning (taskset): load generators on CPUs ${GEN_CPUS:-any}, JVMs on CPUs ${SVC_CPUS:-any}"
}

# bench_setup DB_PREFIX: PostgreSQL check, throwaway database DB (dropped at exit), WORK directory (removed at
# exit unless KEEP_WORK is set; the database too unless KEEP_DB is set), DATABASE_URL, PORT (BENCH_PORT or a free one), BASE, pinning.
bench_setup() {
  export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
  setup_pinning
  pg_isready -q || { echo "PostgreSQL does not answer on $PGHOST:$PGPORT" >&2; exit 1; }
  DB="$1$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  WORK=$(mktemp -d)
  PID=""
  trap bench_cleanup EXIT
  psql -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
  DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB"
  PORT=${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 4101)}
  BASE="http://127.0.0.1:$PORT"
}
bench_cleanup() {
  pg_sampler_kill
  if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "${KEEP_DB:-}" ]; then log "kept database $DB (KEEP_DB)"; else
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
sql() { psql -d "$DB" -tAq -c "$1"; }

# start_jvm LOG_NAME "ENV ASSIGNMENTS" JAVA ARGS...: starts a JVM in the background (pinned to SVC_CPUS), output to
# $WORK/LOG_NAME.log; sets PID, START_MS and JVM_LOG.
start_jvm() {
  local name=$1 envs=$2; shift 2
  JVM_LOG="$WORK/$name.log"
  START_MS=$(now_ms)
  # shellcheck disable=SC2086
  env $envs $SVC_PIN "$@" >"$JVM_LOG" 2>&1 &
  PID=$!
}
# start_service JAVA LABEL "ENV ASSIGNMENTS" "JVM OPTIONS": the JAR on a fresh spool against DB, on PORT
start_service() {
  local spool="$WORK/spool-$2"; mkdir -p "$spool"
  # shellcheck disable=SC2086
  start_jvm "service-$2" "$3 DATABASE_URL=$DATABASE_URL PORT=$PORT HTTP_HOST=127.0.0.1 SPOOL_DIR=$spool" "$1" $4 -jar "$JAR"
}
# Prints the ms from START_MS to GET /health/ready = 200; exits when the JVM dies or is not ready in time.
# --max-time: a probe that connects while the HTTP verticles start can hang forever (an NPE in Vert.x's
# VertxHttpServerMetrics.requestBegin, "socketMetric is null", seen once in 12 starts on 2026-11-25).
wait_ready() {
  for _ in $(seq 1 3000); do
    if [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/health/ready" 2>/dev/null)" = 200 ]; then
      echo $(( $(now_ms) - START_MS )); return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.01
  done
  echo "not ready; log ($JVM_LOG):" >&2; tail -n 30 "$JVM_LOG" >&2; exit 1
}
stop_jvm() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
# Waits (up to 120 s) until every accepted decision is in PostgreSQL: nothing pending, the spool drained.
settle() {
  local h=""
  for _ in $(seq 1 1200); do
    h=$(curl -s --max-time 5 "$BASE/mcp/orchestrator/health")
    if grep -q '"pending_writes":0[,}]' <<<"$h" && grep -q '"spool":{"active":false,"depth":0}' <<<"$h"; then return 0; fi
    sleep 0.1
  done
  log "the decision log did not settle within 120 s: $h"
  if [ "${SETTLE_FATAL:-0}" = 1 ]; then exit 1; fi
}

# host_facts: sets CPU, MEM, PGV, REV and DIRTY (" + uncommitted changes" or empty) for the RESULTS.md sections
host_facts() {
  CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  MEM=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB RAM"}')
  PGV=$(psql -d postgres -tAq -c "SHOW server_version")
  REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  DIRTY=""
  if git status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then DIRTY=" + uncommitted changes"; fi
}

# --- PostgreSQL CPU of one database (after bench_setup: DB, WORK) ------------------------------------------------------
# pids of this database's backends (autovacuum workers included) and of the server's background processes, by process
# title ("postgres: 15/main: postgres bench_dec_1234abcd 127.0.0.1(5678) idle"): cheap enough to look up every sample.
# Other databases on the server (e.g. other engineers' test runs) are left out.
pg_pids() {
  pgrep -f -- "^postgres: .*( $DB( |\$)|: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher) *\$)" \
    | tr '\n' ' '
}
pg_tick_sample() { # $1 pids, $2 label: "label pid ticks" per live pid
  awk -v list="$1" -v s="$2" 'BEGIN {n = split(list, p, " "); for (i = 1; i <= n; i++) {f = "/proc/" p[i] "/stat"
    if ((getline line < f) > 0) {split(line, a, " "); print s, p[i], a[14] + a[15]}; close(f)}}'
}
# Samples every 0.2 s in the background (SAMPLER = its pid); pg_sampler_stop prints the ticks used since the start: per
# process, its last sample minus the start's, or minus 0 for a process that started later (a backend that exits loses
# at most its last 0.2 s). bench_cleanup kills a sampler still running.
pg_sampler_start() {
  PG_SAMPLES="$WORK/pg-samples.txt"
  pg_tick_sample "$(pg_pids)" 0 >"$PG_SAMPLES"
  ( i=1
    while :; do pg_tick_sample "$(pg_pids)" "$i"; i=$(( i + 1 )); sleep 0.2; done ) >>"$PG_SAMPLES" 2>/dev/null &
  SAMPLER=$!
}
pg_sampler_kill() { if [ -n "${SAMPLER:-}" ]; then kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; fi; }
pg_sampler_stop() {
  pg_sampler_kill
  pg_tick_sample "$(pg_pids)" end >>"$PG_SAMPLES"
  awk '$1 == "0" {base[$2] = $3} {last[$2] = $3} END {for (p in last) s += last[p] - base[p]; print s + 0}' "$PG_SAMPLES"
}

# --- the service's loops and learners (after bench_setup and start_service: DB, BASE) ------------------------------------
health() { curl -s --max-time 5 "$BASE/mcp/orchestrator/health"; }
# loops ACTIVE [COOLDOWN_SECONDS]: all four seeded loops on (true) or off (false), with every loop's cooldown_seconds set
# to COOLDOWN_SECONDS when given (else as seeded); waits until the service reports the new active_loops (start it
# with ORCHESTRATOR_LOOPS_REFRESH_MS=1000 or so: it reloads the loops at that interval)
loops() {
  local want=0 set="active = $1"; [ "$1" = true ] && want=4
  [ -z "${2:-}" ] || set+=", cooldown_seconds = $2"
  sql "UPDATE viral_loops SET $set" >/dev/null
  for _ in $(seq 1 300); do
    grep -q "\"active_loops\":${want}[,}]" <<<"$(health)" && return 0
    sleep 0.1
  done
  echo "the service did not report active_loops=$want within 30 s: $(health)" >&2; exit 1
}
# seed_learners N: after the service migrated the schema, N learner profiles learner-1 .. learner-N (time zones from a
# list that includes America/Los_Angeles, birth years, personas, consent, 2 % opted out, attributes), 1-5 past
# loop_exposures each over the last 10 days (the four loops' ids, fired_at spread out, selection_seq = that count) and
# a dismissal for every tenth learner; repeatable (setseed). Sets SEEDED (what is in the tables, for the report).
# day_partitions FIRST LAST (SQL date expressions): the day partitions (V14) of every day from FIRST to LAST, one
# transaction per day: a few hundred days' partitions in one run out of lock slots ("out of shared memory").
day_partitions() {
  for d in $(psql -d "$DB" -tAc "SELECT d::date FROM generate_series(($1)::timestamp, ($2)::timestamp, '1 day') d"); do
    echo "SELECT log_partition_create(t, '$d') FROM log_tables() t;"
  done | psql -q -d "$DB" -v ON_ERROR_STOP=1 >/dev/null
}

# past_partitions N: the day partitions (V14) of the N days before today, empty, as a service that kept N days has
# them (a read that does not prune pays for each); sets PARTITIONS_NOTE. Nothing on a schema without partitions.
past_partitions() {
  PARTITIONS_NOTE=""
  [ "$1" -gt 0 ] || return 0
  if [ "$(psql -d "$DB" -tAc "SELECT to_regproc('log_partition_create') IS NOT NULL")" != t ]; then
    PARTITIONS_NOTE="; no day partitions in this schema"; return 0
  fi
  log "creating the day partitions of the $1 past days"
  day_partitions "(now() AT TIME ZONE 'UTC')::date - $1" "(now() AT TIME ZONE 'UTC')::date - 1"
  PARTITIONS_NOTE="; $(psql -d "$DB" -tAc "SELECT count(*) FROM log_partitions()") day partitions ($1 past days)"
}

seed_learners() {
  local t0; t0=$(now_ms)
  log "seeding $1 learners, their exposure history and dismissals"
  psql -q -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT setseed(0.42);
-- 1-5 selections per learner over the last 10 days, of the four loops
INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at)
SELECT 'learner-' || g, v.ids[1 + floor(random() * 4)::int], gen_random_uuid(), now() - random() * interval '10 days'
FROM generate_series(1, $1) g
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM viral_loops) v
CROSS JOIN LATERAL generate_series(1, 1 + ((hashint4(g)::bigint + 2147483648) % 5)::int) k;
INSERT INTO learners (user_id, timezone, birth_year, persona, parental_consent, growth_opt_out, attributes, selection_seq)
SELECT 'learner-' || g,
  (ARRAY['UTC', 'America/Los_Angeles', 'America/New_York', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata',
         'Asia/Tokyo', 'Australia/Sydney'])[1 + g % 8],
  CASE WHEN g % 10 < 7 THEN 2008 + g % 11 ELSE 1960 + g % 40 END,
  CASE WHEN g % 10 < 7 THEN 'student' WHEN g % 10 < 9 THEN 'parent' ELSE 'tutor' END,
  (ARRAY['granted', 'denied', 'unknown'])[1 + g % 3],
  g % 50 = 0,
  jsonb_build_object('cohort_size', g % 40, 'school', 'school-' || g % 500),
  1 + ((hashint4(g)::bigint + 2147483648) % 5)
FROM generate_series(1, $1) g;
INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)
SELECT gen_random_uuid(), gen_random_uuid(), 'learner-' || g, v.ids[1 + floor(random() * 4)::int], 'dismissed',
  now() - random() * interval '10 days', '{}'
FROM generate_series(1, $1) g CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM viral_loops) v
WHERE g % 10 = 3;
VACUUM ANALYZE learners;
VACUUM ANALYZE loop_exposures;
VACUUM ANALYZE loop_outcomes;
CHECKPOINT;
SQL
  SEEDED="$(sql "SELECT count(*) FROM learners") learners, $(sql "SELECT count(*) FROM loop_exposures") past exposures, $(sql "SELECT count(*) FROM loop_outcomes") dismissals"
  log "seeded in $(( $(now_ms) - t0 )) ms: $SEEDED"
}

# decision_bench_defaults: the defaults bench/decisioning.sh and bench/cost.sh share (JDK 17, the JAR, the JVM flags of
# bench/run.sh, 100k learners, 3 reps of 20 s after a 45 s warm-up, 32 connections, 2 wrk threads); a variable the
# caller set is kept.
decision_bench_defaults() {
  JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}; [ -x "$JAVA" ] || JAVA=java
  JAR=${JAR:-target/viral-engine.jar}
  JAVA_OPTS=${JAVA_OPTS:--Xmx96m -XX:+UseSerialGC}
  LEARNERS=${LEARNERS:-100000}
  REPS=${REPS:-3}
  DURATION=${DURATION:-20s}
  WARMUP=${WARMUP:-45s}
  CONNS=${CONNS:-32}
  THREADS=${THREADS:-2}
}
