#!/usr/bin/env bash
# Time for a fourth node to join a 3-node cluster holding KEYS keys (N=3): from the start of its
# kvnode to its "joined" log line (it is then normal), and the streaming alone (from the end of
# its ring delay). Then `kvring cleanup` on n1 once every node sees n4 normal: the keys it gave up
# to n4 removed, and how long that took. RUNS (3) runs, each on a fresh cluster. Nodes listen on
# 127.0.0.1:17211-17214 and are stopped by pid.
# SYNC (batch) is every node's --sync.
#   B=build/bin KEYS=100000 bench/run-join-figures.sh
# Each run's line has the streaming rate, stream_mb_s: the bytes n4's join exchanged over the
# streaming time; the disk's sequential bandwidth (fio) comes first, to compare with.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
B=${B:-build/bin}
KEYS=${KEYS:-100000}
RING_DELAY_MS=${RING_DELAY_MS:-1000}
RUNS=${RUNS:-3}
SYNC=${SYNC:-batch}
flags=(--gossip-interval-ms 200 --ring-delay-ms "$RING_DELAY_MS" --anti-entropy-interval-s 0
  --sync "$SYNC")
ms_now() { date +%s%3N; }
run() {
  local dir pids=() i
  dir=$(mktemp -d /tmp/kv-join.XXXXXX)
  # A failing step ends the script (set -e): stop this run's nodes with it.
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  for i in 1 2 3; do
    s=(); [[ $i -ne 1 ]] && s=(--seeds 127.0.0.1:17211)
    "$B/kvnode" --id n$i --listen 127.0.0.1:1721$i --data-dir "$dir/n$i" "${flags[@]}" "${s[@]}" \
      2>"$dir/n$i.log" &
    pids+=($!)
  done
  for i in 1 2 3; do
    until "$B/kvring" --node 127.0.0.1:1721$i --json 2>/dev/null |
      grep -q "\"id\":\"n$i\"[^}]*\"state\":\"normal\""; do sleep 0.2; done
  done
  "$B/kvbench" net --node 127.0.0.1:17211 --workload put --num "$KEYS" --concurrency 50 --json >/dev/null
  local data_mb
  data_mb=$(du -sm "$dir/n1" | cut -f1)
  local start end
  : > "$dir/n4.log"
  start=$(ms_now)
  "$B/kvnode" --id n4 --listen 127.0.0.1:17214 --data-dir "$dir/n4" "${flags[@]}" \
    --seeds 127.0.0.1:17211 2>"$dir/n4.log" &
  pids+=($!)
  until grep -q 'joined:' "$dir/n4.log"; do sleep 0.05; done
  end=$(ms_now)
  local joined stream_s
  joined=$(grep -o 'joined:.*' "$dir/n4.log")
  # Streaming: from the "streaming" line to the "joined" line (spdlog's timestamps).
  stream_s=$(python3 - "$dir/n4.log" <<'PY'
import re, sys, datetime
t = {}
for line in open(sys.argv[1]):
    m = re.match(r'\[(\d+-\d+-\d+ \d+:\d+:\d+\.\d+)\]', line)
    if not m: continue
    ts = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f')
    if 'joining: streaming' in line: t.setdefault('start', ts)
    if 'joined:' in line: t['end'] = ts
print(f"{(t['end'] - t['start']).total_seconds():.2f}")
PY
)
  for i in 1 2 3; do
    until "$B/kvring" --node 127.0.0.1:1721$i --json 2>/dev/null |
      grep -q '"id":"n4"[^}]*"state":"normal"'; do sleep 0.2; done
  done
  local cleanup cleanup_json
  # Cleanup waits for a settled ring (the ring delay after n4 turned normal): retry until then.
  for _ in $(seq 1 100); do
    cleanup_json=$("$B/kvring" --node 127.0.0.1:17211 --timeout-ms 600000 cleanup --json 2>/dev/null || true)
    grep -q 'not settled' <<<"$cleanup_json" || break
    sleep 0.5
  done
  cleanup=$(echo "$cleanup_json" |
    python3 -c 'import json,sys; c=json.load(sys.stdin); print("cleanup_removed=%d cleanup_scanned=%d cleanup_s=%.2f" % (c["keys_removed"], c["keys_scanned"], c["seconds"]) if "keys_removed" in c else "cleanup_error=%s" % json.dumps(json.dumps(c)))')
  local bytes stream_mb_s
  bytes=$(grep -o '[0-9]* bytes exchanged' <<<"$joined" | cut -d' ' -f1)
  stream_mb_s=$(python3 -c "print(f'{$bytes / 1e6 / max($stream_s, 0.01):.1f}')")
  echo "keys=$KEYS n1_data_mb=$data_mb $cleanup stream_mb_s=$stream_mb_s join_s=$(python3 -c "print(f'{($end - $start) / 1000:.2f}')") stream_s=$stream_s ring_delay_ms=$RING_DELAY_MS sync=$SYNC load=\"$(uptime | sed 's/.*load average: //')\" $joined"
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  rm -rf "$dir"
}
probe=$(mktemp -d /tmp/kv-join-disk.XXXXXX)
echo "disk under /tmp: $(disk_bandwidth "$probe")"
rm -rf "$probe"
for _ in $(seq 1 "$RUNS"); do run; done
