-- wrk script for etcd's gRPC-gateway JSON API (etcd 3.4: /v3/kv/put and /v3/kv/range; the older
-- /v3beta paths answer too, /v3alpha is gone). Used by bench/run-cluster-figures.sh:
--
--   wrk -t2 -c50 -d10s --latency -s bench/etcd-wrk.lua http://127.0.0.1:PORT -- put KEYS [VALUE_SIZE]
--   wrk -t2 -c50 -d10s --latency -s bench/etcd-wrk.lua http://127.0.0.1:PORT -- get KEYS
--
-- put: each request writes a random key of 0..KEYS-1 (16 digits, zero-padded, as kvbench's and
--      redis-benchmark -r's keys) with a VALUE_SIZE-byte value (default 100), as
--      {"key": base64, "value": base64}.
-- get: each request reads a random key of 0..KEYS-1 ({"key": base64}; etcd's default,
--      linearizable, read).
--
-- wrk prints p50/p75/p90/p99 with --latency but no p99.9, so done() prints one extra line,
-- "JSON {...}", with requests, seconds, ops_per_sec, p50_us, p99_us, p999_us, max_us, mean_us and
-- errors (connect, read, write, non-2xx status, timeout) for the script to parse. Keys are drawn
-- with math.random, seeded per thread.

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  local n = #s
  for i = 1, n, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(v / 262144) % 64
    local c2 = math.floor(v / 4096) % 64
    local c3 = math.floor(v / 64) % 64
    local c4 = v % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1) ..
        (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

-- setup runs in the main Lua state once per thread: give each thread its own number.
local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

local mode, keys, value_b64
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  mode = args[1] or "put"
  keys = tonumber(args[2] or "100000")
  local value_size = tonumber(args[3] or "100")
  if mode ~= "put" and mode ~= "get" then
    error("etcd-wrk.lua: the mode is put or get, not " .. tostring(mode))
  end
  math.randomseed(301 + 7919 * (thread_number or 0))
  local bytes = {}
  for i = 1, value_size do bytes[i] = string.char(math.random(33, 126)) end
  value_b64 = base64(table.concat(bytes))
end

function request()
  local key_b64 = base64(string.format("%016d", math.random(0, keys - 1)))
  if mode == "put" then
    return wrk.format("POST", "/v3/kv/put", headers,
                      '{"key":"' .. key_b64 .. '","value":"' .. value_b64 .. '"}')
  end
  return wrk.format("POST", "/v3/kv/range", headers, '{"key":"' .. key_b64 .. '"}')
end

-- done() is bench/lib/wrk_report.lua's (the path is taken from this script's own).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib/wrk_report.lua")
