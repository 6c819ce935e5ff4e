-- wrk script: single-transfer POSTs with ids unique across threads and requests,
-- from the funding account 1 to the user accounts 2..ACCOUNTS+1 in turn. The request
-- text is put together by hand around a prefix made once (wrk.format rebuilds the
-- headers from a table on every call), and there is no response() function (wrk then
-- skips parsing replies into Lua): wrk shares the server's cores, so what it spends
-- is taken from the server. bench/run-api fails the run on any non-2xx reply.
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("base", next_thread * 1000000000)
end
function init(args)
  n = 0
  accounts = tonumber(os.getenv("BENCH_API_ACCOUNTS") or "100")
  head = "POST /v1/transfers HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port ..
    "\r\nContent-Type: application/json\r\nAuthorization: Bearer " ..
    os.getenv("BENCH_API_KEY") .. "\r\nContent-Length: "
end
function request()
  n = n + 1
  local body = string.format(
    '{"id":"%d","debit_account_id":"1","credit_account_id":"%d","amount":"1","asset":"USD","code":1}',
    base + n, 2 + (n % accounts))
  return head .. #body .. "\r\n\r\n" .. body
end
