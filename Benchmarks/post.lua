-- wrk script: each thread posts its own range of pre-made tokens to /backchannel-logout/bench.
dofile(os.getenv("TOKENS"))
local thread_id = 0
function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  counter = id * 100000
end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/backchannel-logout/bench",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, tokens[(counter % #tokens) + 1])
end
