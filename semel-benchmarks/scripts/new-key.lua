-- POST with a fresh Idempotency-Key on every request (unique per run, thread and request).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local prefix
function init(args)
  prefix = (args[1] or tostring(os.time())) .. "-" .. tostring(tid) .. "-"
end
wrk.method = "POST"
wrk.body = '{"amount":1250,"currency":"EUR","customer":"cus_42","description":"benchmark"}'
wrk.headers["Content-Type"] = "application/json"
if os.getenv("AUTH") ~= nil and os.getenv("AUTH") ~= "" then
  wrk.headers["Authorization"] = os.getenv("AUTH") -- AUTH (env): a credential header, as a real client sends
end
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = prefix .. counter
  return wrk.format()
end
