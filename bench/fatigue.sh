#!/usr/bin/env bash
# Issue 27: a world with fatigue, in process. The decision core (Decider with the service's own strategies,
# posteriors rebuilt hourly from the last 1,000 selections per loop, as the refresher does) against three loops whose
# invite rate drops after a learner is shown them and recovers over days (viralengine.bench.FatigueSimulation):
# the cumulative regret of priority, thompson and recovering over the same seeds, plotted to bench/fatigue.svg; then
# how long a guardrail (dismiss_rate, max_increase 0.10) takes to pause a harmful loop, and how often it pauses a
# harmless one, with loop_report's always-valid interval checked every hour.
#
# Environment (all optional): SEEDS (5), LEARNERS (500: each triggers one decision a day), DAYS (30), RUNS (1000
# guardrail runs per case), SVG (bench/fatigue.svg), JAVA, JAR. No service, no database: this measures the strategies,
# not the HTTP path (bench/simulate.sh drives the real service).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}; [ -x "$JAVA" ] || JAVA=java
JAR=${JAR:-target/viral-engine.jar}
SEEDS=${SEEDS:-5} LEARNERS=${LEARNERS:-500} DAYS=${DAYS:-30} RUNS=${RUNS:-1000}
SVG=${SVG:-bench/fatigue.svg}
ensure_jar viralengine/bench/FatigueSimulation.class
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

log "regret: $SEEDS seeds x $LEARNERS learners x $DAYS days per strategy"
"$JAVA" -cp "$JAR" viralengine.bench.FatigueSimulation regret "$SEEDS" "$LEARNERS" "$DAYS" >"$WORK/regret.csv" 2>"$WORK/summary.txt"
cat "$WORK/summary.txt"
echo
echo "| strategy | cumulative regret per decision, day 1 | day 10 | day $DAYS (mean of $SEEDS seeds) |"
echo "|---|---|---|---|"
for col in 2 3 4; do
  name=$(head -1 "$WORK/regret.csv" | cut -d, -f$col)
  echo "| $name | $(sed -n 2p "$WORK/regret.csv" | cut -d, -f$col) | $(sed -n 11p "$WORK/regret.csv" | cut -d, -f$col) | $(tail -1 "$WORK/regret.csv" | cut -d, -f$col) |"
done
python3 bench/svgplot.py "$SVG" "Regret under fatigue ($SEEDS seeds, $LEARNERS learners)" "day" \
  "cumulative regret per decision" "$WORK/regret.csv"
log "wrote $SVG"
echo
for case in "0.25 200 0.05" "0.25 2000 0.05" "0.15 2000 0.05" "0.08 2000 0.05"; do
  read -r dismiss perday holdout <<<"$case"
  echo "- $("$JAVA" -cp "$JAR" viralengine.bench.FatigueSimulation guardrail "$RUNS" "$perday" "$holdout" "$dismiss" 0.10)"
done
