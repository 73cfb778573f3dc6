#!/usr/bin/env bash
# Issue 7: the service against its ceilings, in one run. Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default
# postgres@127.0.0.1:5432, allowed to CREATE DATABASE). Installs wrk, h2load (nghttp2-client) and sysstat with
# apt-get when missing, builds the JAR when missing, and works on a throwaway database bench_<random> (dropped at exit).
#
# For each JDK in JDKS (default: JDK 17 and Temurin 25), with the same JVM flags (JAVA_OPTS) for every JVM:
#   startup  time from process start to GET /health/ready = 200, and RSS when idle;
#   A        the service: POST /mcp/orchestrator/{select_loop,trigger_event} with wrk and bench/rpc.lua (a unique
#            request_id per request) at each of CONNS connections, REPS repetitions (interleaved);
#   sweep    constant-rate load (h2load --h1 --rps, select_loop without request_id) stepping up through RATE_STEPS
#            fractions of A's best select_loop rate: p50/p99/p99.9 from h2load's per-request log;
#   B        the ceiling: viralengine.bench.BareRoute (a bare Vert.x route, fixed body of a select_loop answer's size,
#            http.instances = 2 x cores verticles like the service), same wrk script and connection counts;
# then once:
#   C        the database: pgbench inserting rows shaped like ours into agent_decisions (all 4 indexes + the unique
#            decision_id): one row per INSERT, and 50 rows per INSERT, at PG_CLIENTS clients;
#   shedding (SHEDDING=1) open-loop h2c load at SHED_FACTOR x A's select_loop capacity, limits at their defaults.
# Prints and appends a dated section to bench/RESULTS.md (RESULTS=/dev/null to skip).
#
# Environment (all optional): JDKS, JAVA_OPTS (-Xmx96m -XX:+UseSerialGC: peak RSS stays under 256 MB), REPS (3), DURATION (10s), WARMUP (10s), THREADS (2),
# CONNS ("8 32 64"), RATE_STEPS ("0.1 0.25 0.5 0.75 0.9 1.0 1.25"), STEP_SECONDS (8), SWEEP_CLIENTS (128),
# PG_CLIENTS (32), SERVICE_ENV (env for the service in A and the sweep; default keeps the outage machinery out of the
# measurement: SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MAX_FAILURES=10000, because with the
# service defaults the breaker opens under the first load on a 2-core box and A measures fallbacks; SERVICE_ENV="" for defaults), SHEDDING (1),
# ONLY=shedding (just the shedding demo; needs SHED_CAPACITY = A's select_loop req/s), SHED_FACTOR (2), SHED_ENV (service env for the shedding demo; default empty = service defaults), PGHOST, PGPORT, PGUSER, RESULTS (bench/RESULTS.md).
# A benchmark, not a test: CI does not run it.
set -euo pipefail
COMMAND=""
for var in JDKS JAVA_OPTS REPS DURATION WARMUP THREADS CONNS RATE_STEPS STEP_SECONDS SWEEP_CLIENTS PG_CLIENTS SERVICE_ENV SHEDDING SHED_FACTOR SHED_ENV SHED_CAPACITY ONLY; do
  if [ -n "${!var+set}" ]; then COMMAND+="$var='${!var}' "; fi
done
COMMAND+="$0${*:+ $*}"
cd "$(dirname "$0")/.."

JDKS=${JDKS:-/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64}
JAVA_OPTS=${JAVA_OPTS:--Xmx96m -XX:+UseSerialGC}
REPS=${REPS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8 32 64}
RATE_STEPS=${RATE_STEPS:-0.1 0.25 0.5 0.75 0.9 1.0 1.25}
STEP_SECONDS=${STEP_SECONDS:-8}
SWEEP_CLIENTS=${SWEEP_CLIENTS:-128}
PG_CLIENTS=${PG_CLIENTS:-32}
SERVICE_ENV=${SERVICE_ENV-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MAX_FAILURES=10000}
SHEDDING=${SHEDDING:-1}
SHED_FACTOR=${SHED_FACTOR:-2}
SHED_ENV=${SHED_ENV-}
RESULTS=${RESULTS:-bench/RESULTS.md}
JAR=target/viral-engine.jar
LUA=bench/rpc.lua
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
load() { cut -d' ' -f1 /proc/loadavg; }

need=""
command -v wrk >/dev/null 2>&1 || need+=" wrk"
command -v h2load >/dev/null 2>&1 || need+=" nghttp2-client"
command -v pidstat >/dev/null 2>&1 || need+=" sysstat"
command -v pgbench >/dev/null 2>&1 || need+=" postgresql-client"
if [ -n "$need" ]; then
  log "installing$need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
if [ ! -f "$JAR" ] || ! unzip -l "$JAR" viralengine/bench/BareRoute.class >/dev/null 2>&1; then
  log "building $JAR"
  mvn -B -q -DskipTests package
fi
pg_isready -q || { echo "PostgreSQL does not answer on $PGHOST:$PGPORT" >&2; exit 1; }

DB="bench_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
psql -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
sql() { psql -d "$DB" -tAq -c "$1"; }
now_ms() { date +%s%3N; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# CPU accounting from /proc: ticks of one pid, of all postgres processes, and of the whole machine.
ticks_pid() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
ticks_pg() { local t=0 p; for p in $(pgrep -u postgres postgres 2>/dev/null || pgrep postgres); do t=$(( t + $(ticks_pid "$p") )); done; echo "$t"; }
ticks_all() { awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; } # total idle
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_jvm JAVA LABEL MAINSPEC... : starts a JVM in the background, sets PID, START_MS
start_service() { # $1 java binary, $2 label
  local spool="$WORK/spool-$2"; mkdir -p "$spool"
  START_MS=$(now_ms)
  # shellcheck disable=SC2086
  env $SERVICE_ENV DATABASE_URL="$DATABASE_URL" PORT="$PORT" HTTP_HOST=127.0.0.1 SPOOL_DIR="$spool" \
    "$1" $JAVA_OPTS -jar "$JAR" >"$WORK/service-$2.log" 2>&1 &
  PID=$!
}
start_bare() { # $1 java binary, $2 label
  START_MS=$(now_ms)
  # shellcheck disable=SC2086
  "$1" $JAVA_OPTS -cp "$JAR" viralengine.bench.BareRoute "$PORT" >"$WORK/bare-$2.log" 2>&1 &
  PID=$!
}
# --max-time: a probe that connects while the HTTP verticles start can hang forever (an NPE in Vert.x's
# VertxHttpServerMetrics.requestBegin, "socketMetric is null", seen once in 12 starts on 2026-11-25).
wait_ready() { # prints ms from start to 200 on /health/ready
  for _ in $(seq 1 3000); do
    if [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/health/ready" 2>/dev/null)" = 200 ]; then
      echo $(( $(now_ms) - START_MS )); return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.01
  done
  echo "not ready; log:" >&2; tail -n 30 "$WORK"/*.log >&2; exit 1
}
stop_jvm() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
settle() { # the service: wait until every accepted decision is durable
  local h
  for _ in $(seq 1 1200); do
    h=$(curl -s --max-time 5 "$BASE/mcp/orchestrator/health")
    if grep -q '"pending_writes":0[,}]' <<<"$h" && grep -q '"spool":{"active":false,"depth":0}' <<<"$h"; then return 0; fi
    sleep 0.1
  done
  log "did not settle: $h"
}

ROWS="$WORK/rows.tsv"; : >"$ROWS"
# columns: 1 jdk 2 target(A-select_loop|A-trigger_event|B) 3 conns 4 rep 5 rps 6 results/s 7 p50 8 p99 9 p99.9
#          10 ok 11 degraded 12 rpc_errors 13 non200 14 socket_errors 15 jvm cpu% 16 postgres cpu% 17 machine busy% 18 load
wrk_run() { # $1 jdk $2 target $3 method $4 conns $5 rep
  local j0 p0 a0 i0 j1 p1 a1 i1 out line l
  j0=$(ticks_pid "$PID"); p0=$(ticks_pg); read -r a0 i0 < <(ticks_all); l=$(load)
  local t0; t0=$(now_ms)
  out=$(wrk -t"$THREADS" -c"$4" -d"$DURATION" --latency -s "$LUA" "$BASE" -- "$3" "$DB-$1-$2-c$4-r$5")
  local el=$(( $(now_ms) - t0 ))
  j1=$(ticks_pid "$PID"); p1=$(ticks_pg); read -r a1 i1 < <(ticks_all)
  echo "$out" >"$WORK/wrk-$1-$2-c$4-r$5.txt"
  line=$(grep '^BENCH ' <<<"$out")
  local cpu_j cpu_p busy
  cpu_j=$(awk -v d=$(( j1 - j0 )) -v t="$CLK_TCK" -v e="$el" 'BEGIN {printf "%.0f", d / t / (e / 1000) * 100}')
  cpu_p=$(awk -v d=$(( p1 - p0 )) -v t="$CLK_TCK" -v e="$el" 'BEGIN {printf "%.0f", d / t / (e / 1000) * 100}')
  busy=$(awk -v a=$(( a1 - a0 )) -v i=$(( i1 - i0 )) 'BEGIN {printf "%.0f", a ? (a - i) / a * 100 : 0}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$4" "$5" \
    "$(field rps "$line")" "$(field results_per_s "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
    "$(field p999_ms "$line")" "$(field ok "$line")" "$(field degraded "$line")" "$(field rpc_errors "$line")" \
    "$(field non200 "$line")" "$(field socket_errors "$line")" "$cpu_j" "$cpu_p" "$busy" "$l" | tee -a "$ROWS" >&2
}
med() { awk -F'\t' -v j="$1" -v t="$2" -v c="$3" -v col="$4" '$1==j && $2==t && $3==c {print $col}' "$ROWS" | median; }

# h2load at a constant rate: $1 total rate, $2 seconds, $3 clients, $4 extra h2load flags, $5 body file; prints
# "target achieved p50 p99 p999 n200 n503 nother" from the per-request log (latency of every request that ended).
h2_rate() {
  local per logf
  per=$(awk -v r="$1" -v c="$3" 'BEGIN {v = r / c; printf "%.3f", v < 0.01 ? 0.01 : v}')
  logf="$WORK/h2-$1-$RANDOM.log"
  # shellcheck disable=SC2086
  h2load $4 -c "$3" -t "$THREADS" --rps="$per" -D "$2" -d "$5" -H 'content-type: application/json' \
    --log-file="$logf" "$BASE/mcp/orchestrator/select_loop" >"$logf.out" 2>&1 || true
  sort -t$'\t' -k3,3n "$logf" | awk -F'\t' -v target="$1" -v secs="$2" '
    {n++; lat[n] = $3 / 1000; if ($2 == 200) ok++; else if ($2 == 503) shed++; else other++}
    END {
      if (n == 0) {print target, 0, "-", "-", "-", 0, 0, 0; exit}
      p50 = lat[int(n * 0.5) > 0 ? int(n * 0.5) : 1]; p99 = lat[int(n * 0.99) > 0 ? int(n * 0.99) : 1]; p999 = lat[int(n * 0.999) > 0 ? int(n * 0.999) : 1]
      printf "%s %.0f %.3f %.3f %.3f %d %d %d\n", target, n / secs, p50, p99, p999, ok + 0, shed + 0, other + 0
    }'
}
# latencies of accepted (200) and shed (503) requests separately, for the shedding demo
h2_split() { # $1 log file
  for code in 200 503; do
    awk -F'\t' -v c="$code" '$2 == c {print $3 / 1000}' "$1" | sort -g | awk -v c="$code" '
      {v[NR] = $1} END {if (NR == 0) {print c, 0, "-", "-", "-"; exit}
        i50 = int(NR * 0.5); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
        printf "%s %d %.3f %.3f %.3f\n", c, NR, v[i50], v[i99], v[NR]}'
  done
}
BODY="$WORK/select_loop.json"
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"select_loop","params":{"user_id":"learner-42","event_type":"session_ended"}}' >"$BODY"

SUMMARY="$WORK/summary.md"; : >"$SUMMARY"
SWEEPS="$WORK/sweeps.md"; : >"$SWEEPS"
declare -A STARTUP IDLE_RSS PEAK_RSS JDKNAME BEST_A
ONLY=${ONLY:-}
[ "$ONLY" = shedding ] && { SHEDDING=1; RUN_JDKS=""; } || RUN_JDKS=$JDKS
for jdk in $RUN_JDKS; do
  JAVA="$jdk/bin/java"; [ -x "$JAVA" ] || JAVA=java
  tag=$(basename "$jdk"); JDKNAME[$tag]=$("$JAVA" -version 2>&1 | head -n 1)
  log "=== $tag: ${JDKNAME[$tag]}"
  # startup: three fresh starts, time to ready and idle RSS 2 s after ready
  sts=""; idles=""
  for rep in $(seq 1 "$REPS"); do
    start_service "$JAVA" "$tag-start$rep"; ms=$(wait_ready); sleep 2; idle=$(rss_kb "$PID" VmRSS)
    log "startup $rep: ${ms} ms to ready, idle RSS $(( idle / 1024 )) MB (load $(load))"
    sts+="$ms "; idles+="$idle "
    stop_jvm
  done
  STARTUP[$tag]="$(tr ' ' '\n' <<<"$sts" | grep . | median) ms (runs: $sts)"
  IDLE_RSS[$tag]="$(( $(tr ' ' '\n' <<<"$idles" | grep . | median | cut -d. -f1) / 1024 )) MB"

  # A: the service
  start_service "$JAVA" "$tag-load"; wait_ready >/dev/null
  log "warm-up: 2 connections then 32, $WARMUP each, per method (a cold JIT at once at 32 connections passes the 150 ms SLA and opens the breaker)"
  wrk -t"$THREADS" -c2 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop "$DB-$tag-warm0" >/dev/null
  wrk -t"$THREADS" -c32 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop "$DB-$tag-warm" >/dev/null
  wrk -t"$THREADS" -c32 -d"$WARMUP" -s "$LUA" "$BASE" -- trigger_event "$DB-$tag-warm" >/dev/null
  settle
  for rep in $(seq 1 "$REPS"); do
    for method in select_loop trigger_event; do
      for c in $CONNS; do wrk_run "$tag" "A-$method" "$method" "$c" "$rep"; settle; done
    done
  done
  best=0
  for c in $CONNS; do v=$(med "$tag" A-select_loop "$c" 6); best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (b > a) ? b : a}'); done
  BEST_A[$tag]=$best
  # latency against load
  log "sweep: constant rate, steps of $best/s"
  {
    echo "**$tag** (${JDKNAME[$tag]}): \`h2load --h1 -c $SWEEP_CLIENTS -t $THREADS --rps=<rate/$SWEEP_CLIENTS> -D $STEP_SECONDS -d select_loop.json --log-file=...\`, A's best select_loop rate $best/s"
    echo
    echo "| step | target req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | 200 | 503 | other | load |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  } >>"$SWEEPS"
  for f in $RATE_STEPS; do
    rate=$(awk -v b="$best" -v f="$f" 'BEGIN {printf "%.0f", b * f}')
    l=$(load)
    r=$(h2_rate "$rate" "$STEP_SECONDS" "$SWEEP_CLIENTS" "--h1" "$BODY")
    log "  rate $f x: $r"
    read -r tgt ach p50 p99 p999 n200 n503 nother <<<"$r"
    echo "| $f × | $tgt | $ach | $p50 | $p99 | $p999 | $n200 | $n503 | $nother | $l |" >>"$SWEEPS"
    settle
  done
  echo >>"$SWEEPS"
  PEAK_RSS[$tag]="$(( $(rss_kb "$PID" VmHWM) / 1024 )) MB"
  log "peak RSS ${PEAK_RSS[$tag]}"
  stop_jvm

  # B: the bare route
  start_bare "$JAVA" "$tag"; wait_ready >/dev/null
  wrk -t"$THREADS" -c32 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop warm >/dev/null
  for rep in $(seq 1 "$REPS"); do
    for c in $CONNS; do wrk_run "$tag" B select_loop "$c" "$rep"; done
  done
  stop_jvm
done

# C: the database alone, into the tables the service just used (emptied first)
if [ "$ONLY" != shedding ]; then
sql "TRUNCATE agent_decisions, viral_events, loop_exposures" && sql "CHECKPOINT"
# Rows shaped like ours (jsonb built with functions: pgbench reads ":name" in a script as a variable)
ROW_VALUES="gen_random_uuid(), 'pgb-' || gen_random_uuid(), 'orchestrator', 'select_loop',
  jsonb_build_object('user_id', 'learner-42', 'event_type', 'session_ended', 'request_id', 'bench-1-123456'),
  jsonb_build_object('decision_id', gen_random_uuid(), 'loop', NULL, 'eligible_loops', jsonb_build_array(),
    'rationale', 'Phase 1: Event logged, no loops active yet', 'latency_ms', 0.443545),
  'Phase 1: Event logged, no loops active yet',
  jsonb_build_object('active_loops', 0, 'checks', jsonb_build_object('buddy_challenge', 'inactive',
    'results_rally', 'inactive', 'proud_parent', 'inactive', 'tutor_spotlight', 'inactive')),
  NULL, NULL, 0.443545, true"
COLS="agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale, features_used, loop_id, event_id, latency_ms, success)"
printf 'INSERT INTO %s VALUES (%s);\n' "$COLS" "$ROW_VALUES" >"$WORK/one.sql"
printf 'INSERT INTO %s SELECT %s FROM generate_series(1, 50);\n' "$COLS" "$ROW_VALUES" >"$WORK/fifty.sql"
PGROWS="$WORK/pg.tsv"; : >"$PGROWS"
for rep in $(seq 1 "$REPS"); do
  for v in one fifty; do
    per=1; [ "$v" = fifty ] && per=50
    l=$(load)
    out=$(pgbench -n -M prepared -c "$PG_CLIENTS" -j "$THREADS" -T "${DURATION%s}" -f "$WORK/$v.sql" "$DB" 2>&1) || { echo "$out" >&2; exit 1; }
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | head -n 1)
    lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
    rows=$(awk -v t="$tps" -v p="$per" 'BEGIN {printf "%.0f", t * p}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$rep" "$tps" "$rows" "$lat" "$l" | tee -a "$PGROWS" >&2
    sql "CHECKPOINT"
  done
done
pgmed() { awk -F'\t' -v v="$1" -v col="$2" '$1==v {print $col}' "$PGROWS" | median; }
C_ONE=$(pgmed one 4); C_FIFTY=$(pgmed fifty 4)
fi

# shedding: open loop at SHED_FACTOR x capacity, over h2c so in-flight requests are not capped by connections
SHED=""
if [ "$SHEDDING" = 1 ]; then
  first=$(echo "$JDKS" | awk '{print $1}'); tag=$(basename "$first"); JAVA="$first/bin/java"
  cap=${SHED_CAPACITY:-${BEST_A[$tag]:-}}
  [ -n "$cap" ] || { echo "ONLY=shedding needs SHED_CAPACITY (A's select_loop req/s)" >&2; exit 1; }
  if [ "$ONLY" = shedding ]; then # the tables must exist: one start migrates them
    start_service "$JAVA" "$tag-migrate"; wait_ready >/dev/null; stop_jvm
  fi
  rate=$(awk -v c="$cap" -v f="$SHED_FACTOR" 'BEGIN {printf "%.0f", c * f}')
  SAVED_ENV=$SERVICE_ENV; SERVICE_ENV=$SHED_ENV
  start_service "$JAVA" "$tag-shed"; wait_ready >/dev/null; SERVICE_ENV=$SAVED_ENV
  wrk -t"$THREADS" -c2 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop "$DB-shed-warm0" >/dev/null
  wrk -t"$THREADS" -c32 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop "$DB-shed-warm" >/dev/null; settle
  degraded0=$(curl -s "$BASE/metrics" | awk '/^viral_decisions_total\{.*outcome="degraded"/ {s += $2} END {printf "%d", s + 0}')
  l=$(load)
  logf="$WORK/shed.log"
  per=$(awk -v r="$rate" 'BEGIN {printf "%.3f", r / 16}')
  h2load -c 16 -m 1000 -t "$THREADS" --rps="$per" -D 15 -d "$BODY" -H 'content-type: application/json' \
    --log-file="$logf" "$BASE/mcp/orchestrator/select_loop" >"$logf.out" 2>&1 || true
  settle
  split=$(h2_split "$logf")
  total=$(wc -l <"$logf")
  breaker=$(curl -s "$BASE/mcp/orchestrator/health" | sed -n 's/.*"circuit_breaker":"\([a-z_]*\)".*/\1/p')
  degraded=$(( $(curl -s "$BASE/metrics" | awk '/^viral_decisions_total\{.*outcome="degraded"/ {s += $2} END {printf "%d", s + 0}') - ${degraded0%.*} ))
  stop_jvm
  SHED="target $rate req/s (${SHED_FACTOR} × $cap) for 15 s, $total requests ended; load $l. Accepted (200) / shed (503): $(tr '\n' ';' <<<"$split"); breaker after: $breaker; degraded select_loop answers during the load (viral_decisions_total{outcome=degraded} delta): $degraded; service env: ${SHED_ENV:-(defaults)}"
  log "shedding: $SHED"
  cp "$logf.out" "$WORK/shed-h2load.txt"
fi

if [ "$ONLY" = shedding ]; then
  [ "$RESULTS" = /dev/null ] || printf '\n### Shedding demo (%s, `%s`)\n\n%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$COMMAND" \
    "Shedding (h2c, \`h2load -c 16 -m 1000 --rps=<rate/16> -D 15\`): $SHED" >>"$RESULTS"
  exit 0
fi
# report
TABLE="$WORK/table.md"
{
  echo "| JDK | target | conns | req/s | results/s | p50 ms | p99 ms | p99.9 ms | degraded+errors (all runs) | JVM CPU % | postgres CPU % | machine busy % | load avg (median) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for jdk in $JDKS; do
    tag=$(basename "$jdk")
    for t in A-select_loop A-trigger_event B; do
      for c in $CONNS; do
        errs=$(awk -F'\t' -v j="$tag" -v t="$t" -v c="$c" '$1==j && $2==t && $3==c {s += $11 + $12 + $13 + $14} END {print s + 0}' "$ROWS")
        printf '| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$tag" "$t" "$c" \
          "$(med "$tag" "$t" "$c" 5)" "$(med "$tag" "$t" "$c" 6)" "$(med "$tag" "$t" "$c" 7)" "$(med "$tag" "$t" "$c" 8)" \
          "$(med "$tag" "$t" "$c" 9)" "$errs" "$(med "$tag" "$t" "$c" 15)" "$(med "$tag" "$t" "$c" 16)" "$(med "$tag" "$t" "$c" 17)" "$(med "$tag" "$t" "$c" 18)"
      done
    done
  done
} >"$TABLE"
RATIOS="$WORK/ratios.md"
{
  echo "| JDK | conns | A select_loop / B | A trigger_event / B | A select_loop / C 1-row | A select_loop / C 50-row | A select_loop / DESIGN 21k |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for jdk in $JDKS; do
    tag=$(basename "$jdk")
    for c in $CONNS; do
      a=$(med "$tag" A-select_loop "$c" 6); t=$(med "$tag" A-trigger_event "$c" 6); b=$(med "$tag" B "$c" 6)
      awk -v tag="$tag" -v c="$c" -v a="$a" -v t="$t" -v b="$b" -v c1="$C_ONE" -v c50="$C_FIFTY" \
        'BEGIN {printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", tag, c, a / b, t / b, a / c1, a / c50, a / 21000}'
    done
  done
} >"$RATIOS"
PGTABLE="$WORK/pg.md"
{
  echo "| variant | rows per INSERT | tps (median) | rows/s (median) | latency avg ms (median) | runs (tps) |"
  echo "|---|---:|---:|---:|---:|---|"
  for v in one fifty; do
    per=1; [ "$v" = fifty ] && per=50
    echo "| $v | $per | $(pgmed "$v" 3) | $(pgmed "$v" 4) | $(pgmed "$v" 5) | $(awk -F'\t' -v v="$v" '$1==v {printf "%s ", $3}' "$PGROWS")|"
  done
} >"$PGTABLE"
cat "$TABLE" "$RATIOS" "$PGTABLE" "$SWEEPS"
echo "$SHED"

if [ "$RESULTS" != /dev/null ]; then
  CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  MEM=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB RAM"}')
  PGV=$(psql -d postgres -tAq -c "SHOW server_version")
  REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)
  {
    echo
    echo "## Issue 7: service vs bare route vs database ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/run.sh)"
    echo
    echo "- Command: \`$COMMAND\`"
    echo "- Machine: $NCPU cores ($CPU), $MEM; PostgreSQL $PGV (fsync on, defaults); $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(h2load --version | head -n 1)."
    echo "  Load generator, service and PostgreSQL share the machine over loopback. Build: \`$JAR\` (sha256 $(sha256sum "$JAR" | cut -c1-12)), commit $REV$DIRTY."
    for jdk in $JDKS; do tag=$(basename "$jdk"); echo "- $tag: ${JDKNAME[$tag]}"; done
    echo "- JVM flags for every JVM (service and BareRoute): \`$JAVA_OPTS\`; service env: \`${SERVICE_ENV:-(defaults)}\` (http.instances = 2 × cores = $(( NCPU * 2 )), database.pool_size 8)."
    echo "- A/B: \`wrk -t$THREADS -c<N> -d$DURATION --latency -s $LUA URL -- <method> <prefix>\` after a $WARMUP warm-up per method; $REPS repetitions, interleaved; medians."
    echo "  results/s counts non-degraded results only. CPU % = /proc ticks over the run (100 % = one core)."
    echo "- C: \`pgbench -n -M prepared -c $PG_CLIENTS -j $THREADS -T ${DURATION%s} -f <script>\` into agent_decisions (its 5 indexes), $REPS runs each."
    echo
    echo "| JDK | start to ready (median) | idle RSS | peak RSS (VmHWM, after all A runs and the sweep) | A best select_loop results/s |"
    echo "|---|---|---:|---:|---:|"
    for jdk in $JDKS; do tag=$(basename "$jdk"); echo "| $tag | ${STARTUP[$tag]} | ${IDLE_RSS[$tag]} | ${PEAK_RSS[$tag]} | ${BEST_A[$tag]} |"; done
    echo
    cat "$TABLE"; echo; echo "Ratios (medians of results/s; C = rows/s):"; echo; cat "$RATIOS"; echo
    echo "C, the database alone:"; echo; cat "$PGTABLE"; echo
    echo "Latency against offered load (select_loop, no request_id, open loop per connection):"; echo; cat "$SWEEPS"
    [ -n "$SHED" ] && { echo "Shedding (h2c, \`h2load -c 16 -m 1000 --rps=<rate/16> -D 15\`, limits.max_concurrent_requests default 100 per instance): $SHED"; echo; }
    echo "<details><summary>Every run (jdk, target, conns, rep, req/s, results/s, p50, p99, p99.9, ok, degraded, rpc errors, non-200, socket errors, JVM %, postgres %, busy %, load)</summary>"
    echo; echo '```'; cat "$ROWS" "$PGROWS"; echo '```'; echo; echo "</details>"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi
