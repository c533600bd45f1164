-- wrk script: every thread posts its own slice of pre-made tokens, each once, to TARGET_PATH.
-- A thread that used up its slice sends GET /healthz instead; those are counted apart
-- ("exhausted") and never as accepted logouts. done() prints one JSON line for bench.py.
dofile(os.getenv("TOKENS"))
local path = os.getenv("TARGET_PATH")
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  local per = math.floor(#tokens / next_id_total())
  first = id * per + 1
  last = first + per - 1
  counter = first - 1
  ok = 0
  other = 0
  exhausted = 0
end
function next_id_total()
  return tonumber(os.getenv("WRK_THREADS") or "2")
end
request = function()
  counter = counter + 1
  if counter > last then
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, tokens[counter])
end
response = function(status, headers, body)
  if counter > last then
    exhausted = exhausted + 1
  elseif status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end
function done(summary, latency, requests)
  local ok_total, other_total, exhausted_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    other_total = other_total + thread:get("other")
    exhausted_total = exhausted_total + thread:get("exhausted")
  end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "ok": %d, "non_200": %d, "exhausted": %d, ' ..
    '"errors": %d, "p50_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, ok_total, other_total, exhausted_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
