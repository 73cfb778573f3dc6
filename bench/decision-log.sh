#!/usr/bin/env bash
# Decision-log benchmark: group commit (config A, the decision_log defaults) against one INSERT per
# request (config B, DECISION_LOG_MAX_BATCH=1 DECISION_LOG_MAX_DELAY_MS=0), on
# POST /mcp/orchestrator/trigger_event.
#
# For each repetition and each configuration (interleaved A, B, A, B, ...): start the JAR on a fresh
# spool against a throwaway database, wait for /health/ready, warm up, empty the audit tables, then run
# wrk at HIGH_CONN connections (throughput) and at LOW_CONN connections (a light closed-loop load, for
# the p99 comparison; wrk2 is not in Debian). After every run the rows written are checked against what
# wrk was told, so the benchmark also proves that no acknowledged decision was lost.
#
# Both configurations also get COMMON_ENV, which by default keeps the outage machinery out of the
# measurement: a flush is not diverted to the spool before 10 s, the caller's deadline is 2 s, the
# breaker does not open, and the in-flight bound stays fixed (no latency-driven shedding of a closed
# loop). With the service's defaults (COMMON_ENV="") slow flushes are spooled, late answers open the
# breaker and the adaptive bound sheds, so a run measures those instead of the write path (see
# bench/RESULTS.md). Runs where under 99% of the answers are results are marked INVALID.
#
# Warm-up: WARMUP (default 45s) at HIGH_CONN after each service start, because on this 2-core box C2 is still busy
# 30 s into load (-XX:+PrintCompilation: ~2,000 compilations in 10-20 s, ~200 per 10 s at 20-40 s, settling after
# ~50 s counting the start; a C2 thread at 32 % CPU at 12 s), and a run that shares 2 cores with the compiler
# measures the compiler. Expected run time with the defaults: about 9.5 minutes (REPS x 2 configurations x
# (start + 45 s warm-up + 2 x 20 s measuring + settling), ~95 s each).
#
# Prints a markdown table of medians and appends a dated section to bench/RESULTS.md. Shared pieces (database,
# JVM start/stop, readiness, settling, pinning) are in bench/lib.sh.
#
# Environment (all optional): JAR, CONFIG_FILE (conf/config.json, the file the JAR reads), REPS (3),
# DURATION (20s), WARMUP (45s, see above), THREADS (2), HIGH_CONN (32), LOW_CONN (4), COMMON_ENV (see above),
# GEN_CPUS (taskset CPU list for wrk; default empty = no pinning), SVC_CPUS (taskset CPU list for the service
# JVM; default empty), BENCH_PORT (a free port), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), RESULTS
# (bench/RESULTS.md; /dev/null to not record), BUILD_NOTE (where JAR was built from, when not here).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAR CONFIG_FILE REPS DURATION WARMUP THREADS HIGH_CONN LOW_CONN COMMON_ENV GEN_CPUS SVC_CPUS BENCH_PORT)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cd "$(dirname "$0")/.."

JAR=${JAR:-target/viral-engine.jar}
CONFIG_FILE=${CONFIG_FILE:-conf/config.json}
REPS=${REPS:-3}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-45s}
THREADS=${THREADS:-2}
HIGH_CONN=${HIGH_CONN:-32}
LOW_CONN=${LOW_CONN:-4}
COMMON_ENV=${COMMON_ENV-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0}
RESULTS=${RESULTS:-bench/RESULTS.md}
LUA=bench/rpc.lua
SETTLE_FATAL=1 # a run whose decisions do not all reach PostgreSQL cannot be checked

# name | env for the JAR | description
CONFIGS=(
  "A|DECISION_LOG_MAX_BATCH=64 DECISION_LOG_MAX_DELAY_MS=2|group commit (max_batch=64, max_delay_ms=2: the defaults)"
  "B|DECISION_LOG_MAX_BATCH=1 DECISION_LOG_MAX_DELAY_MS=0|one INSERT per request (max_batch=1, max_delay_ms=0)"
)

install_missing wrk:wrk
# shellcheck disable=SC2119 # any build of the JAR will do: no class to check for
ensure_jar
bench_setup bench_dl_

health() { curl -s "$BASE/mcp/orchestrator/health"; }

flushes() { # $1 = postgres|spool: decision-log flushes so far
  curl -s "$BASE/metrics" | grep "^viral_decision_log_flush_seconds_count{.*target=\"$1\"" | awk '{s += $2} END {printf "%d\n", s}'
}

# One measured run: prints a tab-separated results row (columns below) and keeps the raw wrk output.
#  1 config  2 conns  3 rep  4 req/s  5 results/s  6 p50  7 p99  8 results  9 rpc errors  10 -32001
#  11 -32002  12 -32003  13 non-200  14 socket errors  15 abandoned  16 rows success  17 rows failed
#  18 flushes to PostgreSQL  19 flushes to the spool  20 check
measure() { # $1 config, $2 connections, $3 repetition
  local prefix="$DB-$1-c$2-r$3" before_ok before_all before_pg before_spool out line
  before_ok=$(sql "SELECT count(*) FROM agent_decisions WHERE success")
  before_all=$(sql "SELECT count(*) FROM agent_decisions")
  before_pg=$(flushes postgres); before_spool=$(flushes spool)
  out=$($GEN_PIN wrk -t"$THREADS" -c"$2" -d"$DURATION" --latency -s "$LUA" "$BASE" -- trigger_event "$prefix")
  echo "$out" >"$WORK/wrk-$1-c$2-r$3.txt"
  settle
  line=$(grep '^BENCH ' <<<"$out")
  local rows_ok=$(( $(sql "SELECT count(*) FROM agent_decisions WHERE success") - before_ok ))
  local rows_failed=$(( $(sql "SELECT count(*) FROM agent_decisions") - before_all - rows_ok ))
  local pg=$(( $(flushes postgres) - before_pg )) spooled=$(( $(flushes spool) - before_spool ))
  local ok sent responses rpc e1 e2 e3 abandoned problems="" check
  ok=$(field ok "$line"); sent=$(field sent "$line"); responses=$(field responses "$line")
  rpc=$(field rpc_errors "$line"); e1=$(field timeout_32001 "$line"); e2=$(field circuit_open_32002 "$line")
  e3=$(field overloaded_32003 "$line")
  abandoned=$(( sent - responses ))
  # 1. Every result wrk was given has its success row; extra rows can only come from requests wrk
  #    abandoned when its time ran out (the service still answered them and wrote their rows).
  if [ "$rows_ok" -lt "$ok" ] || [ $(( rows_ok - ok )) -gt "$abandoned" ]; then problems+=" LOST-RESULT-ROWS"; fi
  # 2. Every -32001/-32002 answer has its fallback row (success=false), as the audit trail promises.
  if [ "$rows_failed" -lt $(( e1 + e2 )) ]; then problems+=" LOST-FALLBACK-ROWS"; fi
  # 3. The run measured the write path only if (nearly) every answer was a result.
  if [ $(( ok * 100 )) -lt $(( responses * 99 )) ]; then problems+=" INVALID(<99%-results)"; fi
  check=${problems# }
  printf '%s\t' "$1" "$2" "$3" "$(field rps "$line")" "$(field results_per_s "$line")" "$(field p50_ms "$line")" \
    "$(field p99_ms "$line")" "$ok" "$rpc" "$e1" "$e2" "$e3" "$(field non200 "$line")" "$(field socket_errors "$line")" \
    "$abandoned" "$rows_ok" "$rows_failed" "$pg" "$spooled"
  printf '%s\n' "${check:-ok}"
}

ROWS="$WORK/rows.tsv"
: >"$ROWS"
for rep in $(seq 1 "$REPS"); do
  for cfg in "${CONFIGS[@]}"; do
    IFS='|' read -r name cfg_env _ <<<"$cfg"
    log "rep $rep/$REPS config $name: starting"
    start_service java "$name-$rep" "$COMMON_ENV $cfg_env LOG_LEVEL=WARN" "-Dconfig.file=$CONFIG_FILE"
    wait_ready >/dev/null
    $GEN_PIN wrk -t"$THREADS" -c"$HIGH_CONN" -d"$WARMUP" -s "$LUA" "$BASE" -- trigger_event "$DB-$name-warmup-$rep" >/dev/null
    settle
    sql "TRUNCATE agent_decisions, viral_events, loop_exposures" && sql "CHECKPOINT"
    for conns in "$HIGH_CONN" "$LOW_CONN"; do
      row=$(measure "$name" "$conns" "$rep")
      echo "$row" >>"$ROWS"
      log "  c=$conns: $(awk -F'\t' '{printf "%s req/s, %s results/s, p50 %s ms, p99 %s ms, spooled flushes %s, check: %s", $4, $5, $6, $7, $19, $20}' <<<"$row")"
    done
    stop_jvm
  done
done

med() { awk -F'\t' -v c="$1" -v n="$2" -v col="$3" '$1==c && $2==n {print $col}' "$ROWS" | median; }
sum() { awk -F'\t' -v c="$1" -v n="$2" -v col="$3" '$1==c && $2==n {s+=$col} END {print s+0}' "$ROWS"; }

TABLE="$WORK/table.md"
{
  echo "| config | connections | req/s | results/s | p50 ms | p99 ms | rows per flush | errors (all runs) | flushes diverted to the spool (all runs) | checks |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for cfg in "${CONFIGS[@]}"; do
    IFS='|' read -r name _ desc <<<"$cfg"
    for conns in "$HIGH_CONN" "$LOW_CONN"; do
      checks=$(awk -F'\t' -v c="$name" -v n="$conns" '$1==c && $2==n && $20 != "ok" {bad = bad " " $20} END {print bad ? "**" bad " **" : "every run: no row lost"}' "$ROWS")
      rows=$(( $(sum "$name" "$conns" 16) + $(sum "$name" "$conns" 17) ))
      per_flush=$(awk -v r="$rows" -v f="$(sum "$name" "$conns" 18)" 'BEGIN {printf "%.1f", f ? r / f : 0}')
      errors=$(( $(sum "$name" "$conns" 9) + $(sum "$name" "$conns" 13) + $(sum "$name" "$conns" 14) ))
      printf '| %s: %s | %s | %.0f | %.0f | %.2f | %.2f | %s | %s | %s | %s |\n' "$name" "$desc" "$conns" \
        "$(med "$name" "$conns" 4)" "$(med "$name" "$conns" 5)" "$(med "$name" "$conns" 6)" "$(med "$name" "$conns" 7)" \
        "$per_flush" "$errors" "$(sum "$name" "$conns" 19)" "$checks"
    done
  done
} >"$TABLE"
RATIO=$(awk -v a="$(med A "$HIGH_CONN" 5)" -v b="$(med B "$HIGH_CONN" 5)" 'BEGIN {printf "%.2f", b ? a / b : 0}')
P99_RATIO=$(awk -v a="$(med A "$LOW_CONN" 7)" -v b="$(med B "$LOW_CONN" 7)" 'BEGIN {printf "%.2f", b ? a / b : 0}')

PER_RUN="$WORK/per-run.md"
{
  echo "| config | conns | rep | req/s | results/s | p50 ms | p99 ms | results | JSON-RPC errors | -32001 | -32002 | -32003 | non-200 | socket errors | abandoned at end | rows success | rows failed | flushes to PostgreSQL | flushes to the spool | check |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '{line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line}' "$ROWS"
} >"$PER_RUN"

echo
cat "$TABLE"
echo
echo "Ratio A/B, results/s at $HIGH_CONN connections: $RATIO. p99 at $LOW_CONN connections, A/B: $P99_RATIO."
echo
cat "$PER_RUN"

if [ "$RESULTS" != /dev/null ]; then
  [ -f "$RESULTS" ] || printf '# Benchmark results\n\nMeasured numbers, newest last. Each section names the command, the machine and the build.\n' >"$RESULTS"
  JDK=$(java -version 2>&1 | head -n 1)
  host_facts
  WRKV=$( (wrk -v 2>&1 || true) | head -n 1 | awk '{print $1, $2}')
  {
    echo
    echo "## Decision log: group commit vs one INSERT per request ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- Command: \`${COMMAND}\`. Per service start a ${WARMUP} warm-up at $HIGH_CONN connections, then"
    echo "  \`wrk -t$THREADS -c$HIGH_CONN -d$DURATION --latency -s $LUA http://127.0.0.1:PORT -- trigger_event PREFIX\` and"
    echo "  \`wrk -t$THREADS -c$LOW_CONN -d$DURATION --latency -s $LUA http://127.0.0.1:PORT -- trigger_event PREFIX\`"
    echo "  (POST /mcp/orchestrator/trigger_event, a unique request_id per request); $REPS repetitions, configurations"
    echo "  interleaved (A, B, A, B, ...); audit tables emptied and a CHECKPOINT taken after each warm-up."
    echo "- Machine: $(nproc) cores ($CPU), $MEM; $JDK; PostgreSQL $PGV (fsync on, defaults); $WRKV."
    echo "  Service, PostgreSQL and wrk share the machine, over loopback ($(pinning_note)); load average at start: $LOAD_AT_START,"
    echo "  at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) (this includes the benchmark itself; more than about 5 suggests other work on the machine)."
    echo "- Build: \`$JAR\` (sha256 $(sha256sum "$JAR" | cut -c1-12)), ${BUILD_NOTE:-repository at $REV$DIRTY}; default JVM flags."
    for cfg in "${CONFIGS[@]}"; do
      IFS='|' read -r name cfg_env desc <<<"$cfg"
      echo "- Config $name, $desc: \`$cfg_env\`"
    done
    echo "- Both configurations: \`${COMMON_ENV:-(service defaults)}\`; everything else at its default (database.pool_size=8, http.instances=4)."
    echo
    echo "Medians of $REPS runs (each column separately):"
    echo
    cat "$TABLE"
    echo
    echo "**Ratio A/B** (results/s at $HIGH_CONN connections): **$RATIO**. p99 at $LOW_CONN connections, A/B: $P99_RATIO."
    echo
    echo "Columns: results = HTTP 200 answers holding a JSON-RPC result; errors = JSON-RPC errors + non-200 + socket errors;"
    echo "rows per flush = new \`agent_decisions\` rows / the decision log's live flushes to PostgreSQL"
    echo "(\`viral_decision_log_flush_seconds_count{target=\"postgres\"}\`); flushes diverted to the spool = flushes slower"
    echo "than spool.flush_timeout_ms or unable to reach PostgreSQL (their rows are replayed before the row check, which"
    echo "waits for pending_writes=0 and an empty, inactive spool). Checks, after every run: the new success rows are at"
    echo "least the results wrk received and exceed them by no more than the requests wrk abandoned when its time ran out;"
    echo "every -32001/-32002 answer has its success=false row; INVALID marks a run where under 99% of answers were results."
    echo
    echo "<details><summary>Every run</summary>"
    echo
    cat "$PER_RUN"
    echo
    echo "</details>"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi

if grep -q LOST "$ROWS"; then
  echo "Row check failed: some answers have no row (see the check column)" >&2
  exit 1
fi
