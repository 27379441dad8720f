-- wrk script: POST precomputed, signed webhook bodies (scripts/bench/make-bodies.py).
-- Env: BODIES_FILE (SIGNATURE_HEADER, default X-Spool-Signature), lines "<hex HMAC-SHA256>\t<body>". Every request of a thread is built
-- once in init(); request() only cycles through them, so wrk spends no time per request in
-- Lua. Threads start at different offsets of the file. The path comes from the URL given
-- to wrk. done() prints one line "WRK_JSON {...}" (same fields as the anchors' journey.lua).
local path = os.getenv("BODIES_FILE") or error("BODIES_FILE is not set")
-- Spool's own hooks; Meta's webhooks (bench-whatsapp) set X-Hub-Signature-256.
local signature_header = os.getenv("SIGNATURE_HEADER") or "X-Spool-Signature"

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local requests = {}
local next_index = 1

function init(args)
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    local signature, body = line:match("^(%x+)\t(.+)$")
    if signature then
      local headers = {
        ["Content-Type"] = "application/json",
        [signature_header] = "sha256=" .. signature,
      }
      requests[#requests + 1] = wrk.format("POST", nil, headers, body)
    end
  end
  file:close()
  assert(#requests > 0, path .. " holds no signed bodies")
  -- Spread the threads over the file: thread t starts at t/8 of it.
  next_index = ((tonumber(tid) or 0) * math.floor(#requests / 8)) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > #requests then next_index = 1 end
  return r
end

function done(summary, latency, requests)
  local d = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_s":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"lat_mean_ms":%.3f,"lat_stdev_ms":%.3f,"lat_p50_ms":%.3f,"lat_p90_ms":%.3f,' ..
    '"lat_p99_ms":%.3f,"lat_p999_ms":%.3f,"lat_max_ms":%.3f}\n',
    summary.requests, d, summary.requests / d, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean / 1000, latency.stdev / 1000, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
