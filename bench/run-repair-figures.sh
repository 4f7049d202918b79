#!/usr/bin/env bash
# kvrepair's figures on a 3-node cluster holding KEYS keys (100,000), RUNS (3) runs of each case,
# each on a fresh cluster (127.0.0.1:17211-17213, nodes stopped by pid; background anti-entropy
# and hinted handoff off, so that only kvrepair moves data):
#   wiped:    KEYS keys written at W=3 (kvbench put); n3 killed with SIGKILL, its data directory
#             removed, n3 started again (a new clock identity); kvrepair --node n3.
#   diverged: 99% of KEYS written at W=3; n3 killed with SIGKILL; the other 1% (distinct keys, one
#             byte longer) written at W=2 while n3 is down; n3 started again on its data;
#             kvrepair --node n3. n3 then lacks exactly 1% of the keys.
# Prints kvrepair's JSON per run, then per case the medians: repair seconds, keys differing and
# transferred (and their ratio), keys compared, bytes exchanged against the data's size (keys
# and values as written).
#   B=build/bin KEYS=100000 RUNS=3 bench/run-repair-figures.sh
# Also the rate: bytes exchanged over the repair's seconds, in MB/s, beside the disk's sequential
# bandwidth (fio), measured first.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
B=${B:-build/bin}
KEYS=${KEYS:-100000}
RUNS=${RUNS:-3}
VALUE=${VALUE:-100}
KEY_SIZE=16
PORT0=17210
OUT=$(mktemp /tmp/kv-repair-figures.XXXXXX)
pids=()
dir=""

cleanup() {
  for pid in "${pids[@]}"; do
    [[ -n $pid ]] && { kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  done
  [[ -n $dir ]] && rm -rf "$dir"
  rm -f "$OUT"
}
trap cleanup EXIT

addr() { echo "127.0.0.1:$((PORT0 + $1))"; }
start() {
  local i=$1 s=()
  [[ $i -ne 1 ]] && s=(--seeds "$(addr 1)")
  "$B/kvnode" --id "n$i" --listen "$(addr "$i")" --data-dir "$dir/n$i" --gossip-interval-ms 200 \
    --hinted-handoff off --anti-entropy-interval-s 0 "${s[@]}" 2>>"$dir/n$i.log" &
  pids[$i]=$!
}
stop() {
  kill -9 "${pids[$1]}"
  wait "${pids[$1]}" 2>/dev/null || true
  pids[$1]=""
}
# Until every node sees all three up (30 s at most).
all_up() {
  for _ in $(seq 1 300); do
    local ok=1
    for i in 1 2 3; do
      n=$("$B/kvring" --node "$(addr "$i")" --json 2>/dev/null |
        python3 -c 'import json,sys; print(sum(n["status"] == "up" for n in json.load(sys.stdin)["nodes"]))' \
          2>/dev/null) || n=0
      [[ $n == 3 ]] || ok=0
    done
    ((ok)) && return 0
    sleep 0.1
  done
  echo "the cluster did not come up" >&2
  exit 1
}
put() {  # put W NUM KEY_SIZE
  "$B/kvbench" net --node "$(addr 1)" --workload put --w "$1" --num "$2" --key-size "$3" \
    --value-size "$VALUE" --concurrency 50 --json >/dev/null
}

run() {
  local case=$1
  dir=$(mktemp -d /tmp/kv-repair.XXXXXX)
  for i in 1 2 3; do start "$i"; done
  all_up
  if [[ $case == wiped ]]; then
    put 3 "$KEYS" "$KEY_SIZE"
    stop 3
    # Its membership file stays, so n3 returns as the member it was, without its data: the case
    # kvrepair restores (without it, n3 would join anew and stream its ranges before serving).
    cp "$dir/n3/MEMBERSHIP" "$dir/n3.membership"
    rm -rf "$dir/n3"
    mkdir -p "$dir/n3"
    cp "$dir/n3.membership" "$dir/n3/MEMBERSHIP"
  else
    local missing=$((KEYS / 100))
    put 3 $((KEYS - missing)) "$KEY_SIZE"
    stop 3
    put 2 "$missing" $((KEY_SIZE + 1))
  fi
  start 3
  all_up
  local json
  json=$("$B/kvrepair" --node "$(addr 3)" --json)
  echo "$case $json" | tee -a "$OUT"
  for i in 1 2 3; do stop "$i"; done
  rm -rf "$dir"
  dir=""
}

uptime
probe=$(mktemp -d /tmp/kv-repair-disk.XXXXXX)
echo "disk under /tmp: $(disk_bandwidth "$probe")"
rm -rf "$probe"
for _ in $(seq 1 "$RUNS"); do
  run wiped
  run diverged
done
uptime
python3 - "$OUT" "$KEYS" "$KEY_SIZE" "$VALUE" <<'EOF'
import json, statistics, sys
path, keys, key_size, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
for line in open(path):
    case, text = line.split(" ", 1)
    runs.setdefault(case, []).append(json.loads(text))
missing = keys // 100
data = {"wiped": keys * (key_size + value),
        "diverged": (keys - missing) * (key_size + value) + missing * (key_size + 1 + value)}
for case, rs in runs.items():
    med = lambda f: statistics.median(r[f] for r in rs)
    print(f"{case}: {len(rs)} runs, medians: {med('seconds'):.2f} s, ranges {med('ranges')}, "
          f"keys differing {med('keys_differing'):,.0f}, transferred {med('keys_transferred'):,.0f} "
          f"(ratio {statistics.median(r['keys_transferred'] / max(r['keys_differing'], 1) for r in rs):.3f}), "
          f"compared {med('keys_compared'):,.0f}, repaired {med('keys_repaired'):,.0f}, "
          f"bytes exchanged {med('bytes_exchanged'):,.0f} against {data[case]:,} bytes of keys and "
          f"values ({med('bytes_exchanged') / data[case]:.3f}), "
          f"{statistics.median(r['bytes_exchanged'] / 1e6 / max(r['seconds'], 0.01) for r in rs):.1f} MB/s")
EOF
