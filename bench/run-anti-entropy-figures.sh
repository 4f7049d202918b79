#!/usr/bin/env bash
# Client throughput with background anti-entropy on (interval 1 s: a round runs as often as the
# 1/10 duty cycle allows) against off, on a 3-node cluster holding KEYS keys: YCSB A and C with 50
# clients, PAIRS (3) pairs of runs, off and on alternating. Each run also reports the CPU seconds
# the three nodes used while A and C ran, and while the cluster then sat idle for IDLE (10)
# seconds: anti-entropy's own cost, without the noise of client throughput. Nodes listen on
# 127.0.0.1:17201-17203 and are stopped by pid.
#   B=build/bin KEYS=20000 OPS=30000 PAIRS=3 bench/run-anti-entropy-figures.sh
set -euo pipefail
B=${B:-build/bin}
KEYS=${KEYS:-20000}
OPS=${OPS:-30000}
PAIRS=${PAIRS:-3}
IDLE=${IDLE:-10}
TICK=$(getconf CLK_TCK)
# CPU time (user + system, in clock ticks) of the given processes so far.
cpu_ticks() {
  local p t=0 f
  for p in "$@"; do read -r -a f <"/proc/$p/stat"; t=$((t + f[13] + f[14])); done
  echo "$t"
}
secs() { awk -v t="$1" -v k="$TICK" 'BEGIN { printf "%.2f", t / k }'; }
run() {
  local interval=$1 dir
  dir=$(mktemp -d /tmp/kv-ae.XXXXXX)
  local pids=()
  for i in 1 2 3; do
    s=(); [[ $i -ne 1 ]] && s=(--seeds 127.0.0.1:1720$((1)))
    "$B/kvnode" --id n$i --listen 127.0.0.1:1720$i --data-dir "$dir/n$i" --gossip-interval-ms 200 \
      --anti-entropy-interval-s "$interval" "${s[@]}" 2>"$dir/n$i.log" &
    pids+=($!)
  done
  sleep 3
  "$B/kvbench" net --node 127.0.0.1:17201 --workload put --keys "$KEYS" --num "$KEYS" --concurrency 50 --json >/dev/null
  sleep 2
  local put get c0 c1 c2
  c0=$(cpu_ticks "${pids[@]}")
  put=$("$B/kvbench" net --node 127.0.0.1:17201 --workload a --keys "$KEYS" --num "$OPS" --concurrency 50 --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))')
  get=$("$B/kvbench" net --node 127.0.0.1:17201 --workload c --keys "$KEYS" --num "$OPS" --concurrency 50 --json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["ops_per_sec"]))')
  c1=$(cpu_ticks "${pids[@]}")
  sleep "$IDLE"
  c2=$(cpu_ticks "${pids[@]}")
  local rounds
  rounds=$(cat "$dir"/n*.log | grep -c "background anti-entropy" || true)
  echo "interval=$interval a_ops_per_s=$put c_ops_per_s=$get ae_rounds_logged=$rounds" \
    "load_cpu_s=$(secs $((c1 - c0))) idle_cpu_s=$(secs $((c2 - c1)))"
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  rm -rf "$dir"
}
uptime  # the machine is shared: the load before and after goes with the figure
for _ in $(seq 1 "$PAIRS"); do run 0; run 1; done
uptime
