-- wrk script for bench/run.sh: the Authorization header comes from the environment
-- (BENCH_AUTH), so no token appears on a command line, and so does
-- X-Auth-Required-Scopes (BENCH_REQUIRED_SCOPES) and Cookie (BENCH_COOKIE); with BENCH_COUNT=1 it also
-- counts the answers by status and prints them ("status 401 12345") when done.

local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

-- The page case's session cookies (BENCH_COOKIE), likewise.
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local required = os.getenv("BENCH_REQUIRED_SCOPES")
if required ~= nil and required ~= "" then
  wrk.headers["X-Auth-Required-Scopes"] = required
end

if os.getenv("BENCH_COUNT") == "1" then
  local threads = {}

  function setup(thread)
    table.insert(threads, thread)
  end

  function init(args)
    statuses = {}
  end

  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end

  function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
        total[status] = (total[status] or 0) + n
      end
    end
    for status, n in pairs(total) do
      io.write(string.format("status %d %d\n", status, n))
    end
  end
end
