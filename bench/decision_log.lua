-- wrk script for bench/decision-log.sh: POST trigger_event with a unique request_id per request.
--
-- Usage: wrk ... -s bench/decision_log.lua http://127.0.0.1:PORT -- RUN_PREFIX
-- request_id = RUN_PREFIX-<thread>-<counter>, so no two requests of any run share an id.
--
-- Each thread counts what it sent and what came back; done() prints one line for the script:
--   BENCH rps=.. results_per_s=.. p50_ms=.. p99_ms=.. responses=.. sent=.. ok=.. rpc_errors=.. non200=.. socket_errors=..
--         timeout_32001=.. circuit_open_32002=.. overloaded_32003=..
-- ok = HTTP 200 whose body holds "result" (a decision the caller was given); rpc_errors = HTTP 200
-- with a JSON-RPC error (of which -32001 timeout, -32002 circuit open and -32003 overloaded are also
-- counted on their own); non200 = any other status.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = (args[1] or "bench") .. "-" .. tid
  counter = 0
  sent = 0
  ok = 0
  rpc_errors = 0
  non200 = 0
  e32001 = 0
  e32002 = 0
  e32003 = 0
  headers = { ["Content-Type"] = "application/json" }
end

local event_types = { "practice_completed", "session_ended", "diagnostic_completed" }

function request()
  counter = counter + 1
  sent = sent + 1
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"trigger_event","params":{"event_type":"%s","user_id":"learner-%d",'
      .. '"request_id":"%s-%d","context":{"skill":"fractions","score":0.92}}}',
    counter, event_types[counter % 3 + 1], counter % 1000, prefix, counter)
  return wrk.format("POST", "/mcp/orchestrator/trigger_event", headers, body)
end

function response(status, hdrs, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif string.find(body, '"result":', 1, true) then
    ok = ok + 1
  else
    rpc_errors = rpc_errors + 1
    if string.find(body, '"code":-32001', 1, true) then
      e32001 = e32001 + 1
    elseif string.find(body, '"code":-32002', 1, true) then
      e32002 = e32002 + 1
    elseif string.find(body, '"code":-32003', 1, true) then
      e32003 = e32003 + 1
    end
  end
end

function done(summary, latency, requests)
  local totals = { sent = 0, ok = 0, rpc_errors = 0, non200 = 0, e32001 = 0, e32002 = 0, e32003 = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f results_per_s=%.1f p50_ms=%.3f p99_ms=%.3f responses=%d sent=%d ok=%d rpc_errors=%d non200=%d socket_errors=%d"
      .. " timeout_32001=%d circuit_open_32002=%d overloaded_32003=%d\n",
    summary.requests / (summary.duration / 1e6), totals.ok / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, totals.sent, totals.ok, totals.rpc_errors, totals.non200,
    e.connect + e.read + e.write + e.timeout, totals.e32001, totals.e32002, totals.e32003))
end
