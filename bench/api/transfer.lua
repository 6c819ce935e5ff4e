-- wrk script: single-transfer POSTs with ids unique across threads and requests,
-- from the funding account 1 to the user accounts 2..ACCOUNTS+1 in turn. No response()
-- function: wrk then skips parsing replies into Lua (costly, on the server's cores);
-- bench/run-api fails the run on any non-2xx reply from wrk's own count.
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("base", next_thread * 1000000000)
end
function init(args)
  n = 0
  accounts = tonumber(os.getenv("BENCH_API_ACCOUNTS") or "100")
  auth = "Bearer " .. os.getenv("BENCH_API_KEY")
end
function request()
  n = n + 1
  local body = string.format(
    '{"id":"%d","debit_account_id":"1","credit_account_id":"%d","amount":"1","asset":"USD","code":1}',
    base + n, 2 + (n % accounts))
  return wrk.format("POST", "/v1/transfers", {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
