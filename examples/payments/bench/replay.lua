-- POST /payments with one Idempotency-Key and one body on every request: the first is executed,
-- every later one is answered from the stored record (Idempotent-Replayed: true).
-- wrk -t2 -c16 -d20s --latency -s replay.lua http://127.0.0.1:8080
local key = "bench-replay-" .. tostring(os.time())
local body = '{"amount": 12.50, "currency": "EUR", "recipient": "bench"}'

function request()
  return wrk.format("POST", "/payments",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = key }, body)
end
