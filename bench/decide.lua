-- wrk script for bench/decisioning.sh: POST /mcp/orchestrator/select_loop for a random learner of N
-- (learner-1 .. learner-N, as the script seeds them), a random event type, and a unique request_id.
--
-- Usage: wrk ... -s bench/decide.lua http://127.0.0.1:PORT -- RUN_PREFIX LEARNERS
--
-- Closed loop by default (each connection sends its next request when the answer came).
-- Open loop when OPEN_RATE (req/s over all connections) and OPEN_CONNS are in the environment; run it with
-- -t OPEN_CONNS -c OPEN_CONNS (one connection per wrk thread, so request and answer alternate and the script can
-- time each answer itself). Each connection sends on its own fixed schedule, every OPEN_CONNS / OPEN_RATE s, the
-- connections' schedules staggered evenly over one interval. A latency is measured from the request's INTENDED send
-- time (as wrk2 does), so an answer that comes late delays the next request and that delay counts against it:
-- no coordinated omission. wrk's delay() has whole milliseconds, so a request can go out up to 1 ms early; it is then
-- timed from when it went out. `late` counts requests sent over 1 ms after their slot: the connection was still
-- waiting for an earlier answer, or the generator was not scheduled in time. Their wait is in their latency; a high
-- count means the server saw fewer requests in flight than a true open loop would have sent (use more connections).
--
-- done() prints one line:
--   BENCH rps=.. results_per_s=.. p50_ms=.. p99_ms=.. p999_ms=.. responses=.. ok=.. selected=.. degraded=..
--         rpc_errors=.. non200=.. socket_errors=.. [open_p50_ms=.. open_p99_ms=.. open_p999_ms=.. open_max_ms=..
--         open_n=.. late=..]
-- ok = HTTP 200 with "result"; selected = results with outcome "selected"; degraded = results with "degraded":true.
-- p50/p99/p99.9 are wrk's (from the actual send); open_* are this script's (from the intended send time).

local ffi = require "ffi"
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us() -- CLOCK_MONOTONIC: one clock for every wrk thread
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local rate = tonumber(os.getenv("OPEN_RATE") or "") or 0
local conns = tonumber(os.getenv("OPEN_CONNS") or "") or 1
local threads = {}
local start_us -- the schedules' common origin, set in the main state when the first thread is set up

function setup(thread)
  start_us = start_us or now_us() + 200000 -- time for every thread to start and connect
  thread:set("tid", #threads + 1)
  thread:set("t0", start_us)
  table.insert(threads, thread)
end

local event_types = { "practice_completed", "session_ended", "diagnostic_completed" }

function init(args)
  prefix = (args[1] or "bench") .. "-" .. tid
  learners = tonumber(args[2] or "") or 100000
  math.randomseed(tid * 7919 + os.time())
  counter, ok, selected, degraded, rpc_errors, non200, late = 0, 0, 0, 0, 0, 0, 0
  path = "/mcp/orchestrator/select_loop"
  headers = { ["Content-Type"] = "application/json" }
  if rate > 0 then
    interval = conns / rate * 1e6 -- us between two sends on this connection
    next_us = t0 + (tid - 1) * interval / conns
    lats = {}
  end
end

-- wrk checks for delay() once, in the main state, so it exists only in open-loop mode
if rate > 0 then
  function delay()
    local ms = (next_us - now_us()) / 1000
    return ms > 0 and math.floor(ms) or 0
  end
end

function request()
  counter = counter + 1
  if rate > 0 then
    local t = now_us()
    sent_us = t < next_us and t or next_us
    if t - next_us > 1000 then late = late + 1 end
    next_us = next_us + interval
  end
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"select_loop","params":{"user_id":"learner-%d","event_type":"%s",'
      .. '"request_id":"%s-%d"}}',
    counter, math.random(learners), event_types[math.random(3)], prefix, counter)
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if rate > 0 then lats[#lats + 1] = now_us() - sent_us end
  if status ~= 200 then
    non200 = non200 + 1
  elseif string.find(body, '"result":', 1, true) then
    ok = ok + 1
    if string.find(body, '"degraded":true', 1, true) then degraded = degraded + 1 end
    if string.find(body, '"outcome":"selected"', 1, true) then selected = selected + 1 end
  else
    rpc_errors = rpc_errors + 1
  end
end

local function percentile(sorted, p)
  local i = math.ceil(#sorted * p)
  return sorted[i < 1 and 1 or i] / 1000
end

function done(summary, latency, requests)
  local totals = { ok = 0, selected = 0, degraded = 0, rpc_errors = 0, non200 = 0, late = 0 }
  local all = {}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
    if rate > 0 then
      for _, v in ipairs(thread:get("lats")) do all[#all + 1] = v end
    end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  local line = string.format(
    "BENCH rps=%.1f results_per_s=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f responses=%d ok=%d selected=%d"
      .. " degraded=%d rpc_errors=%d non200=%d socket_errors=%d",
    summary.requests / secs, (totals.ok - totals.degraded) / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, summary.requests, totals.ok, totals.selected,
    totals.degraded, totals.rpc_errors, totals.non200, e.connect + e.read + e.write + e.timeout)
  if rate > 0 and #all > 0 then
    table.sort(all)
    line = line .. string.format(" open_p50_ms=%.3f open_p99_ms=%.3f open_p999_ms=%.3f open_max_ms=%.3f open_n=%d late=%d",
      percentile(all, 0.5), percentile(all, 0.99), percentile(all, 0.999), all[#all] / 1000, #all, totals.late)
  end
  io.write(line .. "\n")
end
