#!/usr/bin/env bash
# Issue 12 ("Performance", item 6): the Phase 2 decision path against Phase 1, in ONE run, on one service JVM and one
# throwaway database bench_dec_<random> (dropped at exit). Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default
# postgres@127.0.0.1:5432, allowed to CREATE DATABASE), wrk (Debian's, built with LuaJIT) and pgbench; installs them
# with apt-get when missing and builds the JAR when missing. Shared pieces are in bench/lib.sh.
#
#  1. seed     the service migrates the schema; then SQL (seed_learners in bench/lib.sh) seeds LEARNERS profiles (time
#              zones from a list that includes America/Los_Angeles, birth years, personas, consent, 2 % opted out,
#              attributes), 1-5 past loop_exposures per learner over the last 10 days (the four loops' ids, fired_at
#              spread out, selection_seq = that count) and a dismissal for every tenth learner.
#  2. warm-up  WARMUP with no loop active (a ninth at 2 connections, then CONNS), then WARMUP with all four
#              active: both paths are compiled before anything is measured.
#  3. REPS x, interleaved:
#       P1  all loops inactive (Phase 1's shape: no learner read, no guard)
#       P2  all four loops active, real triggers, cooldown_seconds = COOLDOWN_SECONDS, the global rule of
#           orchestrator.daily_cap (3) per calendar day in the learner's zone
#     each: closed loop (wrk -c CONNS, DURATION) of select_loop for random learners of the LEARNERS (bench/decide.lua),
#     then open loop at one rate for both phases, OPEN_RATE or HALF x the slower phase's results/s in that rep (so
#     the two tails are compared at the same offered load; OPEN_CONNS connections, one per wrk thread, each on a fixed
#     schedule; latency from the intended send time, see bench/decide.lua). Switching sets viral_loops and waits
#     for GET /mcp/orchestrator/health to report the new active_loops (ORCHESTRATOR_LOOPS_REFRESH_MS=1000).
#     Per run: results/s, p50/p99, decisions logged (rows of agent_decisions), outcomes, CPU per decision:
#       JVM  utime+stime of the service's pid (/proc/PID/stat) / decisions logged;
#       PG   PostgreSQL processes / decisions logged, two ways: "db" = the backends of this database plus the
#            background processes (checkpointer, walwriter, ...), sampled every 0.2 s so a backend that exits is
#            still counted (other databases on the server, e.g. other engineers' test runs, are left out;
#            pg_sampler_start/stop in bench/lib.sh);
#            "all" = every postgres process, plus the postmaster's reaped children (cutime+cstime).
#  4. guard    the service stopped: pgbench (PG_CLIENTS clients, PG_SECONDS per run, PG_ROUNDS interleaved rounds)
#              of DecisionStore.INSERT_DECISIONS itself (read from the JAR with javap) with 64-row batches of
#              selections copied from the rows P2 logged, for random learners:
#                gen        only the SELECT that builds the 18 parameters (the baseline every variant pays);
#                no-guard   guard_seq NULL: decision rows only (that statement writes no exposure without a guard);
#                exposure   the guard CTE cut out (claim WHERE false, every row passes), exposure rows written;
#                guarded    as the service writes a selection: guard upsert on learners.selection_seq + decision
#                           + exposure.
#              PostgreSQL CPU (the "db" way) per row. guarded - exposure = the guard itself; guarded - no-guard
#              = guard + exposure row.
# Also: the fraction of P2's decisions that were selections, and viral_selections_stale_total from /metrics.
# Prints a summary and appends a section "Phase 2 decision path" to bench/RESULTS.md (RESULTS=/dev/null to skip).
#
# The in-process half of the invariant (one learner's calls run one at a time, Orchestrator.inLine) is in every P2
# run: it costs a map lookup per call, and a wait only when the same learner has a call in flight, which random
# learners of 100k almost never do. HOT_LEARNERS (default 8; 0 = skip) adds, after the reps, a closed-loop P2 run over
# only that many learners at CONNS connections, where calls for one learner do queue (and caps and cooldowns soon
# hold, so most of its decisions select nothing).
#
# Expected run time with the defaults: about 11 minutes (start and seed ~1, warm-up 1.5, reps 3 x ~1.7, hot 0.5,
# guard ~2.2).
#
# Environment (all optional): JAVA (JDK 17's java), JAR (target/viral-engine.jar), JAVA_OPTS (-Xmx96m
# -XX:+UseSerialGC, as bench/run.sh), LEARNERS (100000), REPS (3), DURATION (20s), WARMUP (45s per path), CONNS (32),
# THREADS (2), OPEN_RATE (unset: HALF x the slower phase's closed-loop results/s), OPEN_CONNS (128, as bench/run.sh's sweep: enough that a slow answer rarely holds up a
# connection's next slot), HALF (0.5), COOLDOWN_SECONDS (3600), HOT_LEARNERS (8), SERVICE_ENV (see below),
# PG_CLIENTS (8, the service's pool size), PG_SECONDS (15), PG_ROUNDS (2), GEN_CPUS, SVC_CPUS (taskset CPU lists,
# see lib.sh), BENCH_PORT, PGHOST, PGPORT, PGUSER, RESULTS (bench/RESULTS.md).
# SERVICE_ENV defaults to decision-log.sh's: the outage machinery (spooling slow flushes, the breaker, latency-driven
# shedding) stays out of a capacity measurement on a 2-core box. ORCHESTRATOR_LOOPS_REFRESH_MS=1000 is always added.
# A benchmark, not a test: CI does not run it.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAVA JAR JAVA_OPTS LEARNERS REPS DURATION WARMUP CONNS THREADS OPEN_RATE OPEN_CONNS HALF COOLDOWN_SECONDS \
  HOT_LEARNERS SERVICE_ENV PG_CLIENTS PG_SECONDS PG_ROUNDS GEN_CPUS SVC_CPUS)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$(dirname "$0")/.."

decision_bench_defaults
OPEN_CONNS=${OPEN_CONNS:-128}
HALF=${HALF:-0.5}
OPEN_RATE=${OPEN_RATE:-}
COOLDOWN_SECONDS=${COOLDOWN_SECONDS:-3600}
HOT_LEARNERS=${HOT_LEARNERS:-8}
SERVICE_ENV=${SERVICE_ENV-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0}
PG_CLIENTS=${PG_CLIENTS:-8}
PG_SECONDS=${PG_SECONDS:-15}
PG_ROUNDS=${PG_ROUNDS:-2}
RESULTS=${RESULTS:-bench/RESULTS.md}
LUA=bench/decide.lua
BATCH=64 # rows per INSERT: decision_log.max_batch's default
SETTLE_FATAL=1 # CPU per decision divides by the rows logged: they must all be in
for v in LEARNERS REPS CONNS THREADS OPEN_CONNS COOLDOWN_SECONDS HOT_LEARNERS PG_CLIENTS PG_SECONDS PG_ROUNDS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number, got '${!v}'" >&2; exit 1; }
done
[ "$LEARNERS" -ge "$BATCH" ] || { echo "LEARNERS must be at least $BATCH, got $LEARNERS" >&2; exit 1; }
[[ $HALF =~ ^0?\.[0-9]+$|^1(\.0*)?$ ]] || { echo "HALF must be a fraction in (0, 1], got '$HALF'" >&2; exit 1; }
[ -z "$OPEN_RATE" ] || [[ $OPEN_RATE =~ ^[1-9][0-9]*$ ]] || { echo "OPEN_RATE must be a whole number of requests a second, got '$OPEN_RATE'" >&2; exit 1; }
JAVAP="$(dirname "$(readlink -f "$(command -v "$JAVA")")")/javap"

install_missing wrk:wrk pgbench:postgresql-client
ensure_jar
[ -x "$JAVAP" ] || { echo "no javap beside $JAVA (a JDK is needed, to read DecisionStore's SQL from the JAR)" >&2; exit 1; }
bench_setup bench_dec_ # its exit trap also stops a PostgreSQL CPU sampler left running

# --- PostgreSQL CPU accounting (the "db" way, pg_sampler_start/stop, is in bench/lib.sh) -------------------------------
# every postgres process, live or reaped: the live ones' ticks plus the postmaster's children's (cutime + cstime)
ticks_pg_all() {
  local pm; pm=$(pgrep -o -u postgres -x postgres 2>/dev/null || pgrep -o -x postgres)
  echo $(( $(ticks_pg) + $(awk '{print $16 + $17}' "/proc/$pm/stat") ))
}

# --- the service ------------------------------------------------------------------------------------------------------
stale_total() { curl -s --max-time 5 "$BASE/metrics" | awk '/^viral_selections_stale_total/ {s += $2} END {printf "%d", s + 0}'; }
# health, and loops ACTIVE COOLDOWN (all four loops on or off, cooldowns short enough that selections happen; waits
# until the service has reloaded them), are in bench/lib.sh
wrk_closed() { # $1 seconds or duration, $2 connections, $3 request_id prefix, $4 learners
  $GEN_PIN wrk -t"$THREADS" -c"$2" -d"$1" --latency -s "$LUA" "$BASE" -- "$3" "$4"
}
wrk_open() { # $1 rate, $2 request_id prefix
  OPEN_RATE=$1 OPEN_CONNS=$OPEN_CONNS $GEN_PIN wrk -t"$OPEN_CONNS" -c"$OPEN_CONNS" -d"$DURATION" --latency -s "$LUA" "$BASE" -- "$2" "$LEARNERS"
}
warm_up() { # $1 label: a ninth of WARMUP at 2 connections (a cold JIT at 32 opens the breaker), the rest at CONNS
  local total first; total=$(secs "$WARMUP"); first=$(( total / 9 )); [ "$first" -ge 1 ] || first=1
  log "warm-up $1: ${first}s at 2 connections, $(( total - first ))s at $CONNS"
  wrk_closed "${first}s" 2 "$DB-warm-$1-a" "$LEARNERS" >/dev/null
  wrk_closed "$(( total - first > 0 ? total - first : 1 ))s" "$CONNS" "$DB-warm-$1-b" "$LEARNERS" >/dev/null
  settle
}

ROWS="$WORK/rows.tsv"; : >"$ROWS"
# columns: 1 phase 2 mode 3 rep 4 target req/s 5 req/s 6 results/s 7 wrk p50 8 wrk p99 9 open p50 10 open p99
#          11 open p99.9 12 late 13 decisions logged 14 selections 15 degraded+errors 16 JVM us/decision
#          17 PG(db) us/decision 18 PG(all) us/decision 19 JVM % 20 PG(db) % 21 machine busy % 22 load 23 outcomes
#          24 stale re-decisions
measure() { # $1 phase (P1|P2|P2hot), $2 rep, $3 open-loop rate (0 = closed loop), $4 learners
  local prefix="$DB-$1-r$2-$3" id0 st0 l j0 pa0 a0 i0 t0 out el j1 pa1 a1 i1 pgd line n sel outcomes bad
  id0=$(sql "SELECT coalesce(max(id), 0) FROM agent_decisions"); st0=$(stale_total); l=$(load)
  j0=$(ticks_pid "$PID"); pa0=$(ticks_pg_all); read -r a0 i0 < <(ticks_all)
  pg_sampler_start; t0=$(now_ms)
  if [ "$3" = 0 ]; then out=$(wrk_closed "$DURATION" "$CONNS" "$prefix" "$4"); else out=$(wrk_open "$3" "$prefix"); fi
  el=$(( $(now_ms) - t0 ))
  j1=$(ticks_pid "$PID"); pa1=$(ticks_pg_all); read -r a1 i1 < <(ticks_all); pgd=$(pg_sampler_stop)
  echo "$out" >"$WORK/wrk-$1-r$2-$3.txt"
  settle
  line=$(grep '^BENCH ' <<<"$out")
  n=$(sql "SELECT count(*) FROM agent_decisions WHERE id > $id0")
  sel=$(sql "SELECT count(*) FROM agent_decisions WHERE id > $id0 AND output_result->>'outcome' = 'selected'")
  outcomes=$(sql "SELECT string_agg(o || ':' || c, ',' ORDER BY o) FROM (SELECT coalesce(output_result->>'outcome', 'error') o,
    count(*) c FROM agent_decisions WHERE id > $id0 GROUP BY 1) x")
  bad=$(( $(field degraded "$line") + $(field rpc_errors "$line") + $(field non200 "$line") + $(field socket_errors "$line") ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$1" "$([ "$3" = 0 ] && echo closed || echo open)" "$2" "$3" "$(field rps "$line")" "$(field results_per_s "$line")" \
    "$(field p50_ms "$line")" "$(field p99_ms "$line")" "$(field open_p50_ms "$line")" "$(field open_p99_ms "$line")" \
    "$(field open_p999_ms "$line")" "$(field late "$line")" "$n" "$sel" "$bad" "$(us $(( j1 - j0 )) "$n")" "$(us "$pgd" "$n")" \
    "$(us $(( pa1 - pa0 )) "$n")" "$(pct $(( j1 - j0 )) "$el")" "$(pct "$pgd" "$el")" \
    "$(awk -v a=$(( a1 - a0 )) -v i=$(( i1 - i0 )) 'BEGIN {printf "%.0f", a ? (a - i) / a * 100 : 0}')" "$l" "$outcomes" \
    "$(( $(stale_total) - st0 ))" | tee -a "$ROWS" >&2
}
col() { tail -n 1 "$ROWS" | cut -f"$1"; } # a column of the last run

# --- 1. start, migrate, seed ------------------------------------------------------------------------------------------
start_service "$JAVA" dec "$SERVICE_ENV ORCHESTRATOR_LOOPS_REFRESH_MS=1000" "$JAVA_OPTS"
ready_ms=$(wait_ready) # an assignment, so that set -e stops the script when the service does not come up
log "service ready after $ready_ms ms (JVM pid $PID, database $DB, load $(load))"
seed_learners "$LEARNERS"

# --- 2. warm-up, 3. the reps --------------------------------------------------------------------------------------------
loops false "$COOLDOWN_SECONDS"; warm_up P1
loops true "$COOLDOWN_SECONDS"; warm_up P2
phase_loops() { if [ "$1" = P1 ]; then loops false "$COOLDOWN_SECONDS"; else loops true "$COOLDOWN_SECONDS"; fi; }
for rep in $(seq 1 "$REPS"); do
  slowest=
  for phase in P1 P2; do
    phase_loops "$phase"
    log "rep $rep $phase: closed loop, $CONNS connections, $DURATION (load $(load))"
    measure "$phase" "$rep" 0 "$LEARNERS"
    slowest=$(awk -v r="$(col 6)" -v s="$slowest" 'BEGIN {print (s == "" || r < s) ? r : s}')
  done
  # Both phases get the same offered rate, so their tails compare: OPEN_RATE, or HALF x the slower phase's capacity.
  rate=${OPEN_RATE:-$(awk -v r="$slowest" -v h="$HALF" 'BEGIN {printf "%.0f", r * h}')}
  [ "$rate" -ge 1 ] || { echo "rep $rep: no results in the closed-loop runs, so no half load to run at" >&2; exit 1; }
  for phase in P1 P2; do
    phase_loops "$phase"
    log "rep $rep $phase: open loop at $rate req/s (${OPEN_RATE:+OPEN_RATE}${OPEN_RATE:-$HALF x $slowest, the slower phase})"
    measure "$phase" "$rep" "$rate" "$LEARNERS"
  done
done
if [ "$HOT_LEARNERS" -gt 0 ]; then
  loops true "$COOLDOWN_SECONDS"
  log "P2, $HOT_LEARNERS learners only: closed loop, $CONNS connections, $DURATION"
  measure P2hot 1 0 "$HOT_LEARNERS"
fi
STALE=$(stale_total)
PEAK_RSS="$(( $(rss_kb "$PID" VmHWM) / 1024 )) MB"

# --- 4. the guard's cost --------------------------------------------------------------------------------------------------
stop_jvm
SQL_INSERT=$("$JAVAP" -cp "$JAR" -p -constants viralengine.store.DecisionStore | sed -n 's/.*String INSERT_DECISIONS = "\(.*\)";$/\1/p')
[ -n "$SQL_INSERT" ] || { echo "DecisionStore.INSERT_DECISIONS not found in $JAR" >&2; exit 1; }
# the statement with the guard cut out: no claim, every row goes in, nothing reported stale
cut_guard() {
  local s=$1 from to
  for pair in 'WHERE guard_seq IS NOT NULL AND NOT $16 ORDER BY user_id, ord|WHERE false ORDER BY user_id, ord' \
      'WHERE guard_seq IS NULL OR $16 OR decision_id IN (SELECT decision_id FROM passed)|WHERE true' \
      'AND decision_id NOT IN (SELECT decision_id FROM passed)|AND false'; do
    from=${pair%%|*}; to=${pair#*|}
    [ "$(grep -oF -- "$from" <<<"$s" | wc -l)" = 1 ] || { echo "INSERT_DECISIONS changed: '$from' is not in it once; update cut_guard" >&2; exit 1; }
    s=${s/"$from"/"$to"}
  done
  printf '%s' "$s"
}
# pgbench variables: $N becomes :pN (set by the SELECT's \gset), so pgbench -M prepared sends them as parameters
as_pgbench() { perl -pe 's/\$(\d+)/:p$1/g' <<<"$1"; }
sql "CREATE TABLE bench_rows AS SELECT row_number() OVER (ORDER BY id) AS n, input_params, output_result, rationale,
  features_used, loop_id, latency_ms FROM agent_decisions WHERE output_result->>'outcome' = 'selected' AND loop_id IS NOT NULL
  ORDER BY id LIMIT 6400" >/dev/null
sql "CREATE INDEX ON bench_rows (n); ANALYZE bench_rows" >/dev/null
TEMPLATES=$(sql "SELECT count(*) FROM bench_rows")
[ "$TEMPLATES" -ge "$BATCH" ] || { echo "P2 logged only $TEMPLATES selections; the guard runs need $BATCH to copy" >&2; exit 1; }
gen_sql() { # $1 guard_seq expression: the 18 parameters of one batch, BATCH template rows for random learners
  cat <<SQL
\\set off random(0, $(( TEMPLATES - BATCH )))
SELECT array_agg(gen_random_uuid())::text AS p1, array_agg('pgb-' || gen_random_uuid())::text AS p2,
  array_agg('select_loop'::text)::text AS p3, array_agg(input_params)::text AS p4, array_agg(output_result)::text AS p5,
  array_agg(rationale)::text AS p6, array_agg(features_used)::text AS p7, array_agg(loop_id)::text AS p8,
  array_agg(latency_ms)::text AS p9, array_agg(NULL::uuid)::text AS p10, array_agg(NULL::text)::text AS p11,
  array_agg(user_id)::text AS p12, array_agg(NULL::timestamptz)::text AS p13, array_agg(NULL::timestamptz)::text AS p14,
  array_agg(NULL::jsonb)::text AS p15, 'false' AS p16, array_agg($1)::text AS p17, array_agg(now())::text AS p18
FROM (SELECT t.*, 'learner-' || (1 + floor(random() * $LEARNERS))::int AS user_id FROM bench_rows t
      WHERE t.n > :off AND t.n <= :off + $BATCH) t
LEFT JOIN learners l USING (user_id) \\gset
SQL
}
gen_sql "l.selection_seq" >"$WORK/gen.sql"
{ gen_sql "nullif(l.selection_seq, l.selection_seq)"; as_pgbench "$SQL_INSERT"; echo ";"; } >"$WORK/no-guard.sql"
{ gen_sql "l.selection_seq"; as_pgbench "$(cut_guard "$SQL_INSERT")"; echo ";"; } >"$WORK/exposure.sql"
{ gen_sql "l.selection_seq"; as_pgbench "$SQL_INSERT"; echo ";"; } >"$WORK/guarded.sql"
PGROWS="$WORK/pg.tsv"; : >"$PGROWS"
# columns: 1 variant 2 round 3 batches 4 rows written 5 PG(db) ticks 6 PG us/row (per BATCH rows built) 7 load
for round in $(seq 1 "$PG_ROUNDS"); do
  for v in gen no-guard exposure guarded; do
    sql "CHECKPOINT"
    l=$(load); seq0=$(sql "SELECT last_value FROM agent_decisions_id_seq")
    pg_sampler_start
    out=$($GEN_PIN pgbench -n -M prepared -c "$PG_CLIENTS" -j "$THREADS" -T "$PG_SECONDS" -f "$WORK/$v.sql" "$DB" 2>&1) \
      || { pg_sampler_kill; echo "$out" >&2; exit 1; }
    pgd=$(pg_sampler_stop)
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    written=$(( $(sql "SELECT last_value FROM agent_decisions_id_seq") - seq0 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$round" "$tx" "$written" "$pgd" "$(us "$pgd" $(( tx * BATCH )))" "$l" | tee -a "$PGROWS" >&2
  done
done

# --- report ---------------------------------------------------------------------------------------------------------------
medcol() { awk -F'\t' -v p="$1" -v m="$2" -v c="$3" '$1 == p && $2 == m && $c != "" && $c != "-" {print $c}' "$ROWS" | median; }
pgmed() { awk -F'\t' -v v="$1" '$1 == v {print $6}' "$PGROWS" | median | xargs printf '%.0f'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "-") printf "%.2f", a / b; else print "-"}'; }
sum_p2() { awk -F'\t' -v c="$1" '$1 == "P2" {s += $c} END {print s + 0}' "$ROWS"; }
P1_P99=$(medcol P1 open 10); P2_P99=$(medcol P2 open 10)
P99_RATIO=$(ratio "$P2_P99" "$P1_P99")
VERDICT=$(awk -v r="$P99_RATIO" 'BEGIN {if (r == "-") print "not measured"; else if (r <= 2) print "within 2x: PASS"; else print "over 2x: FAIL"}')
SEL_FRACTION=$(awk -v s="$(sum_p2 14)" -v n="$(sum_p2 13)" 'BEGIN {printf "%.1f %% (%d of %d)", n ? 100 * s / n : 0, s, n}')
G_GEN=$(pgmed gen); G_NONE=$(pgmed no-guard); G_EXP=$(pgmed exposure); G_GUARD=$(pgmed guarded)
diff_us() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a - b}'; }
SUMMARY="$WORK/summary.md"
{
  echo "| | P1 (no loop active) | P2 (4 loops active) | P2 / P1 |"
  echo "|---|---:|---:|---:|"
  for spec in "closed:6:results/s at $CONNS connections (closed loop)" "closed:8:p99 ms at $CONNS connections (closed loop, wrk)" \
      "closed:16:JVM CPU us per decision (closed loop)" "closed:17:PostgreSQL CPU us per decision, this database (closed loop)" \
      "closed:18:PostgreSQL CPU us per decision, all postgres (closed loop)" "open:4:half load, req/s offered (open loop)" \
      "open:9:p50 ms at half load (open loop, from intended send)" "open:10:**p99 ms at half load** (open loop, from intended send)" \
      "open:11:p99.9 ms at half load (open loop)" "open:16:JVM CPU us per decision at half load" \
      "open:17:PostgreSQL CPU us per decision at half load, this database"; do
    IFS=: read -r mode c label <<<"$spec"
    a=$(medcol P1 "$mode" "$c"); b=$(medcol P2 "$mode" "$c")
    echo "| $label | $a | $b | $(ratio "$b" "$a") |"
  done
} >"$SUMMARY"
GUARD="$WORK/guard.md"
{
  echo "| variant (64-row batches of selections, pgbench -M prepared -c $PG_CLIENTS) | PostgreSQL CPU us per row (median of $PG_ROUNDS) | minus gen |"
  echo "|---|---:|---:|"
  echo "| gen: the SELECT that builds the parameters, alone | $G_GEN | 0 |"
  echo "| no-guard: guard_seq NULL (decision row only) | $G_NONE | $(diff_us "$G_NONE" "$G_GEN") |"
  echo "| exposure: guard CTE cut out, decision + exposure rows | $G_EXP | $(diff_us "$G_EXP" "$G_GEN") |"
  echo "| guarded: as the service writes a selection (guard + decision + exposure) | $G_GUARD | $(diff_us "$G_GUARD" "$G_GEN") |"
} >"$GUARD"
ELIG_LINE="the eligibility path (P2 - P1, closed loop, per decision): JVM $(diff_us "$(medcol P2 closed 16)" "$(medcol P1 closed 16)") us, PostgreSQL $(diff_us "$(medcol P2 closed 17)" "$(medcol P1 closed 17)") us (this database) of CPU more; throughput x $(ratio "$(medcol P2 closed 6)" "$(medcol P1 closed 6)")"
HOT_LINE=""
if [ "$HOT_LEARNERS" -gt 0 ]; then
  HOT_LINE=$(awk -F'\t' -v k="$HOT_LEARNERS" '$1 == "P2hot" {printf "P2 over only %d learners at the same connections (calls for one learner queue behind each other): %s results/s, p50 %s ms, p99 %s ms, %d of %d decisions selections (%s)", k, $6, $7, $8, $14, $13, $23}' "$ROWS")
fi
GUARD_LINE="the guard itself (guarded - exposure): $(diff_us "$G_GUARD" "$G_EXP") us of PostgreSQL CPU per selection; guard + exposure row (guarded - no-guard): $(diff_us "$G_GUARD" "$G_NONE") us"
cat "$SUMMARY"; echo; cat "$GUARD"; echo
echo "p99 at half load, P2 / P1: $P99_RATIO ($VERDICT). P2 selections: $SEL_FRACTION. $ELIG_LINE. $GUARD_LINE. viral_selections_stale_total at the end: $STALE."
[ -z "$HOT_LINE" ] || echo "$HOT_LINE"

if [ "$RESULTS" != /dev/null ]; then
  host_facts
  {
    echo
    echo "## Phase 2 decision path ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/decisioning.sh)"
    echo
    echo "- Command: \`$COMMAND\`"
    echo "- Machine: $(nproc) cores ($CPU), $MEM; PostgreSQL $PGV (server defaults); $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(pgbench --version)."
    echo "  Load average at start $LOAD_AT_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine share its 2 cores: see the load column)."
    echo "  Generator, service and PostgreSQL share the machine over loopback; $(pinning_note). Build: \`$JAR\` (sha256 $(sha256sum "$JAR" | cut -c1-12)), commit $REV$DIRTY."
    echo "- JVM: $("$JAVA" -version 2>&1 | head -n 1), \`$JAVA_OPTS\`; service env: \`$SERVICE_ENV ORCHESTRATOR_LOOPS_REFRESH_MS=1000\`; peak RSS (VmHWM) $PEAK_RSS."
    echo "- Data: $SEEDED (seeded by SQL after the service migrated); loops: the four seeds with their triggers, cooldown_seconds $COOLDOWN_SECONDS; rule: global, orchestrator.daily_cap (3) per calendar day in the learner's zone."
    echo "- Load: select_loop with a request_id for a random learner of $LEARNERS and a random event type (bench/decide.lua). Closed loop \`wrk -t$THREADS -c$CONNS -d$DURATION\`; open loop at $HALF x that run's results/s, \`OPEN_RATE=<rate> OPEN_CONNS=$OPEN_CONNS wrk -t$OPEN_CONNS -c$OPEN_CONNS -d$DURATION\` (latency from the intended send time). $WARMUP warm-up per path, then $REPS reps of P1, P2 interleaved; medians."
    echo "- CPU per decision = CPU time over the run / rows written to agent_decisions by it. JVM: the service's /proc/PID/stat. PostgreSQL \"this database\": its backends + the background processes, sampled every 0.2 s; \"all postgres\": every postgres process including exited ones (postmaster cutime), so it includes other databases' work."
    echo
    cat "$SUMMARY"; echo
    echo "p99 at half load, P2 / P1: **$P99_RATIO** ($VERDICT). P2's decisions that were selections: $SEL_FRACTION. viral_selections_stale_total at the end: $STALE (one service instance: no races with another writer)."
    echo
    echo "Cost of $ELIG_LINE."
    [ -z "$HOT_LINE" ] || { echo; echo "$HOT_LINE."; }
    echo
    echo "The guard's cost: DecisionStore.INSERT_DECISIONS (from the JAR) under pgbench, the service stopped, $PG_SECONDS s per run, $PG_ROUNDS rounds interleaved, template rows copied from P2's selections:"
    echo; cat "$GUARD"; echo
    echo "So $GUARD_LINE."
    echo
    echo "<details><summary>Every run (phase, mode, rep, target req/s, req/s, results/s, wrk p50, wrk p99, open p50, open p99, open p99.9, late sends, decisions, selections, degraded+errors, JVM us/dec, PG(db) us/dec, PG(all) us/dec, JVM %, PG(db) %, machine busy %, load, outcomes, stale); guard runs (variant, round, batches, rows written, PG ticks, us/row, load)</summary>"
    echo; echo '```'; cat "$ROWS" "$PGROWS"; echo '```'; echo; echo "</details>"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi
