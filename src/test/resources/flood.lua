-- FloodIT's token A (src/test/java/viralengine/resilience/FloodIT.java): wrk keeps one select_loop in flight on each
-- connection, for one of 1,000 learners, with a request_id of its own. FLOOD_TOKEN is A's bearer token.
local token = os.getenv("FLOOD_TOKEN")
local threads = 0
local n = 0
local thread_id = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function request()
  n = n + 1
  local body = '{"jsonrpc":"2.0","id":' .. n .. ',"method":"select_loop","params":{"user_id":"learner-' .. (n % 1000)
    .. '","event_type":"practice_completed","request_id":"flood-a-' .. thread_id .. '-' .. n .. '"}}'
  return wrk.format("POST", "/mcp/orchestrator/select_loop",
    {["content-type"] = "application/json", ["authorization"] = "Bearer " .. token}, body)
end
