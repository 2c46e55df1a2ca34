-- One request shape per BENCH_MODE (baseline | fetch | refresh), optional pacing, a JSON summary.
--   BENCH_INPUT    file of request inputs, one per line, split between wrk threads
--   BENCH_THREADS  wrk's -t, so each thread takes a disjoint share of the input
--   BENCH_DELAY_MS mean pause per connection between requests (0: as fast as possible)
--   BENCH_BASIC    the Authorization header of the refresh mode (client_secret_basic)
local mode = os.getenv("BENCH_MODE") or "baseline"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local basic = os.getenv("BENCH_BASIC") or ""
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

local lines = {}
local position = 0

function init(args)
  local path = os.getenv("BENCH_INPUT")
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  if path then
    local n = 0
    for line in io.lines(path) do
      if n % nthreads == index then
        lines[#lines + 1] = line
      end
      n = n + 1
    end
  end
  math.randomseed(os.time() + index * 7919)
end

function request()
  if mode == "fetch" then
    -- "token record_id": a random sampled person each time, so reads spread over the table.
    local line = lines[math.random(#lines)]
    local token, record = line:match("^(%S+) (%S+)$")
    return wrk.format("GET", "/api/v1/records/" .. record, { ["Authorization"] = "Bearer " .. token })
  elseif mode == "refresh" then
    -- Refresh tokens rotate: each is presented once (a second use would be a replay).
    position = position + 1
    local token = lines[position] or "exhausted"
    return wrk.format("POST", "/oauth/token", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = basic,
    }, "grant_type=refresh_token&refresh_token=" .. token)
  end
  -- The bare JSON endpoint of the same app and server (PDS_BENCH_BASELINE=1).
  return wrk.format("GET", "/api/v1/bench/baseline")
end

if delay_ms > 0 then
  -- Uniform jitter around the mean keeps connections from marching in lock-step.
  function delay()
    return delay_ms * (0.5 + math.random())
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
