#!/usr/bin/env bash
# Issue 14: what clustering costs on this box. One node (cluster mode off), then 2 and 3 clustered nodes (the real
# JAR, one JVM each, on loopback, one throwaway database bench_cluster_<random>, dropped at exit). The nodes share
# the machine's cores, so throughput says little; the figure is the CPU per decision that clustering adds (the owner
# hop: serialising, the event-bus TCP round trip, the relay), at the SAME offered load in every configuration.
# Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default postgres@127.0.0.1:5432, allowed to CREATE DATABASE) and wrk;
# installs wrk with apt-get and builds the JAR when missing. Shared pieces are in bench/lib.sh.
#
# Per configuration (NODES in 1 2 3):
#   start     every node at once; "join" = the node's own "Joined cluster ... in N ms" log line (Hazelcast's join),
#             "ready" = start to GET /health/ready = 200 (for a clustered node: joined and in the owner ring).
#   warm-up   WARMUP of closed-loop select_loop on every node (bench/decide.lua, LEARNERS random learners, no loop
#             active: the Phase 1 path, so the hop is a large share of the cost and easy to see).
#   idle      IDLE seconds with no load: the JVMs' own CPU (timers, GC, Hazelcast heartbeats), subtracted pro rata
#             in the "minus idle" column, so that column is what the decisions themselves cost (the hop included).
#   measure   open loop (bench/decide.lua's OPEN_RATE mode) at RATE decisions/s in total, split evenly over the nodes'
#             HTTP ports, for DURATION. CPU per decision = utime+stime of all the nodes' JVMs (/proc/PID/stat) over
#             the rows logged in agent_decisions under this run's request_id prefix; "fwd" = the share of decisions
#             the receiving node forwarded to the learner's owner (health's cluster.affinity); RSS of each JVM after.
#   failover  (3 nodes) kill -9 of node 3, then: "ring" = ms until node 1's owner table is stable with 2 owners;
#             "decided" = ms until select_loop for 30 learners (about 10 of them node 3's) sent to node 1 are all
#             answered with a decision, not the degraded default (each call waits at most orchestrator.timeout_ms).
#
# Usage: bench/cluster.sh            (RATE=300 DURATION=20s WARMUP=10s LEARNERS=1000 OPEN_CONNS=4 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
INVOKED=$(env_prefix IDLE RATE DURATION WARMUP LEARNERS OPEN_CONNS)
IDLE=${IDLE:-10}; RATE=${RATE:-300}; DURATION=${DURATION:-20s}; WARMUP=${WARMUP:-10s}; LEARNERS=${LEARNERS:-1000}; OPEN_CONNS=${OPEN_CONNS:-4}
JAR=${JAR:-target/viral-engine.jar}
LUA=bench/decide.lua
install_missing wrk:wrk
ensure_jar
bench_setup bench_cluster_
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=(); PORTS=(); LOGS=(); STARTS=(); READY=(); JOIN=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap 'stop_all; bench_cleanup' EXIT
health() { curl -s --max-time 5 "http://127.0.0.1:$1/mcp/orchestrator/health"; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# start_nodes N: N nodes, clustered when N > 1, all started at once; prints "join_ms ready_ms" per node
start_nodes() {
  local n=$1 i members="" cports=() envs
  PORTS=(); LOGS=()
  for i in $(seq 1 "$n"); do cports+=("$(free_port)"); PORTS+=("$(free_port)"); done
  for i in $(seq 0 $((n - 1))); do members+="${members:+,}127.0.0.1:${cports[$i]}"; done
  for i in $(seq 0 $((n - 1))); do
    envs="ORCHESTRATOR_TIMEOUT_MS=500 CIRCUIT_BREAKER_MINIMUM_CALLS=100000"
    if [ "$n" -gt 1 ]; then
      envs+=" CLUSTER_ENABLED=true CLUSTER_NAME=bench-$DB CLUSTER_HOST=127.0.0.1 CLUSTER_PORT=${cports[$i]} CLUSTER_MEMBERS=$members"
    fi
    mkdir -p "$WORK/spool-$n-$i"
    start_jvm "node-$n-$i" "$envs DATABASE_URL=$DATABASE_URL PORT=${PORTS[$i]} HTTP_HOST=127.0.0.1 SPOOL_DIR=$WORK/spool-$n-$i" \
      java -jar "$JAR"
    PIDS+=("$PID"); LOGS+=("$JVM_LOG"); STARTS[$i]=$START_MS
  done
  for i in $(seq 0 $((n - 1))); do
    BASE="http://127.0.0.1:${PORTS[$i]}"; PID=${PIDS[$i]}; START_MS=${STARTS[$i]}; JVM_LOG=${LOGS[$i]}
    READY[$i]=$(wait_ready)
    JOIN[$i]=$(sed -n 's/.*Joined cluster [^ ]* in \([0-9]*\) ms.*/\1/p' "${LOGS[$i]}" | head -n 1)
  done
  PID=""
  if [ "$n" -gt 1 ]; then
    for _ in $(seq 1 300); do
      [ "$(health "${PORTS[0]}" | jq_py "d['cluster']['owners']['owner_count']")" = "$n" ] && break; sleep 0.1
    done
  fi
}
jvm_ticks() { local t=0 p; for p in "${PIDS[@]}"; do t=$(( t + $(ticks_pid "$p") )); done; echo "$t"; }
# wrk_all SECONDS PREFIX [OPEN]: one wrk per node in parallel; prints each BENCH line
wrk_all() {
  local i n=${#PORTS[@]} pids=()
  for i in $(seq 0 $((n - 1))); do
    if [ -n "${3:-}" ]; then
      OPEN_RATE=$(( RATE / n )) OPEN_CONNS=$OPEN_CONNS $GEN_PIN wrk -t"$OPEN_CONNS" -c"$OPEN_CONNS" -d"$1" -s "$LUA" \
        "http://127.0.0.1:${PORTS[$i]}" -- "$2-$i-" "$LEARNERS" >"$WORK/wrk-$i.out" 2>&1 &
    else
      $GEN_PIN wrk -t1 -c8 -d"$1" -s "$LUA" "http://127.0.0.1:${PORTS[$i]}" -- "$2-$i-" "$LEARNERS" >"$WORK/wrk-$i.out" 2>&1 &
    fi
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in $(seq 0 $((n - 1))); do grep '^BENCH' "$WORK/wrk-$i.out" || true; done
}
affinity_sum() { local p f=0; for p in "${PORTS[@]}"; do f=$(( f + $(health "$p" | jq_py "d.get('cluster',{}).get('affinity',{}).get('$1',0)") )); done; echo "$f"; }

host_facts
ROWS=""; FAILOVER=""
for NODES in 1 2 3; do
  log "starting $NODES node(s)"
  start_nodes "$NODES"
  log "warm-up $WARMUP"
  wrk_all "$WARMUP" "warm$NODES" >/dev/null
  settle_all() { local p; for p in "${PORTS[@]}"; do BASE="http://127.0.0.1:$p"; settle; done; }
  settle_all
  log "idle ${IDLE}s"
  i0=$(jvm_ticks); sleep "$IDLE"; i1=$(jvm_ticks)
  fwd0=$(affinity_sum forwarded); t0=$(jvm_ticks); pg0=$(ticks_pg); m0=$(now_ms)
  log "measuring $DURATION at $RATE/s"
  out=$(wrk_all "$DURATION" "run$NODES" open)
  settle_all
  t1=$(jvm_ticks); pg1=$(ticks_pg); fwd1=$(affinity_sum forwarded); m1=$(now_ms)
  decisions=$(sql "SELECT count(*) FROM agent_decisions WHERE request_id LIKE 'run$NODES-%' AND success")
  p50=$(grep -o 'open_p50_ms=[0-9.]*' <<<"$out" | cut -d= -f2 | median)
  p99=$(grep -o 'open_p99_ms=[0-9.]*' <<<"$out" | cut -d= -f2 | sort -g | tail -n 1)
  degraded=$(grep -o ' degraded=[0-9]*' <<<"$out" | cut -d= -f2 | paste -sd+ | bc)
  jvm_us=$(python3 -c "print(round(($t1-$t0)*1e6/$CLK_TCK/max($decisions,1)))")
  # The same minus what the JVMs burn with no load (timers, GC, Hazelcast heartbeats) over the same wall time.
  net_us=$(python3 -c "print(round((($t1-$t0)-($i1-$i0)*($m1-$m0)/1000/$IDLE)*1e6/$CLK_TCK/max($decisions,1)))")
  idle_ms=$(python3 -c "print(round(($i1-$i0)*1000/$CLK_TCK/$IDLE))")
  pg_us=$(python3 -c "print(round(($pg1-$pg0)*1e6/$CLK_TCK/max($decisions,1)))")
  fwd=$(python3 -c "print(round(100*($fwd1-$fwd0)/max($decisions,1)))")
  rss=$(for p in "${PIDS[@]}"; do echo $(( $(rss_kb "$p" VmRSS) / 1024 )); done | paste -sd/)
  join=$(IFS=/; echo "${JOIN[*]:-}"); ready=$(IFS=/; echo "${READY[*]}")
  ROWS+="| $NODES | ${join:--} | $ready | $decisions | $degraded | $fwd % | $idle_ms | $jvm_us | $net_us | $pg_us | $p50 | $p99 | $rss |"$'\n'
  if [ "$NODES" = 3 ]; then
    log "failover: kill -9 node 3"
    kill -KILL "${PIDS[2]}"; killed=$(now_ms); unset 'PIDS[2]'
    ring=""; decided=""
    while [ -z "$ring" ] || [ -z "$decided" ]; do
      if [ -z "$ring" ] && [ "$(health "${PORTS[0]}" | jq_py "d['cluster']['owners']['owner_count']")" = 2 ]; then ring=$(( $(now_ms) - killed )); fi
      if [ -z "$decided" ]; then
        ok=0
        for u in $(seq 1 30); do
          curl -s --max-time 5 -H 'content-type: application/json' "http://127.0.0.1:${PORTS[0]}/mcp/orchestrator" \
            -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"select_loop\",\"params\":{\"user_id\":\"learner-$u\"}}" | grep -q '"degraded"' || ok=$((ok + 1))
        done
        [ "$ok" = 30 ] && decided=$(( $(now_ms) - killed ))
      fi
      [ $(( $(now_ms) - killed )) -lt 60000 ] || break
    done
    FAILOVER="kill -9 of node 3 of 3: owner table stable with 2 owners after ${ring:-?} ms; 30 learners (about 10 of node 3's) all decided again, not degraded, after ${decided:-?} ms"
  fi
  stop_all
done

cat <<EOF

## Issue 14: cluster mode, 1 vs 2 vs 3 nodes on one box ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/cluster.sh)
Command: \`${INVOKED}bench/cluster.sh\` (RATE=$RATE DURATION=$DURATION WARMUP=$WARMUP LEARNERS=$LEARNERS OPEN_CONNS=$OPEN_CONNS);
$CPU, $(nproc) cores, $MEM, PostgreSQL $PGV, commit $REV$DIRTY, $(pinning_note), load average at the end $(load).
Open loop at $RATE select_loop/s in total, split evenly over the nodes; no loop active. 1 node = cluster mode off.

| nodes | join ms | start to ready ms | decisions | degraded | forwarded | idle JVM CPU ms/s (all nodes) | JVM CPU µs/decision (all nodes) | same, minus idle | PostgreSQL CPU µs/decision | p50 ms | p99 ms (worst node) | RSS MB per node |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
$ROWS
$FAILOVER
EOF
