-- wrk script for bench/run.sh and bench/decision-log.sh: POST /mcp/orchestrator/<method> with a unique request_id per request.
--
-- Usage: wrk ... -s bench/rpc.lua http://127.0.0.1:PORT -- METHOD RUN_PREFIX
--   METHOD = select_loop | trigger_event; request_id = RUN_PREFIX-<thread>-<counter>.
-- done() prints one line:
--   BENCH rps=.. results_per_s=.. p50_ms=.. p99_ms=.. p999_ms=.. responses=.. sent=.. ok=.. degraded=.. rpc_errors=..
--         non200=.. socket_errors=.. timeout_32001=.. circuit_open_32002=.. overloaded_32003=..
-- ok = HTTP 200 with "result"; degraded = results carrying "degraded":true (select_loop's default decision);
-- rpc_errors = HTTP 200 with a JSON-RPC error; non200 = any other status (503 = shed, -32003).

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  method = args[1] or "select_loop"
  prefix = (args[2] or "bench") .. "-" .. tid
  counter = 0
  sent = 0
  ok = 0
  degraded = 0
  e32001 = 0
  e32002 = 0
  rpc_errors = 0
  non200 = 0
  e32003 = 0
  path = "/mcp/orchestrator/" .. method
  headers = { ["Content-Type"] = "application/json" }
  -- BENCH_TOKEN (optional): sent as Authorization: Bearer, for runs against a service with API tokens
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
end

local event_types = { "practice_completed", "session_ended", "diagnostic_completed" }

function request()
  counter = counter + 1
  sent = sent + 1
  local body
  if method == "trigger_event" then
    body = string.format(
      '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"%s","user_id":"learner-%d",'
        .. '"request_id":"%s-%d","context":{"skill":"fractions","score":0.92}}}',
      counter, event_types[counter % 3 + 1], counter % 1000, prefix, counter)
  else
    body = string.format(
      '{"jsonrpc":"2.0","id":%d,"method":"select_loop","params":{"user_id":"learner-%d","event_type":"%s",'
        .. '"request_id":"%s-%d"}}',
      counter, counter % 1000, event_types[counter % 3 + 1], prefix, counter)
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  if status ~= 200 then
    non200 = non200 + 1
    if status == 503 then e32003 = e32003 + 1 end
  elseif string.find(body, '"result":', 1, true) then
    ok = ok + 1
    if string.find(body, '"degraded":true', 1, true) then degraded = degraded + 1 end
  else
    rpc_errors = rpc_errors + 1
    if string.find(body, '"code":-32001', 1, true) then e32001 = e32001 + 1 end
    if string.find(body, '"code":-32002', 1, true) then e32002 = e32002 + 1 end
    if string.find(body, '"code":-32003', 1, true) then e32003 = e32003 + 1 end
  end
end

function done(summary, latency, requests)
  local totals = { sent = 0, ok = 0, degraded = 0, rpc_errors = 0, non200 = 0, e32001 = 0, e32002 = 0, e32003 = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH rps=%.1f results_per_s=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f responses=%d sent=%d ok=%d degraded=%d"
      .. " rpc_errors=%d non200=%d socket_errors=%d timeout_32001=%d circuit_open_32002=%d overloaded_32003=%d\n",
    summary.requests / secs, (totals.ok - totals.degraded) / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, summary.requests, totals.sent, totals.ok,
    totals.degraded, totals.rpc_errors, totals.non200, e.connect + e.read + e.write + e.timeout, totals.e32001,
    totals.e32002, totals.e32003))
end
