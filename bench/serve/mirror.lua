-- wrk script: every request is a signed-in member reading their own mirror.
--   wrk -c 200 -t 2 -d 60s --latency --timeout 5s -s mirror.lua http://127.0.0.1:PORT -- COOKIES PATH
-- COOKIES: one `om_session=TOKEN` line per member; each thread's requests rotate through them
-- (thread t starts at member 1 + 97 t), so each connection sends a different member's cookie on
-- each request. PATH: /me (the page) or /api/v1/me/mirror (JSON). Statuses are counted per thread and
-- summed in done(); anything but 2xx is an error (a lost session would be a 303 to /login or a 401),
-- and so is a socket error or a timeout. done() prints one `RESULT {json}` line.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookies = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(cookies, line) end
  end
  path = args[2] or "/me"
  next_i = id * 97
  statuses = {}
end

function request()
  local c = cookies[(next_i % #cookies) + 1]
  next_i = next_i + 1
  return wrk.format("GET", path, { ["Cookie"] = c })
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, errors = {}, 0
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, n))
    if status < 200 or status > 299 then errors = errors + n end
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  local out = string.format(
    '{"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.1f, "p90_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f, "mean_ms": %.1f, ' ..
    '"non_2xx": %d, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "statuses": {%s}, "errors": %d}',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    errors, e.connect, e.read, e.write, e.timeout, table.concat(parts, ", "), errors + socket_errors)
  io.write("RESULT " .. out .. "\n")
end
