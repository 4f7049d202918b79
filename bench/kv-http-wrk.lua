-- wrk script for kv's HTTP API (kvnode --http-listen; man kv-http). Used by
-- bench/run-http-figures.sh:
--
--   wrk -t2 -c50 -d10s --latency -s bench/kv-http-wrk.lua http://127.0.0.1:PORT -- put KEYS [VALUE_SIZE]
--   wrk ... -- put-read-first KEYS [VALUE_SIZE]
--   wrk ... -- get KEYS
--
-- put:            PUT /v1/kv/KEY?blind=true of a fresh key (never written before: each thread
--                 counts its own, so a blind write adds no sibling) with a VALUE_SIZE-byte value
--                 (default 100), as kvbench net --workload put writes.
-- put-read-first: the same without blind=true: the node reads the key first (kvput's default).
-- get:            GET /v1/kv/KEY of a random key of 0..KEYS-1, as kvbench names them (16 bytes:
--                 15 digits and a '0'); load them first (kvbench net --workload c --load).
--
-- As bench/etcd-wrk.lua, done() prints "JSON {...}" with requests, seconds, ops_per_sec, p50_us,
-- p99_us, p999_us, max_us, mean_us and errors (connect, read, write, timeout, and any status
-- but 2xx: a 404 of a get counts as an error, so a missing load shows).

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

local mode, keys, value, counter

function init(args)
  mode = args[1] or "put"
  keys = tonumber(args[2] or "100000")
  local value_size = tonumber(args[3] or "100")
  if mode ~= "put" and mode ~= "put-read-first" and mode ~= "get" then
    error("kv-http-wrk.lua: the mode is put, put-read-first or get, not " .. tostring(mode))
  end
  math.randomseed(503 + 7919 * (thread_number or 0))
  local bytes = {}
  for i = 1, value_size do bytes[i] = string.char(math.random(33, 126)) end
  value = table.concat(bytes)
  counter = 0
end

function request()
  if mode == "get" then
    return wrk.format("GET", string.format("/v1/kv/%015d0", math.random(0, keys - 1)))
  end
  counter = counter + 1
  -- Fresh keys: a letter for the mode (apart from kvbench's and from each other), the thread's
  -- number, then its count.
  local path = string.format("/v1/kv/%s%02d%013d", mode == "put" and "w" or "r",
                             thread_number or 0, counter)
  if mode == "put" then path = path .. "?blind=true" end
  return wrk.format("PUT", path, nil, value)
end

-- done() is bench/lib/wrk_report.lua's (the path is taken from this script's own).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib/wrk_report.lua")
