-- wrk script: replays a pre-built request file (bench/traffic.py), each thread its own share
-- of the lines in order; prints a JSON summary. Usage: wrk -s requests.lua URL -- FILE THREADS
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local position = 0
wrapped = 0

local function split(line)
  local kind, credential, body = line:match("^(%a)\t([^\t]*)\t(.*)$")
  return kind, credential, body
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == thread_index then
      local kind, credential, body = split(line)
      local path, headers
      if kind == "T" then
        path = "/webhooks/telegram"
        headers = {["Content-Type"] = "application/json",
                   ["X-Telegram-Bot-Api-Secret-Token"] = credential}
      else
        path = "/webhooks/twilio/sms"
        headers = {["Content-Type"] = "application/x-www-form-urlencoded",
                   ["X-Twilio-Signature"] = credential}
      end
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
    i = i + 1
  end
end

function request()
  position = position + 1
  if position > #requests then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end

function done(summary, latency, requests_)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"wrapped": %d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), wraps))
end
