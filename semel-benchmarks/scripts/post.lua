-- POST the same small JSON body; KEY (env) set: every request carries that one key.
wrk.method = "POST"
wrk.body = '{"amount":1250,"currency":"EUR","customer":"cus_42","description":"benchmark"}'
wrk.headers["Content-Type"] = "application/json"
if os.getenv("AUTH") ~= nil and os.getenv("AUTH") ~= "" then
  wrk.headers["Authorization"] = os.getenv("AUTH") -- AUTH (env): a credential header, as a real client sends
end
local key = os.getenv("KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Idempotency-Key"] = key
end
