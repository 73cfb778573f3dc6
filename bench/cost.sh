#!/usr/bin/env bash
# Issue 13: CPU per decision, against the bare route and against pgbench, in ONE run on one machine: one service JVM,
# one BareRoute JVM and one throwaway database bench_cost_<random> (dropped at exit). Needs PostgreSQL
# (PGHOST/PGPORT/PGUSER, default postgres@127.0.0.1:5432, allowed to CREATE DATABASE), wrk (Debian's, built with
# LuaJIT), pgbench and a JDK (javap); installs wrk and pgbench with apt-get when missing and builds the JAR when
# missing. Shared pieces (database, JVMs, settling, the PostgreSQL CPU sampler, loops, seeding) are in bench/lib.sh.
#
#  1. seed     the service (JAVA, JAVA_OPTS, SERVICE_ENV + ORCHESTRATOR_LOOPS_REFRESH_MS=1000) migrates the schema;
#              seed_learners (bench/lib.sh, as bench/decisioning.sh) seeds LEARNERS learners, 1-5 past exposures each
#              and a dismissal for every tenth.
#  2. bare     viralengine.bench.BareRoute (in the JAR; a bare Vert.x route answering a fixed select_loop result of
#              the real size, http.instances like the service, as bench/run.sh's B) starts beside the service on
#              BARE_PORT with the same JAVA_OPTS; it is idle while the service is measured, and the service idle
#              while it is, so all three workloads can be interleaved under the same machine load.
#  3. warm-up  WARMUP per workload: P1 and P2 a ninth at 2 connections (a cold JIT at 32 opens the breaker), the
#              rest at CONNS; the bare route all of it at CONNS.
#  4. REPS x, interleaved, each a closed loop `wrk -t THREADS -c CONNS -d DURATION`:
#       P1  all loops inactive (Phase 1's shape: no learner read, no guard), select_loop with a request_id for a
#           random learner of LEARNERS and a random event type (bench/decide.lua);
#       P2  all four seeded loops active with their triggers (cooldowns as seeded, or COOLDOWN_SECONDS), the default
#           frequency rule (global, orchestrator.daily_cap per calendar day in the learner's zone); same load;
#       B   the bare route, select_loop with bench/rpc.lua (as bench/run.sh's B).
#     Switching sets viral_loops and waits for GET /mcp/orchestrator/health to report the new active_loops.
#     Per run: results/s (wrk), decisions logged (rows added to agent_decisions, counted after the decision log
#     settled), and CPU per decision:
#       JVM  utime+stime of the service's pid (/proc/PID/stat) over the wrk run / decisions logged;
#       PG   this database's backends + the server's background processes (checkpointer, walwriter, ...), sampled
#            every 0.2 s (pg_sampler_start/stop in bench/lib.sh; other databases on the server are left out) /
#            decisions logged (bench/decisioning.sh's "db" way);
#       B    BareRoute's utime+stime / requests wrk counted (responses= of rpc.lua's BENCH line). PostgreSQL is
#            sampled during B as well (the same sampler overhead in every run); it sees only the idle service.
#  5. floor    both JVMs stopped: pgbench -M prepared (PG_CLIENTS clients, PG_SECONDS per run, PG_ROUNDS interleaved
#              rounds) of DecisionStore.INSERT_DECISIONS itself (read from the JAR with javap) in 64-row batches
#              (decision_log.max_batch's default) of rows copied from what the measured runs logged: a random sample
#              of P1's rows, and of P2's rows as they are (selections with the learner's current selection_seq as
#              their guard, as the service writes them, other outcomes without), for random learners. Each workload
#              also runs its `gen` script alone: the SELECT that builds the batch's parameters. PostgreSQL CPU (the
#              "db" way) per row built; floor = workload - gen (as bench/decisioning.sh's guard runs).
#              The statement's parameters are read from its unnest(...) WITH ORDINALITY AS t(...) by column name;
#              a column this script does not know, or a parameter outside the unnest other than the replay flag,
#              stops the script before anything runs, with a message naming it.
# Prints a markdown table (rows P1, P2: results/s, JVM, PostgreSQL and total us per decision, the bare route's JVM us
# per request, total / bare (targets: <= 4x for P1, <= 6x for P2), A/B throughput = results/s / bare req/s (target
# >= 0.37), PostgreSQL us per decision / the pgbench floor), the floors and every run's raw row, and appends a section
# "Issue 13: CPU per decision" to bench/RESULTS.md (RESULTS=/dev/null to skip). total = the JVM median + the
# PostgreSQL median; the ratios are of medians.
#
# Expected run time with the defaults: about 10 minutes (start and seed ~1, warm-up 3 x 0.75, reps 3 x ~1.1,
# floor 2 x 4 pgbench runs ~2.5).
#
# Environment (all optional): JAVA (JDK 17's java), JAR (target/viral-engine.jar), JAVA_OPTS (-Xmx96m
# -XX:+UseSerialGC, as bench/run.sh; for both JVMs), LEARNERS (100000, at least 64), REPS (3), DURATION (20s),
# WARMUP (45s per workload), CONNS (32), THREADS (2, wrk and pgbench threads), COOLDOWN_SECONDS (empty: the
# seeded cooldowns, 1-7 days; a number sets every loop's cooldown_seconds, e.g. 3600 as bench/decisioning.sh),
# SERVICE_ENV (default as bench/decisioning.sh's: SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000
# CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0, the outage machinery out of a capacity
# measurement; ORCHESTRATOR_LOOPS_REFRESH_MS=1000 is always added), PG_CLIENTS (8, the service's pool size),
# PG_SECONDS (15), PG_ROUNDS (2), TEMPLATE_ROWS (6400, rows sampled per workload for the floor), GEN_CPUS,
# SVC_CPUS (taskset CPU lists, see lib.sh), BENCH_PORT (the service's port; default a free one), BARE_PORT
# (BareRoute's; default a free one), PGHOST, PGPORT, PGUSER, KEEP_WORK, RESULTS (bench/RESULTS.md).
# bench/run.sh runs this script as its "cost" phase (COST=1, ONLY=cost).
# A benchmark, not a test: CI does not run it.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
COMMAND="$(env_prefix JAVA JAR JAVA_OPTS LEARNERS REPS DURATION WARMUP CONNS THREADS COOLDOWN_SECONDS SERVICE_ENV \
  PG_CLIENTS PG_SECONDS PG_ROUNDS TEMPLATE_ROWS GEN_CPUS SVC_CPUS PAST_DAYS)$0${*:+ $*}"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$(dirname "$0")/.."

decision_bench_defaults
COOLDOWN_SECONDS=${COOLDOWN_SECONDS:-}
SERVICE_ENV=${SERVICE_ENV-SPOOL_FLUSH_TIMEOUT_MS=10000 ORCHESTRATOR_TIMEOUT_MS=2000 CIRCUIT_BREAKER_MINIMUM_CALLS=100000 LIMITS_TARGET_LATENCY_MS=0}
PG_CLIENTS=${PG_CLIENTS:-8}
PG_SECONDS=${PG_SECONDS:-15}
PG_ROUNDS=${PG_ROUNDS:-2}
TEMPLATE_ROWS=${TEMPLATE_ROWS:-6400}
PAST_DAYS=${PAST_DAYS:-0}
RESULTS=${RESULTS:-bench/RESULTS.md}
BATCH=64 # rows per INSERT: decision_log.max_batch's default
SETTLE_FATAL=1 # CPU per decision divides by the rows logged: they must all be in
for v in LEARNERS REPS CONNS THREADS PG_CLIENTS PG_SECONDS PG_ROUNDS TEMPLATE_ROWS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number, got '${!v}'" >&2; exit 1; }
  [ "${!v}" -ge 1 ] || { echo "$v must be at least 1, got ${!v}" >&2; exit 1; }
done
for v in DURATION WARMUP; do
  if [[ ! ${!v} =~ ^[0-9]+[sm]?$ ]] || [ "$(secs "${!v}")" -lt 1 ]; then echo "$v must be a duration wrk takes, in whole seconds or minutes (20, 20s, 2m), at least 1 s; got '${!v}'" >&2; exit 1; fi
done
[ "$LEARNERS" -ge "$BATCH" ] || { echo "LEARNERS must be at least $BATCH (one batch of the floor runs), got $LEARNERS" >&2; exit 1; }
[ "$TEMPLATE_ROWS" -ge "$BATCH" ] || { echo "TEMPLATE_ROWS must be at least $BATCH, got $TEMPLATE_ROWS" >&2; exit 1; }
[ "$CONNS" -ge "$THREADS" ] || { echo "CONNS ($CONNS) must be at least THREADS ($THREADS): wrk needs a connection per thread" >&2; exit 1; }
[ -z "$COOLDOWN_SECONDS" ] || [[ $COOLDOWN_SECONDS =~ ^[0-9]+$ ]] \
  || { echo "COOLDOWN_SECONDS must be empty (the seeded cooldowns) or a whole number of seconds, got '$COOLDOWN_SECONDS'" >&2; exit 1; }
[ -z "${BARE_PORT:-}" ] || [[ $BARE_PORT =~ ^[0-9]+$ ]] || { echo "BARE_PORT must be a port number, got '$BARE_PORT'" >&2; exit 1; }
JAVAP="$(dirname "$(readlink -f "$(command -v "$JAVA")")")/javap"

install_missing wrk:wrk pgbench:postgresql-client
ensure_jar viralengine/bench/BareRoute.class
[ -x "$JAVAP" ] || { echo "no javap beside $JAVA (a JDK is needed, to read DecisionStore's SQL from the JAR)" >&2; exit 1; }

# --- the statement the floor runs, and its parameters (read first: a changed statement stops the script at once) ------
# javap -constants prints the compile-time constant in Java's escapes ("\"", "\\", "\n", "\uXXXX"): undone here
SQL_INSERT=$("$JAVAP" -cp "$JAR" -p -constants viralengine.store.DecisionStore \
  | sed -n 's/.*String INSERT_DECISIONS = "\(.*\)";$/\1/p' \
  | perl -CO -pe 'my %e = (n => "\n", t => "\t", r => "\r"); s{\\(u([0-9a-fA-F]{4})|.)}{defined $2 ? chr(hex $2) : ($e{$1} // $1)}ge')
[ -n "$SQL_INSERT" ] || { echo "DecisionStore.INSERT_DECISIONS not found in $JAR by javap -constants (renamed, or no longer a compile-time constant?)" >&2; exit 1; }
# One line per parameter: "N<TAB>column<TAB>type" for the unnest's ($N::type[] named by AS t(...)), "N<TAB>-<TAB>flag"
# for the replay flag (today $16: the one parameter outside the unnest, used as a boolean). Anything else: a message.
insert_shape() {
  perl -e '
    local $/; my $s = <STDIN>;
    sub fail { print STDERR "INSERT_DECISIONS changed: $_[0]; update insert_shape/gen_sql in bench/cost.sh\n"; exit 1 }
    $s =~ /\bunnest\s*\((.*?)\)\s*WITH\s+ORDINALITY\s+AS\s+\w+\s*\(([^)]*)\)/is
      or fail("it has no \"unnest(...) WITH ORDINALITY AS t(...)\" to read its parameters from");
    my @a = map { s/^\s+|\s+$//gr } split /,/, $1;
    my @c = map { s/^\s+|\s+$//gr } split /,/, $2;
    @c == @a + 1 or fail(sprintf "its unnest has %d arguments but AS t(...) names %d columns (expected one more, the ordinality)", scalar @a, scalar @c);
    my %in;
    for my $i (0 .. $#a) {
      $a[$i] =~ /^\$(\d+)::([a-z0-9_ ]+)\[\]$/i or fail("unnest argument \"$a[$i]\" is not \$N::type[]");
      $in{$1} = 1; print "$1\t$c[$i]\t$2\n";
    }
    my %all; $all{$1} = 1 while $s =~ /\$(\d+)(?!\d)/g;
    my @n = sort { $a <=> $b } keys %all;
    $n[-1] == @n or fail("its parameters are not \$1..\$$n[-1] without gaps (found: " . join(" ", map {"\$$_"} @n) . ")");
    my @flags = grep { !$in{$_} } @n;
    @flags == 1 or fail(sprintf "expected exactly one parameter outside the unnest (the replay flag, \$16 on 2026-12-07), found %d: %s",
      scalar @flags, join(" ", map {"\$$_"} @flags));
    my $f = $flags[0];
    $s =~ /(\bNOT\s+\$$f(?!\d)|\$$f\s+(AND|OR)\b|\b(AND|OR)\s+\$$f(?!\d))/i
      or fail("\$$f, the one parameter outside the unnest, is not used as a boolean (NOT \$$f, \$$f AND/OR ...), so it may not be the replay flag any more");
    print "$f\t-\tflag\n";
  ' <<<"$SQL_INSERT"
}
SHAPE_TXT=$(insert_shape)
# gen_sql TABLE COUNT: the SELECT that builds one batch's parameters (pgbench variables p1..pN, set by \gset) from
# BATCH consecutive rows of TABLE (COUNT logged rows, n = 1..COUNT) at a random offset, each for a random learner. Per
# unnest column, what the service sends for a select_loop decision: new ids, the logged payload, no event, the guard
# for selections only, decided_at now; the replay flag false.
gen_sql() {
  local n name type expr cols=""
  while IFS=$'\t' read -r n name type; do
    if [ "$name" = - ]; then
      expr="'false'"
    else
      case $name in
        decision_id) expr="gen_random_uuid()" ;;
        request_id) expr="'pgb-' || gen_random_uuid()" ;;
        user_id) expr="t.user_id" ;;
        method | input_params | output_result | rationale | features_used | loop_id | latency_ms) expr="t.$name" ;;
        event_id | event_type | occurred_at | received_at | context) expr="NULL" ;; # select_loop records no event
        guard_seq) expr="CASE WHEN t.guarded THEN l.selection_seq END" ;;
        decided_at) expr="now()" ;;
        *) echo "INSERT_DECISIONS changed: its unnest has a column '$name' (\$$n::${type}[]) that bench/cost.sh does not know how to fill; add it to gen_sql" >&2; exit 1 ;;
      esac
      expr="array_agg(($expr)::$type)::text"
    fi
    cols+="${cols:+,
  }$expr AS p$n"
  done <<<"$SHAPE_TXT"
  cat <<SQL
\\set off random(0, $(( $2 - BATCH )))
SELECT $cols
FROM (SELECT r.*, 'learner-' || (1 + floor(random() * $LEARNERS))::int AS user_id FROM $1 r
      WHERE r.n > :off AND r.n <= :off + $BATCH) t
LEFT JOIN learners l USING (user_id) \\gset
SQL
}
gen_sql check "$BATCH" >/dev/null # every column known? (before anything is started)
# pgbench variables: $N becomes :pN (set by the SELECT's \gset), so pgbench -M prepared sends them as parameters
as_pgbench() { perl -pe 's/\$(\d+)/:p$1/g' <<<"$1"; }

bench_setup bench_cost_
BARE_PID=""
stop_bare() { if [ -n "$BARE_PID" ] && kill -0 "$BARE_PID" 2>/dev/null; then kill -TERM "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true; fi; BARE_PID=""; }
trap 'stop_bare; bench_cleanup' EXIT
BARE_PORT=${BARE_PORT:-}

# --- runs ---------------------------------------------------------------------------------------------------------------
DECIDE_LUA=bench/decide.lua; RPC_LUA=bench/rpc.lua
warm_up() { # $1 label: a ninth of WARMUP at 2 connections, the rest at CONNS (bench/decisioning.sh's)
  local total first t2=$(( THREADS < 2 ? THREADS : 2 )); total=$(secs "$WARMUP"); first=$(( total / 9 )); [ "$first" -ge 1 ] || first=1
  log "warm-up $1: ${first}s at 2 connections, $(( total - first > 0 ? total - first : 1 ))s at $CONNS"
  $GEN_PIN wrk -t"$t2" -c2 -d"${first}s" -s "$DECIDE_LUA" "$BASE" -- "$DB-warm-$1-a" "$LEARNERS" >/dev/null
  $GEN_PIN wrk -t"$THREADS" -c"$CONNS" -d"$(( total - first > 0 ? total - first : 1 ))s" -s "$DECIDE_LUA" "$BASE" -- "$DB-warm-$1-b" "$LEARNERS" >/dev/null
  settle
}
ROWS="$WORK/rows.tsv"; : >"$ROWS"
RANGES="$WORK/ranges.tsv"; : >"$RANGES" # workload, first id, last id: the agent_decisions rows each measured run logged
# columns: 1 workload (P1|P2|B) 2 rep 3 req/s 4 results/s 5 wrk p50 ms 6 wrk p99 ms 7 decisions logged (B: requests)
#          8 selections 9 degraded+errors 10 JVM ticks 11 PG(db) ticks 12 JVM us/decision 13 PG(db) us/decision
#          14 JVM % 15 PG(db) % 16 machine busy % 17 load 18 outcomes
measure() { # $1 workload (P1|P2|B), $2 rep
  local jpid=$PID url=$BASE lua=$DECIDE_LUA id0=0 id1 j0 a0 i0 t0 out el j1 a1 i1 pgd line n sel="-" outcomes="-" bad l
  local args=("$DB-$1-r$2" "$LEARNERS")
  if [ "$1" = B ]; then jpid=$BARE_PID; url=$BARE_BASE; lua=$RPC_LUA; args=(select_loop "$DB-B-r$2"); fi
  [ "$1" = B ] || id0=$(sql "SELECT coalesce(max(id), 0) FROM agent_decisions")
  l=$(load); j0=$(ticks_pid "$jpid"); read -r a0 i0 < <(ticks_all)
  pg_sampler_start; t0=$(now_ms)
  out=$($GEN_PIN wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$lua" "$url" -- "${args[@]}")
  el=$(( $(now_ms) - t0 ))
  j1=$(ticks_pid "$jpid"); read -r a1 i1 < <(ticks_all); pgd=$(pg_sampler_stop)
  echo "$out" >"$WORK/wrk-$1-r$2.txt"
  line=$(grep '^BENCH ' <<<"$out") || { echo "$1 rep $2: no BENCH line in wrk's output:" >&2; echo "$out" >&2; exit 1; }
  if [ "$1" = B ]; then
    n=$(field responses "$line")
  else
    settle
    id1=$(sql "SELECT coalesce(max(id), 0) FROM agent_decisions")
    printf '%s\t%s\t%s\n' "$1" "$id0" "$id1" >>"$RANGES"
    n=$(sql "SELECT count(*) FROM agent_decisions WHERE id > $id0 AND id <= $id1")
    sel=$(sql "SELECT count(*) FROM agent_decisions WHERE id > $id0 AND id <= $id1 AND output_result->>'outcome' = 'selected'")
    outcomes=$(sql "SELECT coalesce(string_agg(o || ':' || c, ',' ORDER BY o), '-') FROM (SELECT coalesce(output_result->>'outcome', 'error') o,
      count(*) c FROM agent_decisions WHERE id > $id0 AND id <= $id1 GROUP BY 1) x")
  fi
  bad=$(( $(field degraded "$line") + $(field rpc_errors "$line") + $(field non200 "$line") + $(field socket_errors "$line") ))
  [ "$bad" -eq 0 ] || log "$1 rep $2: $bad answers degraded or failed (of $(field responses "$line")): the CPU per decision is less meaningful"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field rps "$line")" \
    "$(field results_per_s "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" "$n" "$sel" "$bad" \
    $(( j1 - j0 )) "$pgd" "$(us $(( j1 - j0 )) "$n")" "$(us "$pgd" "$n")" "$(pct $(( j1 - j0 )) "$el")" "$(pct "$pgd" "$el")" \
    "$(awk -v a=$(( a1 - a0 )) -v i=$(( i1 - i0 )) 'BEGIN {printf "%.0f", a ? (a - i) / a * 100 : 0}')" "$l" "$outcomes" \
    | tee -a "$ROWS" >&2
}

# --- 1. the service, seeded; 2. the bare route beside it ------------------------------------------------------------------
start_service "$JAVA" cost "$SERVICE_ENV ORCHESTRATOR_LOOPS_REFRESH_MS=1000" "$JAVA_OPTS"
ready_ms=$(wait_ready)
log "service ready after $ready_ms ms (JVM pid $PID, port $PORT, database $DB, load $(load))"
seed_learners "$LEARNERS"
past_partitions "$PAST_DAYS"
SVC_PID=$PID; SVC_BASE=$BASE
[ -n "$BARE_PORT" ] || BARE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$BARE_PORT"
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
start_jvm bare "" "$JAVA" $JAVA_OPTS -cp "$JAR" viralengine.bench.BareRoute "$BARE_PORT"
BARE_PID=$PID; PID=$SVC_PID # the exit trap stops both
ready_ms=$(PID=$BARE_PID wait_ready) # wait_ready reads PID and BASE
log "bare route ready after $ready_ms ms (JVM pid $BARE_PID, port $BARE_PORT)"
BARE_BASE=$BASE; BASE=$SVC_BASE

# --- 3. warm-up, 4. the reps ----------------------------------------------------------------------------------------------
loops false "$COOLDOWN_SECONDS"; warm_up P1
loops true "$COOLDOWN_SECONDS"; warm_up P2
log "warm-up B: ${WARMUP} at $CONNS connections"
$GEN_PIN wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$RPC_LUA" "$BARE_BASE" -- select_loop "$DB-warm-B" >/dev/null
for rep in $(seq 1 "$REPS"); do
  for w in P1 P2 B; do
    case $w in P1) loops false "$COOLDOWN_SECONDS" ;; P2) loops true "$COOLDOWN_SECONDS" ;; esac
    log "rep $rep $w: closed loop, $CONNS connections, $DURATION (load $(load))"
    measure "$w" "$rep"
  done
done
PEAK_RSS="service $(( $(rss_kb "$SVC_PID" VmHWM) / 1024 )) MB, BareRoute $(( $(rss_kb "$BARE_PID" VmHWM) / 1024 )) MB"
stop_bare; stop_jvm

# --- 5. the pgbench floor -------------------------------------------------------------------------------------------------
for w in P1 P2; do
  range=$(awk -F'\t' -v w="$w" '$1 == w {printf "%s(id > %s AND id <= %s)", (n++ ? " OR " : ""), $2, $3}' "$RANGES")
  sql "CREATE TABLE bench_rows_$w AS SELECT row_number() OVER () AS n, x.* FROM (
    SELECT method, input_params, output_result, rationale, features_used, loop_id, latency_ms,
      coalesce(output_result->>'outcome' = 'selected' AND loop_id IS NOT NULL, false) AS guarded
    FROM agent_decisions WHERE success AND ($range) ORDER BY random() LIMIT $TEMPLATE_ROWS) x" >/dev/null
  sql "CREATE INDEX ON bench_rows_$w (n); ANALYZE bench_rows_$w" >/dev/null
  templates=$(sql "SELECT count(*) FROM bench_rows_$w")
  [ "$templates" -ge "$BATCH" ] || { echo "$w logged only $templates rows; the floor runs need $BATCH to copy (longer DURATION?)" >&2; exit 1; }
  gen_sql "bench_rows_$w" "$templates" >"$WORK/gen-$w.sql"
  { gen_sql "bench_rows_$w" "$templates"; as_pgbench "$SQL_INSERT"; echo ";"; } >"$WORK/$w.sql"
done
PGROWS="$WORK/pg.tsv"; : >"$PGROWS"
# columns: 1 variant 2 round 3 batches 4 rows built 5 decision rows written 6 exposures written 7 PG(db) ticks
#          8 PG us/row built 9 load
for round in $(seq 1 "$PG_ROUNDS"); do
  for v in gen-P1 P1 gen-P2 P2; do
    sql "CHECKPOINT"
    l=$(load)
    d0=$(sql "SELECT last_value FROM agent_decisions_id_seq"); e0=$(sql "SELECT last_value FROM loop_exposures_id_seq")
    log "floor round $round $v: pgbench -c $PG_CLIENTS ${PG_SECONDS}s (load $l)"
    pg_sampler_start
    out=$($GEN_PIN pgbench -n -M prepared -c "$PG_CLIENTS" -j "$THREADS" -T "$PG_SECONDS" -f "$WORK/$v.sql" "$DB" 2>&1) \
      || { pg_sampler_kill; echo "pgbench $v failed:" >&2; echo "$out" >&2; exit 1; }
    pgd=$(pg_sampler_stop)
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$tx" ] || { echo "pgbench $v: no transaction count in its output:" >&2; echo "$out" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$round" "$tx" $(( tx * BATCH )) \
      $(( $(sql "SELECT last_value FROM agent_decisions_id_seq") - d0 )) $(( $(sql "SELECT last_value FROM loop_exposures_id_seq") - e0 )) \
      "$pgd" "$(us "$pgd" $(( tx * BATCH )))" "$l" | tee -a "$PGROWS" >&2
  done
done

# --- report ---------------------------------------------------------------------------------------------------------------
med() { awk -F'\t' -v w="$1" -v c="$2" '$1 == w && $c != "" && $c != "-" {print $c}' "$ROWS" | median; }
pgmed() { awk -F'\t' -v v="$1" '$1 == v && $8 != "-" {print $8}' "$PGROWS" | median; }
calc() { awk -v a="$1" -v b="${2:-0}" "BEGIN {if (a == \"-\" || b == \"-\") print \"-\"; else $3}"; } # calc A B 'printf ... a, b'
ratio() { calc "$1" "$2" 'if (b > 0) printf "%.2f", a / b; else print "-"'; }
verdict() { # $1 value, $2 <= or >=, $3 target
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {if (v == "-") {print "-"; exit}
    ok = (op == "<=") ? v <= t + 0 : v >= t + 0; printf "**%s** (%s %s: %s)", v, op == "<=" ? "≤" : "≥", t, ok ? "PASS" : "FAIL"}'
}
whole() { calc "$1" 0 'printf "%.0f", a'; }
BARE_US=$(med B 12); BARE_RPS=$(med B 3)
TABLE="$WORK/table.md"; FLOORS="$WORK/floors.md"
{
  echo "| workload | results/s | JVM µs/decision | PostgreSQL µs/decision | total µs/decision | bare route JVM µs/request | total / bare | A/B throughput (results/s ÷ bare req/s) | PostgreSQL µs/decision ÷ pgbench floor µs/row |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for w in P1 P2; do
    jvm=$(med "$w" 12); pg=$(med "$w" 13); total=$(calc "$jvm" "$pg" 'printf "%.0f", a + b')
    floor=$(calc "$(pgmed "$w")" "$(pgmed "gen-$w")" 'printf "%.0f", a - b')
    target=4; label="P1 (no loop active)"
    if [ "$w" = P2 ]; then target=6; label="P2 (4 loops active, cooldowns ${COOLDOWN_SECONDS:-as seeded})"; fi
    echo "| $label | $(whole "$(med "$w" 4)") | $(whole "$jvm") | $(whole "$pg") | $total | $(whole "$BARE_US") | $(verdict "$(ratio "$total" "$BARE_US")" '<=' "$target") | $(verdict "$(ratio "$(med "$w" 4)" "$BARE_RPS")" '>=' 0.37) | $(ratio "$pg" "$floor") ($(whole "$pg") / $floor) |"
  done
} >"$TABLE"
{
  echo "| pgbench -M prepared -c $PG_CLIENTS, INSERT_DECISIONS in $BATCH-row batches of the workload's logged rows | gen alone, PostgreSQL µs/row | gen + INSERT, µs/row | floor (difference), µs/row | decision rows / exposures written per batch |"
  echo "|---|---:|---:|---:|---:|"
  for w in P1 P2; do
    g=$(pgmed "gen-$w"); a=$(pgmed "$w")
    echo "| $w: $(sql "SELECT count(*) || ' rows sampled, ' || count(*) FILTER (WHERE guarded) || ' of them selections (guarded)' FROM bench_rows_$w") | $(whole "$g") | $(whole "$a") | $(calc "$a" "$g" 'printf "%.0f", a - b') | $(awk -F'\t' -v v="$w" '$1 == v {b += $3; d += $5; e += $6} END {if (b) printf "%.1f / %.1f", d / b, e / b; else print "-"}' "$PGROWS") |"
  done
} >"$FLOORS"
P2_SEL=$(awk -F'\t' '$1 == "P2" {s += $8; n += $7} END {printf "%.1f %% (%d of %d)", n ? 100 * s / n : 0, s, n}' "$ROWS")
NOTES="Bare route (viralengine.bench.BareRoute, same JVM flags, rpc.lua): $(whole "$BARE_RPS") req/s, $(whole "$BARE_US") µs of JVM CPU per request (medians of $REPS). P2's decisions that were selections: $P2_SEL. Medians of $REPS interleaved runs of each; total = JVM median + PostgreSQL median; targets from issue 13: total / bare ≤ 4 (P1), ≤ 6 (P2); A/B ≥ 0.37."
cat "$TABLE"; echo; cat "$FLOORS"; echo; echo "$NOTES"

if [ "$RESULTS" != /dev/null ]; then
  host_facts
  {
    echo
    echo "## Issue 13: CPU per decision ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/cost.sh)"
    echo
    echo "- Command: \`$COMMAND\`"
    echo "- Machine: $(nproc) cores ($CPU), $MEM; PostgreSQL $PGV (server defaults); $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'); $(pgbench --version)."
    echo "  Load average at start $LOAD_AT_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine share its cores: see the load column)."
    echo "  Generator, JVMs and PostgreSQL share the machine over loopback; $(pinning_note). Build: \`$JAR\` (sha256 $(sha256sum "$JAR" | cut -c1-12)), commit $REV$DIRTY."
    echo "- JVM: $("$JAVA" -version 2>&1 | head -n 1), \`$JAVA_OPTS\` (service and BareRoute); service env: \`$SERVICE_ENV ORCHESTRATOR_LOOPS_REFRESH_MS=1000\`; peak RSS (VmHWM): $PEAK_RSS."
    echo "- Data: $SEEDED (seeded by SQL after the service migrated)$PARTITIONS_NOTE; P2: the four seeded loops with their triggers, cooldowns ${COOLDOWN_SECONDS:-as seeded (1-7 days)}; rule: the default (global, orchestrator.daily_cap per calendar day in the learner's zone)."
    echo "- Load: closed loop \`wrk -t$THREADS -c$CONNS -d$DURATION\`; P1/P2 select_loop with a request_id for a random learner of $LEARNERS and a random event type (bench/decide.lua); B (the bare route, beside the idle service on its own port) bench/rpc.lua select_loop. $WARMUP warm-up per workload (P1/P2: a ninth at 2 connections), then $REPS reps of P1, P2, B interleaved; medians."
    echo "- CPU per decision = CPU time over the wrk run / rows the run added to agent_decisions (counted after the decision log settled). JVM: the service's /proc/PID/stat utime+stime. PostgreSQL: this database's backends + the background processes, sampled every 0.2 s. Bare route: its JVM's CPU / requests wrk counted."
    echo "- Floor: the JVMs stopped, DecisionStore.INSERT_DECISIONS (from the JAR) under \`pgbench -n -M prepared -c $PG_CLIENTS -j $THREADS -T $PG_SECONDS\`, $PG_ROUNDS rounds interleaved, $BATCH-row batches copied from a random sample of what each workload logged (selections guarded with the learner's current selection_seq), random learners; PostgreSQL CPU per row built, minus the \`gen\` SELECT alone."
    echo
    cat "$TABLE"; echo
    echo "$NOTES"; echo
    cat "$FLOORS"; echo
    echo "<details><summary>Every run (workload, rep, req/s, results/s, wrk p50, wrk p99, decisions logged (B: requests), selections, degraded+errors, JVM ticks, PG ticks, JVM µs/decision, PG µs/decision, JVM %, PG %, machine busy %, load, outcomes); floor runs (variant, round, batches, rows built, decision rows written, exposures written, PG ticks, PG µs/row, load)</summary>"
    echo; echo '```'; cat "$ROWS" "$PGROWS"; echo '```'; echo; echo "</details>"
  } >>"$RESULTS"
  log "appended to $RESULTS"
fi
