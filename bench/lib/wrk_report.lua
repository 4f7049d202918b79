-- done() for the bench's wrk scripts (bench/etcd-wrk.lua, bench/kv-http-wrk.lua), loaded by
-- them with dofile. wrk prints p50/p75/p90/p99 with --latency but no p99.9, so this prints one
-- extra line, "JSON {...}", with requests, seconds, ops_per_sec, p50_us, p99_us, p999_us,
-- max_us, mean_us and errors (connect, read, write, non-2xx status, timeout), which
-- bench/lib/wrk.bash reads.
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
      'JSON {"requests":%d,"seconds":%.6f,"ops_per_sec":%.1f,"p50_us":%d,"p99_us":%d,' ..
      '"p999_us":%d,"max_us":%d,"mean_us":%.1f,"errors":%d}\n',
      summary.requests, seconds, summary.requests / seconds, latency:percentile(50),
      latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
      e.connect + e.read + e.write + e.status + e.timeout))
end
