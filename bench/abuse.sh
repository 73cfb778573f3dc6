#!/usr/bin/env bash
# Abuse resistance on loopback (issue 17): goodput under a 1,000-connection flood, and fairness between a flooding
# token A and a light token B. Every load run is bounded (at most 30 s) and only against 127.0.0.1.
#
#   bench/abuse.sh                      # builds target/viral-engine.jar if missing; about 2.5 minutes
#   JAR=... DURATION=15 FAIR_SECONDS=30 bench/abuse.sh
#
# 1. warm-up: A at 32 connections for WARMUP s (default 15);
# 2. goodput: A at 64 connections, then at 1,000, DURATION s each; real decisions/s = rows in agent_decisions with
#    success = true written during the run (after the decision log settles), over the run's length;
# 3. fairness: A floods at 1,000 connections for FAIR_SECONDS s while B (bench/light_client.py) sends 20 select_loop/s
#    from 3 s in to 3 s before the end: B's p99, its shed and degraded counts, and the breaker's state and openings.
# Output: one line per step on stderr, and a Markdown block to paste into bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
JAR=${JAR:-target/viral-engine.jar}
WARMUP=${WARMUP:-15}; DURATION=${DURATION:-15}; FAIR_SECONDS=${FAIR_SECONDS:-30}; THREADS=${THREADS:-2}
install_missing wrk:wrk
ensure_jar
bench_setup abuse_
TOKEN_A="bench-a-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TOKEN_B="bench-b-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
start_service java abuse "ORCHESTRATOR_API_TOKENS=a:decide:$TOKEN_A,b:decide+observe:$TOKEN_B" ""
ready_ms=$(wait_ready) # an assignment, so that set -e stops the script when the service does not come up
log "ready in $ready_ms ms"
LUA=bench/rpc.lua
load_avg() { cut -d" " -f1 /proc/loadavg; }
auth_b=(-H "Authorization: Bearer $TOKEN_B")
decided() { sql "SELECT count(*) FROM agent_decisions WHERE success"; }
settle_b() { # settle() reads health with token B
  local h=""
  for _ in $(seq 1 1200); do
    h=$(curl -s --max-time 5 "${auth_b[@]}" "$BASE/mcp/orchestrator/health")
    if grep -q '"pending_writes":0[,}]' <<<"$h" && grep -q '"spool":{"active":false,"depth":0}' <<<"$h"; then return 0; fi
    sleep 0.1
  done
  log "the decision log did not settle: $h"
}
metric() { curl -s "${auth_b[@]}" "$BASE/metrics" | awk -v m="$1" 'index($0, m) == 1 {print $NF}' | head -n 1; }

log "warm-up: A at 32 connections for ${WARMUP}s"
BENCH_TOKEN=$TOKEN_A wrk -t"$THREADS" -c32 -d"${WARMUP}s" -s "$LUA" "$BASE" -- select_loop "warm" >/dev/null
settle_b

goodput() { # $1 connections -> "decisions/s wrk-line"
  local d0 d1 out
  d0=$(decided)
  out=$(BENCH_TOKEN=$TOKEN_A wrk -t"$THREADS" -c"$1" -d"${DURATION}s" --latency -s "$LUA" "$BASE" -- select_loop "gp-c$1" | grep '^BENCH ')
  settle_b
  d1=$(decided)
  echo "$(awk -v d=$(( d1 - d0 )) -v s="$DURATION" 'BEGIN {printf "%.0f", d / s}') $out"
}
LOAD0=$(load_avg)
read -r G64 W64 < <(goodput 64); log "goodput at 64 connections: $G64 real decisions/s ($W64)"
read -r G1000 W1000 < <(goodput 1000); log "goodput at 1000 connections: $G1000 real decisions/s ($W1000)"

OPEN0=$(metric 'viral_circuit_breaker_transitions_total{to="open"')
log "fairness: A at 1000 connections for ${FAIR_SECONDS}s, B at 20/s"
BENCH_TOKEN=$TOKEN_A wrk -t"$THREADS" -c1000 -d"${FAIR_SECONDS}s" --latency -s "$LUA" "$BASE" -- select_loop "fair-a" >"$WORK/fair-a.txt" &
WRK=$!
sleep 3
B=$(python3 bench/light_client.py "$PORT" "$TOKEN_B" 20 $(( FAIR_SECONDS - 6 )))
STATE=$(curl -s "${auth_b[@]}" "$BASE/mcp/orchestrator/health" | sed -n 's/.*"circuit_breaker":"\([a-z_]*\)".*/\1/p')
wait "$WRK"
A=$(grep '^BENCH ' "$WORK/fair-a.txt")
OPEN1=$(metric 'viral_circuit_breaker_transitions_total{to="open"')
SHED_A=$(metric 'viral_admission_shed_total{token="a"'); SHED_B=$(metric 'viral_admission_shed_total{token="b"')
LOAD1=$(load_avg)
log "B: $B"; log "A: $A"; log "breaker at the end of B's run: $STATE; openings during the run: $(awk -v a="${OPEN0:-0}" -v b="${OPEN1:-0}" 'BEGIN {print b - a}')"
host_facts
cat <<MD

### Abuse resistance ($(date -u +%Y-%m-%d\ %H:%M) UTC, $REV$DIRTY; $CPU, $(nproc) CPUs; load average before/after: $LOAD0 / $LOAD1)
Command: \`$(env_prefix WARMUP DURATION FAIR_SECONDS THREADS)bench/abuse.sh\`; service defaults, tokens a (decide) and b (decide+observe).

| run | real decisions/s | wrk line |
|---|---:|---|
| A, 64 connections, ${DURATION}s | $G64 | \`$W64\` |
| A, 1000 connections, ${DURATION}s | $G1000 | \`$W1000\` |

Goodput at 1000 connections: $(awk -v a="$G1000" -v b="$G64" 'BEGIN {printf "%.0f%%", b ? a / b * 100 : 0}') of 64 connections.

Fairness (A floods at 1000 connections for ${FAIR_SECONDS}s; B at 20 requests/s for $(( FAIR_SECONDS - 6 ))s inside it):
- B: \`$B\`
- A: \`$A\`
- sheds by token: a=${SHED_A:-0}, b=${SHED_B:-0}; breaker at the end of B's run: **$STATE**; circuit openings during the run: $(awk -v a="${OPEN0:-0}" -v b="${OPEN1:-0}" 'BEGIN {print b - a}')
MD
