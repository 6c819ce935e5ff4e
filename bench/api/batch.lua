-- wrk script: batch POSTs of BENCH_API_BATCH transfers (default 8189), ids unique
-- across threads and requests.
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("base", next_thread * 1000000000000)
end
function init(args)
  n = 0
  size = tonumber(os.getenv("BENCH_API_BATCH") or "8189")
  accounts = tonumber(os.getenv("BENCH_API_ACCOUNTS") or "100")
  auth = "Bearer " .. os.getenv("BENCH_API_KEY")
end
function request()
  local items = {}
  for i = 1, size do
    n = n + 1
    items[i] = string.format(
      '{"id":"%d","debit_account_id":"1","credit_account_id":"%d","amount":"1","asset":"USD","code":1}',
      base + n, 2 + (n % accounts))
  end
  local body = '{"transfers":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/v1/transfers/batch", {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
