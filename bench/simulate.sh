#!/usr/bin/env bash
# Issue 15: the bandit simulator. For each strategy (priority, random = uniform, thompson) it starts the REAL service
# (the JAR) on a throwaway database sim_<random> (dropped at exit) with selection.strategy set, and bench/simulate.py
# drives it over HTTP: synthetic learners with known true invite rates per loop and event type, a sleeping arm
# (eligible for one cohort only, through targeting), and a drift halfway. The invites go back through record_outcome.
# Then it plots bench/simulate.png (cumulative regret; Thompson's arm shares over time) and prints a summary table.
#
# Environment (all optional): DECISIONS (50000), THREADS (8), LEARNERS (2000), SEED (1), STRATEGIES
# ("priority random thompson"), REFRESH_MS (200: the bandit's snapshot), WINDOW (1000: the latest selections per arm
# the posteriors cover), PNG (bench/simulate.png), JAVA, JAR (target/viral-engine.jar, built when missing),
# JAVA_OPTS, PGHOST/PGPORT/PGUSER (postgres@127.0.0.1:5432, allowed to CREATE DATABASE).
# Then bench/fatigue.sh and bench/peeking.sh (issue 27; ISSUE27=0 skips them). A quick run: DECISIONS=6000 bench/simulate.sh. The 50,000-decision run takes about 10 minutes on 2 cores.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}; [ -x "$JAVA" ] || JAVA=java
JAR=${JAR:-target/viral-engine.jar}
JAVA_OPTS=${JAVA_OPTS:--Xmx256m}
STRATEGIES=${STRATEGIES:-priority random thompson}
REFRESH_MS=${REFRESH_MS:-200}
WINDOW=${WINDOW:-1000}
PNG=${PNG:-bench/simulate.png}
export DECISIONS=${DECISIONS:-50000} THREADS=${THREADS:-8} LEARNERS=${LEARNERS:-2000} SEED=${SEED:-1}

# The plot needs matplotlib: Debian's python3-matplotlib, for the system's python3 (a pyenv python3 first on PATH
# does not see it).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! $PY -c 'import matplotlib' 2>/dev/null; then
  log "installing python3-matplotlib"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-matplotlib >/dev/null
fi
ensure_jar
bench_setup sim_
RUNS=()
for strategy in $STRATEGIES; do
  psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  # No holdout (regret is about the learners the bandit serves), the seed for repeatable draws, a short refresh.
  start_service "$JAVA" "$strategy" "SELECTION_STRATEGY=$strategy SELECTION_SEED=$SEED SELECTION_REFRESH_MS=$REFRESH_MS \
SELECTION_WINDOW=$WINDOW EXPERIMENTS_HOLDOUT_PERCENT=0 LOG_LEVEL=WARN ORCHESTRATOR_TIMEOUT_MS=2000 \
SPOOL_FLUSH_TIMEOUT_MS=10000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0" "$JAVA_OPTS"
  ready_ms=$(wait_ready) # an assignment: set -e stops here when the service does not come up
  log "$strategy: service ready in $ready_ms ms; $DECISIONS decisions, $THREADS threads, $LEARNERS learners"
  $PY bench/simulate.py run "$BASE" "$strategy" "$WORK/$strategy.json"
  stop_jvm
  RUNS+=("$WORK/$strategy.json")
done
$PY bench/simulate.py plot "$PNG" "${RUNS[@]}"
log "wrote $PNG"

# Issue 27, in process (no service): the fatigue world (recovering vs Thompson over the same seeds, the guardrail's
# time to pause; bench/fatigue.svg) and A/A tests read daily (fixed vs always-valid intervals; bench/peeking.svg).
# ISSUE27=0 skips them.
if [ "${ISSUE27:-1}" = 1 ]; then
  bench/fatigue.sh
  bench/peeking.sh
fi
