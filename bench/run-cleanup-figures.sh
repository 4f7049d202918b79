#!/usr/bin/env bash
# Cleanup of a node that lost 2/3 of its ranges, the old way (an engine delete per key, 32 in
# flight) against the new (the tables rewritten without the keys). n1 starts alone with N=1 and
# takes KEYS puts of VALUE_BYTES-byte values; n2 and n3 join, each streaming its ranges from n1,
# which keeps about a third of the key space and still holds the rest. Then `kvring cleanup` on
# n1, timed, with what n1's process wrote meanwhile (/proc/PID/io: write_bytes reached the block
# layer, wchar went through write(2)) and n1's data directory before and right after. Once with
# the programs of OLD_BIN, once with those of NEW_BIN, each on a fresh cluster; nodes listen on
# free ports of 127.0.0.1 and are stopped by pid.
#
#   OLD_BIN=/tmp/kv-old/bin NEW_BIN=build-rel/bin KEYS=1000000 bench/run-cleanup-figures.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
OLD_BIN=${OLD_BIN:?the programs before the change (kvnode, kvring, kvbench)}
NEW_BIN=${NEW_BIN:-$src/build-rel/bin}
KEYS=${KEYS:-1000000}
VALUE_BYTES=${VALUE_BYTES:-100}
work_dir=${work_dir:-}
source "$src/bench/lib/figures.bash"
source "$src/bench/lib/kv_nodes.bash"
figures_work_dir cleanup
trap stop_all EXIT
flags=(--replicas 1 --read-quorum 1 --write-quorum 1 --gossip-interval-ms 200 --ring-delay-ms 1000 --anti-entropy-interval-s 0)

# io PID: "write_bytes wchar" of the process now.
io() { awk '/^write_bytes:/ { w = $2 } /^wchar:/ { c = $2 } END { print w, c }' "/proc/$1/io"; }

# one NAME BIN: a fresh cluster with the programs of BIN; a JSON line of figures into results.
one() {
  local name=$1 i n1_pid before_io after_io before_bytes after_bytes start end answer
  bin=$2
  start_kv 1 "${flags[@]}"
  n1_pid=${pids[-1]}
  wait_ring 1 normal
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" --workload put --num "$KEYS" \
    --value-size "$VALUE_BYTES" --concurrency 50 --json >/dev/null
  note_load "$name: after the puts"
  # n2 and n3 join, seeded with n1 (start_kv's way, by hand: n1 must hold the data first).
  local ports
  read -r -a ports <<<"$(free_ports 2)"
  for i in 2 3; do
    rm -rf "$work_dir/n$i"
    "$bin/kvnode" --id "n$i" --listen "127.0.0.1:${ports[i - 2]}" --data-dir "$work_dir/n$i" \
      --sync batch --log-level warn --seeds "127.0.0.1:${node_ports[0]}" "${flags[@]}" \
      2>>"$work_dir/kvnode-n$i.log" &
    pids+=($!)
  done
  node_ports+=("${ports[@]}")
  wait_ring 3 normal
  sync
  before_bytes=$(du -sb "$work_dir/n1" | cut -f1)
  before_io=$(io "$n1_pid")
  note_load "$name: before the cleanup"
  # Refused (exit 3, "not settled") until the ring has not changed for the ring delay.
  while true; do
    start=$(date +%s%N)
    answer=$("$bin/kvring" --node "127.0.0.1:${node_ports[0]}" --timeout-ms 600000 cleanup \
      --json 2>&1) && break
    [[ $answer == *"not settled"* ]] || { echo "kvring cleanup: $answer" >&2; exit 3; }
    sleep 0.2
  done
  end=$(date +%s%N)
  after_io=$(io "$n1_pid")
  sync
  after_bytes=$(du -sb "$work_dir/n1" | cut -f1)
  note_load "$name: after the cleanup"
  python3 - "$name" "$answer" "$before_bytes" "$after_bytes" "$before_io" "$after_io" \
    "$start" "$end" "$KEYS" >>"$results" <<'PY'
import json, sys
name, answer, before, after, io0, io1, start, end, keys = sys.argv[1:]
a = json.loads(answer)
w0, c0 = map(int, io0.split())
w1, c1 = map(int, io1.split())
print(json.dumps({"way": name, "keys": int(keys), "keys_scanned": a["keys_scanned"],
                  "keys_removed": a["keys_removed"], "cleanup_s": a["seconds"],
                  "wall_s": (int(end) - int(start)) / 1e9,
                  "write_bytes": w1 - w0, "wchar": c1 - c0,
                  "dir_before": int(before), "dir_after": int(after)}))
PY
  stop_all
  rm -rf "$work_dir"/n[123]
}

note_load "start"
one old "$OLD_BIN"
one new "$NEW_BIN"
echo "$(machine_line)."
echo
python3 - "$results" <<'PY'
import json, sys
mib = lambda b: f"{b / (1 << 20):,.1f}"
print("| way | keys removed / scanned | cleanup (s) | written by n1, block layer (MiB) | write(2) (MiB) | n1's data dir before (MiB) | right after (MiB) |")
print("|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"| {r['way']} | {r['keys_removed']:,} / {r['keys_scanned']:,} | {r['cleanup_s']:.2f} | "
          f"{mib(r['write_bytes'])} | {mib(r['wchar'])} | {mib(r['dir_before'])} | {mib(r['dir_after'])} |")
PY
echo
print_load_log
