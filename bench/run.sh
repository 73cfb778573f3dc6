#!/usr/bin/env bash
# Issue 7: the service against its ceilings, in one run. Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default
# postgres@127.0.0.1:5432, allowed to CREATE DATABASE). Installs wrk, h2load (nghttp2-client) and sysstat with
# apt-get when missing, builds the JAR when missing, and works on a throwaway database bench_<random> (dropped at exit).
# Shared pieces (database, JVM start/stop, readiness, settling, pinning) are in bench/lib.sh.
#
# For each JDK in JDKS (default: JDK 17 and Temurin 25), with the same JVM flags (JAVA_OPTS) for every JVM:
#   startup  time from process start to GET /health/ready = 200, and RSS when idle;
#   A        the service: POST /mcp/orchestrator/{select_loop,trigger_event} with wrk and bench/rpc.lua (a unique
#            request_id per request) at each of CONNS connections, REPS repetitions (interleaved);
#   sweep    constant-rate load (open loop: h2load --h1 --rps, select_loop without request_id, client starts staggered,
#            see h2_open) stepping up through RATE_STEPS fractions of A's best select_loop rate: p50/p99/p99.9 from
#            h2load's per-request log;
#   B        the ceiling: viralengine.bench.BareRoute (a bare Vert.x route, fixed body of a select_loop answer's size,
#            http.instances = 2 x cores verticles like the service), same wrk script and connection counts;
# then once:
#   C        the database: pgbench inserting rows shaped like ours into agent_decisions (all 4 indexes + the unique
#            decision_id): one row per INSERT, and 50 rows per INSERT, at PG_CLIENTS clients;
#   shedding (SHEDDING=1) open-loop load at SHED_FACTOR x A's select_loop capacity for SHED_SECONDS, limits at their
#            defaults: by default HTTP/1.1 (what callers use) from SHED_CLIENTS=512 staggered connections, more than
#            the service admits (limits.max_concurrent_requests = 100 per instance x 4), so the connection count does
#            not cap the requests in flight before the service sheds. An HTTP/1.1 connection carries one request at a
#            time, so the generator can send at most SHED_CLIENTS / answer time (512 / 85 ms = 6,000 req/s): the
#            report's "sent at" rate (from h2load's log) shows when answers were slower than that and the load fell
#            short. SHED_PROTO=h2c for the former h2c load (SHED_CLIENTS default 16, SHED_STREAMS=1000 streams each).
#   cost     (COST=1, the default; COST=0 skips it) issue 13: bench/cost.sh, on its own throwaway database, with its
#            own service and BareRoute JVMs (the first JDK of JDKS): JVM and PostgreSQL CPU us per decision for P1 (no
#            loop active) and P2 (the four seeded loops active), each against the bare route's JVM us per request
#            (total / bare), as throughput against the bare route's (A/B), and PostgreSQL's against a pgbench floor
#            of DecisionStore.INSERT_DECISIONS for the same rows. See bench/cost.sh for what it measures and how.
# Prints and appends a dated section to bench/RESULTS.md (RESULTS=/dev/null to skip); the cost phase's table is printed
# with the others, and bench/cost.sh appends its own section "Issue 13: CPU per decision" just before this one.
#
# Warm-up: WARMUP (default 45s) is the load a JVM gets after each start before anything is measured, once per
# start: for the service a ninth of it at 2 connections (a cold JIT at once at 32 connections passes the 150 ms SLA
# and opens the breaker), then the rest at 32 connections split across the methods measured next; for BareRoute all
# of it at 32. 45 s because on this 2-core box C2 is still busy 30 s into load (-XX:+PrintCompilation: ~2,000
# compilations in 10-20 s, ~200 per 10 s at 20-40 s, settling after ~50 s counting the start; a C2 thread at 32 %
# CPU at 12 s), and a measurement that shares 2 cores with the compiler measures the compiler.
# Expected run time with the defaults: about 28 minutes (per JDK ~8 min: startup 0.5, A 0.75 warm-up + 3 measuring,
# sweep 1, B 0.75 + 1.5; then C 1, shedding 1.5 and cost ~10). ONLY=shedding: about 1.5 minutes; ONLY=cost: about 10.
#
# Environment (all optional): JDKS, JAR (target/viral-engine.jar), JAVA_OPTS (-Xmx96m -XX:+UseSerialGC: peak RSS
# stays under 256 MB), REPS (3), DURATION (10s), WARMUP (45s, see above), THREADS (2, wrk and pgbench threads),
# CONNS ("8 32 64"), RATE_STEPS ("0.1 0.25 0.5 0.75 0.9 1.0 1.25"), STEP_SECONDS (8), SWEEP_CLIENTS (128),
# PG_CLIENTS (32), SERVICE_ENV (env for the service in A and the sweep; default keeps the outage machinery out of the
# measurement: SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000, because with the
# service defaults the breaker opens under the first load on a 2-core box and A measures fallbacks; SERVICE_ENV="" for defaults), SHEDDING (1),
# ONLY=shedding (just the shedding demo; needs SHED_CAPACITY = A's select_loop req/s), ONLY=cost (just the cost
# phase, bench/cost.sh), SHED_FACTOR (2), SHED_SECONDS (15),
# SHED_PROTO (h1 | h2c), SHED_CLIENTS (512 for h1, 16 for h2c), SHED_STREAMS (h2c only, 1000),
# SHED_ENV (service env for the shedding demo; default empty = service defaults),
# GEN_CPUS (taskset CPU list for every load generator process: wrk, h2load, pgbench; default empty = no pinning),
# SVC_CPUS (taskset CPU list for the service JVM and the BareRoute JVM; default empty = no pinning; e.g.
# GEN_CPUS=0 SVC_CPUS=1 keeps generator and JVM off each other's core, PostgreSQL still floats),
# PGHOST, PGPORT, PGUSER, RESULTS (bench/RESULTS.md),
# COST (1; 0 = no cost phase), COST_<NAME> (NAME=value for bench/cost.sh only, e.g. COST_LEARNERS=5000 COST_DURATION=5s
# COST_PG_SECONDS=5). bench/cost.sh gets JAVA = the first of JDKS, and this script's JAR, JAVA_OPTS, THREADS, RESULTS
# (and GEN_CPUS, SVC_CPUS, PGHOST, PGPORT, PGUSER, BENCH_PORT, KEEP_WORK); REPS, DURATION, WARMUP and SERVICE_ENV only
# when set by the caller (else its own defaults: 3, 20s, 45s, bench/decisioning.sh's service env); never CONNS or
# PG_CLIENTS (a list, and 32 clients for C: for bench/cost.sh use COST_CONNS, COST_PG_CLIENTS). Variables only
# bench/cost.sh reads (LEARNERS, PG_SECONDS, ...) reach it from the environment as they are.
# A benchmark, not a test: CI does not run it.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
CALLER_COST_VARS=$(compgen -e COST_ || true) # the caller's COST_<NAME> settings for bench/cost.sh (exported: from the environment)
# shellcheck disable=SC2086 # names, no spaces
COMMAND="$(env_prefix JDKS JAR JAVA_OPTS REPS DURATION WARMUP THREADS CONNS RATE_STEPS STEP_SECONDS SWEEP_CLIENTS PG_CLIENTS \
  SERVICE_ENV SHEDDING SHED_FACTOR SHED_SECONDS SHED_PROTO SHED_CLIENTS SHED_STREAMS SHED_ENV SHED_CAPACITY GEN_CPUS SVC_CPUS ONLY \
  COST $CALLER_COST_VARS)$0${*:+ $*}"
CALLER_FOR_COST=$(env_prefix REPS DURATION WARMUP SERVICE_ENV) # passed on to bench/cost.sh when set (see above)
cd "$(dirname "$0")/.."

JDKS=${JDKS:-/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64}
JAR=${JAR:-target/viral-engine.jar}
JAVA_OPTS=${JAVA_OPTS:--Xmx96m -XX:+UseSerialGC}
REPS=${REPS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-45s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8 32 64}
RATE_STEPS=${RATE_STEPS:-0.1 0.25 0.5 0.75 0.9 1.0 1.25}
STEP_SECONDS=${STEP_SECONDS:-8}
SWEEP_CLIENTS=${SWEEP_CLIENTS:-128}
PG_CLIENTS=${PG_CLIENTS:-32}
SERVICE_ENV=${SERVICE_ENV-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000}
SHEDDING=${SHEDDING:-1}
SHED_FACTOR=${SHED_FACTOR:-2}
SHED_SECONDS=${SHED_SECONDS:-15}
SHED_PROTO=${SHED_PROTO:-h1}
case $SHED_PROTO in
  h1) SHED_CLIENTS=${SHED_CLIENTS:-512}; SHED_FLAGS="--h1" ;;
  h2c) SHED_CLIENTS=${SHED_CLIENTS:-16}; SHED_STREAMS=${SHED_STREAMS:-1000}; SHED_FLAGS="-m $SHED_STREAMS" ;;
  *) echo "SHED_PROTO must be h1 or h2c, not '$SHED_PROTO'" >&2; exit 1 ;;
esac
SHED_ENV=${SHED_ENV-}
COST=${COST:-1}
ONLY=${ONLY:-}
[[ $COST =~ ^[01]$ ]] || { echo "COST must be 1 (run the cost phase, bench/cost.sh) or 0, not '$COST'" >&2; exit 1; }
case $ONLY in "" | shedding | cost) ;; *) echo "ONLY must be empty, shedding or cost, not '$ONLY'" >&2; exit 1 ;; esac
RESULTS=${RESULTS:-bench/RESULTS.md}
LUA=bench/rpc.lua
NCPU=$(nproc)

# The cost phase: bench/cost.sh with this script's settings (see the header), its stdout (the tables) to $1.
run_cost() {
  local java args=() v
  java="$(awk '{print $1}' <<<"$JDKS")/bin/java"; [ -x "$java" ] || java=java
  args=("JAVA=$java" "JAR=$JAR" "JAVA_OPTS=$JAVA_OPTS" "THREADS=$THREADS" "RESULTS=$RESULTS")
  eval "args+=($CALLER_FOR_COST)" # env_prefix's VAR='value' words, quoted as given
  for v in $CALLER_COST_VARS; do args+=("${v#COST_}=${!v}"); done
  log "cost phase: bench/cost.sh with ${args[*]}"
  env -u CONNS -u PG_CLIENTS -u REPS -u DURATION -u WARMUP -u SERVICE_ENV "${args[@]}" bench/cost.sh >"$1"
}
if [ "$ONLY" = cost ]; then
  run_cost /dev/stdout
  exit 0
fi

install_missing wrk:wrk h2load:nghttp2-client pidstat:sysstat pgbench:postgresql-client
ensure_jar viralengine/bench/BareRoute.class
if [ "$SHEDDING" = 1 ] || [ "${ONLY:-}" = shedding ]; then # one file descriptor per h2load client, and as many again in the service
  nofile=$(ulimit -n)
  [ "$nofile" = unlimited ] || [ "$nofile" -gt $(( 2 * SHED_CLIENTS + 256 )) ] \
    || { echo "ulimit -n is $nofile: too low for SHED_CLIENTS=$SHED_CLIENTS (raise it or lower SHED_CLIENTS)" >&2; exit 1; }
fi
bench_setup bench_

# the service with SERVICE_ENV and JAVA_OPTS; BareRoute with JAVA_OPTS. Both set PID, START_MS.
start_svc() { start_service "$1" "$2" "$SERVICE_ENV" "$JAVA_OPTS"; } # $1 java binary, $2 label
start_bare() { # $1 java binary, $2 label
  # shellcheck disable=SC2086
  start_jvm "bare-$2" "" "$1" $JAVA_OPTS -cp "$JAR" viralengine.bench.BareRoute "$PORT"
}
# warm_up PREFIX METHOD...: WARMUP of load in all, once per service start (see the header): select_loop at 2
# connections for a ninth of it, then the rest at 32 connections, split evenly across METHODs.
warm_up() {
  local total first rest m prefix=$1; shift
  total=$(secs "$WARMUP"); first=$(( total / 9 )); [ "$first" -ge 1 ] || first=1
  rest=$(( (total - first) / $# )); [ "$rest" -ge 1 ] || rest=1
  log "warm-up: select_loop at 2 connections for ${first}s, then 32 connections for ${rest}s per method ($*)"
  $GEN_PIN wrk -t"$THREADS" -c2 -d"${first}s" -s "$LUA" "$BASE" -- select_loop "$prefix-warm0" >/dev/null
  for m in "$@"; do
    $GEN_PIN wrk -t"$THREADS" -c32 -d"${rest}s" -s "$LUA" "$BASE" -- "$m" "$prefix-warm-$m" >/dev/null
  done
}

ROWS="$WORK/rows.tsv"; : >"$ROWS"
# columns: 1 jdk 2 target(A-select_loop|A-trigger_event|B) 3 conns 4 rep 5 rps 6 results/s 7 p50 8 p99 9 p99.9
#          10 ok 11 degraded 12 rpc_errors 13 non200 14 socket_errors 15 jvm cpu% 16 postgres cpu% 17 machine busy% 18 load
wrk_run() { # $1 jdk $2 target $3 method $4 conns $5 rep
  local j0 p0 a0 i0 j1 p1 a1 i1 out line l
  j0=$(ticks_pid "$PID"); p0=$(ticks_pg); read -r a0 i0 < <(ticks_all); l=$(load)
  local t0; t0=$(now_ms)
  out=$($GEN_PIN wrk -t"$THREADS" -c"$4" -d"$DURATION" --latency -s "$LUA" "$BASE" -- "$3" "$DB-$1-$2-c$4-r$5")
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

# Open-loop load with h2load: $1 total req/s, $2 seconds, $3 clients, $4 log file, $5 extra h2load flags (--h1, or
# -m N for h2c). Writes the flags it chose to LOG.cmd, h2load's output to LOG.out.
#
# Why the client starts are staggered: `h2load --rps=R -c C -D secs` connects all C clients at the same instant, and
# each client's --rps timer starts when it connects, so the timers fire in lock-step: every 1/R s all C clients send
# at once, and the latency measured is that of a burst of C concurrent requests, not of a constant-rate stream.
# Measured on this box at 320 req/s in all against the service: -c 1 --rps=320, mean 1.54 ms; -c 16 --rps=20,
# mean 5.35 ms; -c 16 --rps=20 with one client created every 3 ms (-r 1 --rate-period=3ms, spread over one 50 ms
# request interval), mean 1.37 ms: the same as a single client. So clients are created K every P ms, K/P within 10 %
# of the total rate per ms, so that the C starts spread over about one request interval (C/rate s) and each client's
# requests fall in its own slot. --rate-period takes whole ms only ("500us" and "0.5ms" are refused), so above about
# 1,000 req/s K > 1 clients start together: a burst of K instead of C (6 at 6,000 req/s). One h2load thread (-t 1): with -t N
# the rate must be at least N and each thread creates its share at the same instant. -r and -D are mutually
# exclusive in h2load, so the run length is set by -n = rate x seconds (each client sends n/C at rate/C req/s, so
# it lasts the same seconds, plus at most one request interval of stagger).
# h2load's own timer fires at most every 10 ms (repeat = max(0.01, 1/rps)), so a client above 100 req/s (h2c with few
# clients) still sends in small batches.
h2_open() {
  local rate=$1 n clients per period k
  n=$(awk -v r="$rate" -v s="$2" 'BEGIN {printf "%d", r * s + 0.5}'); [ "$n" -ge 1 ] || n=1
  clients=$3; [ "$clients" -le "$n" ] || clients=$n # h2load needs -n >= -c
  per=$(awk -v r="$rate" -v c="$clients" 'BEGIN {v = r / c; printf "%.3f", v < 0.01 ? 0.01 : v}')
  # K clients every P ms: the first P (so the smallest K) for which K/P is within 10 % of rate/1000
  read -r k period < <(awk -v r="$rate" 'BEGIN {
    if (r <= 0) {print 1, 1000; exit}
    for (p = 1; p <= 60000; p++) {k = int(r * p / 1000 + 0.5); if (k < 1) k = 1; e = k * 1000 / p / r - 1; if (e < 0) e = -e; if (e <= 0.1) break}
    print k, p}')
  echo "-c $clients -n $n -r $k --rate-period=${period}ms --rps=$per" >"$4.cmd"
  rm -f "$4" # h2load appends to an existing log file
  # shellcheck disable=SC2086
  $GEN_PIN h2load $5 -t 1 -c "$clients" -n "$n" -r "$k" --rate-period="${period}ms" --rps="$per" -d "$BODY" \
    -H 'content-type: application/json' --log-file="$4" "$BASE/mcp/orchestrator/select_loop" >"$4.out" 2>&1 || true
}
# h2_stats LOG TARGET: "target achieved p50 p99 p999 n200 n503 nother" from h2load's per-request log (start time in
# us since the epoch, status, latency in us; one line per request that ended). achieved = the rate at which requests
# were actually sent: (requests - 1) / (last start - first start), from the log's timestamps, not requests / the
# intended seconds: when the service falls behind, an HTTP/1.1 client waits for its answer before it sends the next
# request, the starts spread out, and achieved falls below target.
h2_stats() {
  sort -t$'\t' -k3,3n "$1" | awk -F'\t' -v target="$2" '
    {n++; lat[n] = $3 / 1000; if (n == 1 || $1 < t0) t0 = $1; if (n == 1 || $1 > t1) t1 = $1
     if ($2 == 200) ok++; else if ($2 == 503) shed++; else other++}
    END {
      if (n == 0) {print target, 0, "-", "-", "-", 0, 0, 0; exit}
      p50 = lat[int(n * 0.5) > 0 ? int(n * 0.5) : 1]; p99 = lat[int(n * 0.99) > 0 ? int(n * 0.99) : 1]; p999 = lat[int(n * 0.999) > 0 ? int(n * 0.999) : 1]
      printf "%s %.0f %.3f %.3f %.3f %d %d %d\n", target, (t1 > t0 ? (n - 1) / ((t1 - t0) / 1e6) : 0), p50, p99, p999, ok + 0, shed + 0, other + 0
    }'
}
# h2_rate RATE SECONDS CLIENTS LOG: one sweep step over HTTP/1.1; prints h2_stats's line
h2_rate() {
  h2_open "$1" "$2" "$3" "$4" --h1
  h2_stats "$4" "$1"
}
# latencies of accepted (200) and shed (503) requests separately, for the shedding demo, with how many took longer than the 150 ms SLA
h2_split() { # $1 log file
  for code in 200 503; do
    awk -F'\t' -v c="$code" '$2 == c {print $3 / 1000}' "$1" | sort -g | awk -v c="$code" '
      {v[NR] = $1; if ($1 > 150) late++} END {if (NR == 0) {print c, "n=0"; exit}
        i50 = int(NR * 0.5); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
        i999 = int(NR * 0.999); if (i999 < 1) i999 = 1
        printf "%s: n=%d p50=%.1f p99=%.1f p99.9=%.1f max=%.1f ms, over 150 ms: %d (%.3f%%)\n", c, NR, v[i50], v[i99], v[i999], v[NR], late, 100 * late / NR}'
  done
}
BODY="$WORK/select_loop.json"
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"select_loop","params":{"user_id":"learner-42","event_type":"session_ended"}}' >"$BODY"

SUMMARY="$WORK/summary.md"; : >"$SUMMARY"
SWEEPS="$WORK/sweeps.md"; : >"$SWEEPS"
declare -A STARTUP IDLE_RSS PEAK_RSS JDKNAME BEST_A
[ "$ONLY" = shedding ] && { SHEDDING=1; RUN_JDKS=""; } || RUN_JDKS=$JDKS
for jdk in $RUN_JDKS; do
  JAVA="$jdk/bin/java"; [ -x "$JAVA" ] || JAVA=java
  tag=$(basename "$jdk"); JDKNAME[$tag]=$("$JAVA" -version 2>&1 | head -n 1)
  log "=== $tag: ${JDKNAME[$tag]}"
  # startup: three fresh starts, time to ready and idle RSS 2 s after ready
  sts=""; idles=""
  for rep in $(seq 1 "$REPS"); do
    start_svc "$JAVA" "$tag-start$rep"; ms=$(wait_ready); sleep 2; idle=$(rss_kb "$PID" VmRSS)
    log "startup $rep: ${ms} ms to ready, idle RSS $(( idle / 1024 )) MB (load $(load))"
    sts+="$ms "; idles+="$idle "
    stop_jvm
  done
  STARTUP[$tag]="$(tr ' ' '\n' <<<"$sts" | grep . | median) ms (runs: $sts)"
  IDLE_RSS[$tag]="$(( $(tr ' ' '\n' <<<"$idles" | grep . | median | cut -d. -f1) / 1024 )) MB"

  # A: the service
  start_svc "$JAVA" "$tag-load"; wait_ready >/dev/null
  warm_up "$DB-$tag" select_loop trigger_event
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
    echo "**$tag** (${JDKNAME[$tag]}): A's best select_loop rate $best/s; each step \`h2load --h1 -t 1 <flags> -d select_loop.json --log-file=...\`"
    echo
    echo "| step | target req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | 200 | 503 | other | load | h2load flags |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  } >>"$SWEEPS"
  for f in $RATE_STEPS; do
    rate=$(awk -v b="$best" -v f="$f" 'BEGIN {printf "%.0f", b * f}')
    l=$(load)
    logf="$WORK/h2-$tag-$f.log"
    r=$(h2_rate "$rate" "$STEP_SECONDS" "$SWEEP_CLIENTS" "$logf")
    log "  rate $f x: $r ($(cat "$logf.cmd"))"
    read -r tgt ach p50 p99 p999 n200 n503 nother <<<"$r"
    echo "| $f × | $tgt | $ach | $p50 | $p99 | $p999 | $n200 | $n503 | $nother | $l | \`$(cat "$logf.cmd")\` |" >>"$SWEEPS"
    settle
  done
  echo >>"$SWEEPS"
  PEAK_RSS[$tag]="$(( $(rss_kb "$PID" VmHWM) / 1024 )) MB"
  log "peak RSS ${PEAK_RSS[$tag]}"
  stop_jvm

  # B: the bare route
  start_bare "$JAVA" "$tag"; wait_ready >/dev/null
  $GEN_PIN wrk -t"$THREADS" -c32 -d"$WARMUP" -s "$LUA" "$BASE" -- select_loop warm >/dev/null
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
    out=$($GEN_PIN pgbench -n -M prepared -c "$PG_CLIENTS" -j "$THREADS" -T "$(secs "$DURATION")" -f "$WORK/$v.sql" "$DB" 2>&1) || { echo "$out" >&2; exit 1; }
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

# shedding: open loop at SHED_FACTOR x capacity, by default over HTTP/1.1 from SHED_CLIENTS staggered connections
# (h2_open), enough that in-flight requests are not capped by the connection count; SHED_PROTO=h2c for few
# connections with many streams each
SHED=""; SHED_DESC=""
if [ "$SHEDDING" = 1 ]; then
  first=$(echo "$JDKS" | awk '{print $1}'); tag=$(basename "$first"); JAVA="$first/bin/java"; [ -x "$JAVA" ] || JAVA=java
  cap=${SHED_CAPACITY:-${BEST_A[$tag]:-}}
  [ -n "$cap" ] || { echo "ONLY=shedding needs SHED_CAPACITY (A's select_loop req/s)" >&2; exit 1; }
  if [ "$ONLY" = shedding ]; then # the tables must exist: one start migrates them
    start_svc "$JAVA" "$tag-migrate"; wait_ready >/dev/null; stop_jvm
  fi
  rate=$(awk -v c="$cap" -v f="$SHED_FACTOR" 'BEGIN {printf "%.0f", c * f}')
  start_service "$JAVA" "$tag-shed" "$SHED_ENV" "$JAVA_OPTS"; wait_ready >/dev/null
  warm_up "$DB-shed" select_loop
  settle
  degraded0=$(curl -s "$BASE/metrics" | awk '/^viral_decisions_total\{.*outcome="degraded"/ {s += $2} END {printf "%d", s + 0}')
  l=$(load)
  logf="$WORK/shed.log"
  log "shedding: $rate req/s for ${SHED_SECONDS}s, $SHED_PROTO, $SHED_CLIENTS clients"
  h2_open "$rate" "$SHED_SECONDS" "$SHED_CLIENTS" "$logf" "$SHED_FLAGS"
  settle
  read -r _ achieved _ <<<"$(h2_stats "$logf" "$rate")"
  split=$(h2_split "$logf")
  total=$(wc -l <"$logf")
  breaker=$(curl -s "$BASE/mcp/orchestrator/health" | sed -n 's/.*"circuit_breaker":"\([a-z_]*\)".*/\1/p')
  degraded=$(( $(curl -s "$BASE/metrics" | awk '/^viral_decisions_total\{.*outcome="degraded"/ {s += $2} END {printf "%d", s + 0}') - ${degraded0%.*} ))
  stop_jvm
  SHED_DESC="$SHED_PROTO, \`h2load $SHED_FLAGS -t 1 $(cat "$logf.cmd")\`, clients created K every P ms over one request interval"
  SHED="target $rate req/s (${SHED_FACTOR} × $cap) for $SHED_SECONDS s, sent at $achieved req/s (from the log's start times), $total requests ended; load $l. Accepted (200) / shed (503): $(tr '\n' ';' <<<"$split"); breaker after: $breaker; degraded select_loop answers during the load (viral_decisions_total{outcome=degraded} delta): $degraded; service env: ${SHED_ENV:-(defaults)}; $(pinning_note)"
  log "shedding: $SHED"
  cp "$logf.out" "$WORK/shed-h2load.txt"
fi

# cost: bench/cost.sh (issue 13), on its own database and JVMs; it appends its own section to RESULTS. A failure is
# reported and this script's results are still printed and appended; then it exits with 1.
COST_TABLE="$WORK/cost.md"; : >"$COST_TABLE"; COST_RC=0
if [ "$COST" = 1 ] && [ "$ONLY" != shedding ]; then
  run_cost "$COST_TABLE" || { COST_RC=$?; log "the cost phase (bench/cost.sh) failed with exit status $COST_RC: no CPU per decision in this run"; }
fi

if [ "$ONLY" = shedding ]; then
  # shellcheck disable=SC2016 # the backquotes are markdown
  [ "$RESULTS" = /dev/null ] || printf '\n### Shedding demo (%s, `%s`)\n\n%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$COMMAND" \
    "Shedding ($SHED_DESC, limits.max_concurrent_requests default 100 per instance): $SHED" >>"$RESULTS"
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
if [ -s "$COST_TABLE" ]; then echo; echo "Issue 13, CPU per decision (bench/cost.sh):"; echo; cat "$COST_TABLE"; fi

if [ "$RESULTS" != /dev/null ]; then
  host_facts
  {
    echo
    echo "## Issue 7: service vs bare route vs database ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/run.sh)"
    echo
    echo "- Command: \`$COMMAND\`"
    echo "- Machine: $NCPU cores ($CPU), $MEM; PostgreSQL $PGV (fsync on, defaults); $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(h2load --version | head -n 1)."
    echo "  Load generator, service and PostgreSQL share the machine over loopback; $(pinning_note) (GEN_CPUS='${GEN_CPUS}', SVC_CPUS='${SVC_CPUS}'). Build: \`$JAR\` (sha256 $(sha256sum "$JAR" | cut -c1-12)), commit $REV$DIRTY."
    for jdk in $JDKS; do tag=$(basename "$jdk"); echo "- $tag: ${JDKNAME[$tag]}"; done
    echo "- JVM flags for every JVM (service and BareRoute): \`$JAVA_OPTS\`; service env: \`${SERVICE_ENV:-(defaults)}\` (http.instances = 2 × cores = $(( NCPU * 2 )), database.pool_size 8)."
    echo "- A/B: \`wrk -t$THREADS -c<N> -d$DURATION --latency -s $LUA URL -- <method> <prefix>\` after a $WARMUP warm-up per service start (a ninth at 2 connections, the rest at 32 split across the methods; BareRoute: $WARMUP at 32); $REPS repetitions, interleaved; medians."
    echo "  results/s counts non-degraded results only. CPU % = /proc ticks over the run (100 % = one core)."
    echo "- C: \`pgbench -n -M prepared -c $PG_CLIENTS -j $THREADS -T ${DURATION%s} -f <script>\` into agent_decisions (its 5 indexes), $REPS runs each."
    echo
    echo "| JDK | start to ready (median) | idle RSS | peak RSS (VmHWM, after all A runs and the sweep) | A best select_loop results/s |"
    echo "|---|---|---:|---:|---:|"
    for jdk in $JDKS; do tag=$(basename "$jdk"); echo "| $tag | ${STARTUP[$tag]} | ${IDLE_RSS[$tag]} | ${PEAK_RSS[$tag]} | ${BEST_A[$tag]} |"; done
    echo
    cat "$TABLE"; echo; echo "Ratios (medians of results/s; C = rows/s):"; echo; cat "$RATIOS"; echo
    echo "C, the database alone:"; echo; cat "$PGTABLE"; echo
    echo "Latency against offered load (select_loop, no request_id, open loop: each HTTP/1.1 client sends at rate/clients,"
    echo "the client starts staggered K every P ms over one request interval so the clients' timers do not fire together;"
    echo "achieved = (requests - 1) / (last start - first start) from h2load's per-request log):"; echo; cat "$SWEEPS"
    [ -n "$SHED" ] && { echo "Shedding ($SHED_DESC, limits.max_concurrent_requests default 100 per instance): $SHED"; echo; }
    [ -s "$COST_TABLE" ] && { echo "CPU per decision against the bare route and pgbench (the cost phase, bench/cost.sh, this invocation): the section \"Issue 13: CPU per decision\" just above."; echo; }
    echo "<details><summary>Every run (jdk, target, conns, rep, req/s, results/s, p50, p99, p99.9, ok, degraded, rpc errors, non-200, socket errors, JVM %, postgres %, busy %, load)</summary>"
    echo; echo '```'; cat "$ROWS" "$PGROWS"; echo '```'; echo; echo "</details>"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi
exit "$COST_RC"
