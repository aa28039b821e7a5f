-- POST /payments with a new Idempotency-Key on every request: each one is executed and stored.
-- wrk -t2 -c16 -d20s --latency -s new-key.lua http://127.0.0.1:8080
-- Keys are unique across wrk's threads (thread_id, set per thread in setup) and runs (start time).
local threads = {}
local counter = 0
local run = tostring(os.time())

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local body = '{"amount": 12.50, "currency": "EUR", "recipient": "bench"}'

function request()
  counter = counter + 1
  local key = "bench-" .. run .. "-" .. tostring(thread_id) .. "-" .. counter
  return wrk.format("POST", "/payments",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }, body)
end
