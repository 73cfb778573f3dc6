#!/usr/bin/env bash
# Issue 27: what safe peeking buys. A/A tests (both arms with the same true joins per learner) read once a day for
# DAYS days: the share of experiments that some day's fixed-horizon 95% interval of the lift declared significant,
# against the always-valid (mSPRT) interval's, computed with loop_report's own classes (report/PeekingSimulation).
# Four worlds: a 50/50 and a 95/5 split (the default holdout), at 1,000 and 200 learners a day. Writes one CSV per
# world and bench/peeking.svg (the 95/5, 1,000-a-day world, both intervals), and prints the day-1 and last-day rates.
#
# Environment (all optional): RUNS (4000 experiments per world), DAYS (30), RATE (0.05 joins per learner), TUNING_N
# (5000: report.sequential_tuning_n), SEED (1), SVG (bench/peeking.svg), JAVA, JAR. Takes a few seconds; no database.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

JAVA=${JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}; [ -x "$JAVA" ] || JAVA=java
JAR=${JAR:-target/viral-engine.jar}
RUNS=${RUNS:-4000} DAYS=${DAYS:-30} RATE=${RATE:-0.05} TUNING_N=${TUNING_N:-5000} SEED=${SEED:-1}
SVG=${SVG:-bench/peeking.svg}
ensure_jar viralengine/report/PeekingSimulation.class
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "| split (treatment/holdout) | learners a day | fixed, day 1 | fixed, day $DAYS | sequential, day 1 | sequential, day $DAYS |"
echo "|---|---|---|---|---|---|"
for world in "0.5 1000" "0.05 1000" "0.5 200" "0.05 200"; do
  read -r share perday <<<"$world"
  name="holdout-${share}-${perday}"
  "$JAVA" -cp "$JAR" viralengine.report.PeekingSimulation "$RUNS" "$DAYS" "$perday" "$share" "$RATE" "$TUNING_N" "$SEED" \
    >"$WORK/$name.csv"
  first=$(sed -n 2p "$WORK/$name.csv"); last=$(tail -1 "$WORK/$name.csv")
  split=$(awk -v s="$share" 'BEGIN {printf "%g/%g", 100 * (1 - s), 100 * s}')
  echo "| $split | $perday | ${first#*,} | ${last#*,} |" | awk -F'[|,]' -v OFS=' | ' \
    '{printf "| %s | %s | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", $2, $3, 100*$4, 100*$6, 100*$5, 100*$7}'
done
cp "$WORK/holdout-0.05-1000.csv" "$WORK/95-5 split.csv"
REF=0.05 REF_LABEL="5 %" python3 bench/svgplot.py "$SVG" \
  "A/A tests read daily (95/5 split, 1,000 learners a day)" \
  "day" "share ever declared significant" "$WORK/95-5 split.csv"
log "wrote $SVG"
