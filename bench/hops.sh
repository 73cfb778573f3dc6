#!/usr/bin/env bash
# Issue 24: thread switches per decision, for one or more builds of the JAR, side by side in one run. CPU time per
# decision moves with the machine's load; the number of times the service's threads block and wake per decision
# (a thread hop is a wake-up) moves much less, so this compares designs on a shared, busy box.
#
# For each JAR in JARS (space-separated paths; default target/viral-engine.jar), in turn, against its own throwaway
# database: start the service, seed LEARNERS learners (bench/lib.sh seed_learners), then for P1 (no loop active) and
# P2 (the four seeded loops active): warm up WARMUP at CONNS connections, then a closed loop `wrk -t THREADS -c CONNS
# -d DURATION` of select_loop with a request_id (bench/decide.lua). Per run:
#   decisions  rows added to agent_decisions (after the decision log settled);
#   switches   voluntary and involuntary context switches of all the service's threads (/proc/PID/task/*/status),
#              per decision; a voluntary switch is a thread that blocked (waiting for work, a lock, I/O);
#   JVM µs     utime+stime of the service (/proc/PID/stat) per decision.
# Environment (all optional): JARS, JAVA, JAVA_OPTS (-Xmx96m -XX:+UseSerialGC), LEARNERS (20000), WARMUP (20s),
# DURATION (15s), CONNS (32), THREADS (2), SERVICE_ENV (as bench/cost.sh's), PGHOST, PGPORT, PGUSER, RESULTS
# (bench/RESULTS.md). A benchmark, not a test: CI does not run it.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JARS JAVA JAVA_OPTS LEARNERS WARMUP DURATION CONNS THREADS SERVICE_ENV)$0${*:+ $*}"
cd "$(dirname "$0")/.."

LEARNERS=${LEARNERS:-20000}
WARMUP=${WARMUP:-20s}
DURATION=${DURATION:-15s}
decision_bench_defaults
JARS=${JARS:-$JAR}
SERVICE_ENV=${SERVICE_ENV:-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0}
RESULTS=${RESULTS:-bench/RESULTS.md}
for v in WARMUP DURATION; do
  [[ ${!v} =~ ^[0-9]+[sm]?$ ]] || { echo "$v must be a duration wrk takes (20, 20s, 2m), got '${!v}'" >&2; exit 1; }
done
for jar in $JARS; do [ -f "$jar" ] || { echo "JARS: no such file: $jar" >&2; exit 1; }; done
install_missing wrk:wrk
CLK_TCK=$(getconf CLK_TCK)

switches() { # voluntary and involuntary context switches of every thread of $1
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v + 0, n + 0}'
}
decisions() { sql "SELECT count(*) FROM agent_decisions"; }

ROWS=()
for jar in $JARS; do
  JAR=$jar
  bench_setup bench_hops_
  start_service "$JAVA" hops "$SERVICE_ENV ORCHESTRATOR_LOOPS_REFRESH_MS=1000" "$JAVA_OPTS"
  ready_ms=$(wait_ready)
  log "$jar: ready after $ready_ms ms (pid $PID, database $DB)"
  seed_learners "$LEARNERS"
  for phase in P1 P2; do
    if [ "$phase" = P1 ]; then loops false; else loops true; fi
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/decide.lua "$BASE" -- "$DB-warm-$phase" "$LEARNERS" >/dev/null
    settle
    read -r v0 n0 <<<"$(switches "$PID")"; t0=$(ticks_pid "$PID"); d0=$(decisions); l0=$(load)
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/decide.lua "$BASE" -- "$DB-$phase" "$LEARNERS" >/dev/null
    settle
    read -r v1 n1 <<<"$(switches "$PID")"; t1=$(ticks_pid "$PID"); d1=$(decisions)
    n=$(( d1 - d0 ))
    row=$(awk -v j="$jar" -v p="$phase" -v n="$n" -v v="$(( v1 - v0 ))" -v i="$(( n1 - n0 ))" -v t="$(( t1 - t0 ))" \
      -v k="$CLK_TCK" -v l0="$l0" -v l1="$(load)" 'BEGIN {printf "| %s | %s | %d | %.1f | %.1f | %.0f | %s / %s |", j, p, n, v / n, i / n, t * 1e6 / k / n, l0, l1}')
    log "$row"
    ROWS+=("$row")
  done
  stop_jvm
  bench_cleanup
  trap - EXIT
done

{
  echo
  echo "## Thread switches per decision ($(date -u '+%Y-%m-%d %H:%M') UTC, bench/hops.sh)"
  echo
  echo "\`$COMMAND\`; $(nproc) cores; closed loop \`wrk -t$THREADS -c$CONNS -d$DURATION\` after $WARMUP of warm-up, $LEARNERS seeded learners."
  echo
  echo "| JAR | workload | decisions | voluntary switches / decision | involuntary / decision | JVM µs / decision | load before / after |"
  echo "|---|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee -a "$RESULTS"
