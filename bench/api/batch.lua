-- wrk script: batch POSTs of BENCH_API_BATCH transfers (default 8189), ids unique
-- across threads and requests. The body is assembled from pieces made once, so wrk
-- (on the same cores as the server) spends little on it: per request only the id
-- prefix changes — item i of request n on thread t has id (t * 10^12 + n) * 10^5 + i.
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("base", next_thread * 1000000000000)
end
function init(args)
  n = 0
  size = tonumber(os.getenv("BENCH_API_BATCH") or "8189")
  assert(size < 100000, "ids hold the item number in 5 digits")
  local accounts = tonumber(os.getenv("BENCH_API_ACCOUNTS") or "100")
  auth = "Bearer " .. os.getenv("BENCH_API_KEY")
  parts = {}
  for i = 1, size do
    parts[3 * i - 2] = (i == 1 and '{"transfers":[' or ',') .. '{"id":"'
    parts[3 * i - 1] = "" -- the request's id prefix
    parts[3 * i] = string.format(
      '%05d","debit_account_id":"1","credit_account_id":"%d","amount":"1","asset":"USD","code":1}',
      i, 2 + (i % accounts))
  end
  parts[3 * size + 1] = "]}"
end
function request()
  n = n + 1
  local prefix = tostring(base + n)
  for i = 1, size do
    parts[3 * i - 1] = prefix
  end
  return wrk.format("POST", "/v1/transfers/batch",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, table.concat(parts))
end
