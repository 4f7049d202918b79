#!/usr/bin/env bash
# Memory figures for docs/benchmarks.md: resident memory over time while kv loads NUM keys with a
# memory budget (kvbench engine fillrandom --memory-budget BUDGET), sampled from /proc/PID/status
# every second, and put latency during that burst beside LevelDB's (kvbench-peers) under the same
# load. Prints Markdown: RSS min/median/max and a row every tenth of the run, then p50/p99/p99.9.
#
#   bench/run-memory-figures.sh [--num N] [--budget SIZE] [--runs R] [--node-num N]
#                               [--node-budget SIZE] [--build-dir DIR] [--work-dir DIR]
#
# Defaults: 10,000,000 keys, 256MiB, 1 run. 100-byte values, 16-byte keys, one writer thread, no
# sync (the fill is limited by flushes and compactions, which is the point). Then a real kvnode
# (--sync off, --memory-budget NODE_BUDGET, default 64MiB) loaded over the network by kvbench net
# with NODE_NUM (default 300,000) puts of 1000-byte values, 50 at a time; 0 skips it. Builds with
# -DKV_PEERS=ON in its build directory (default build-peers). Raw JSON lines and RSS samples are
# kept in WORK_DIR.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
num=10000000
budget=256MiB
runs=1
node_num=300000
node_budget=64MiB
build_dir=$src/build-peers
work_dir=

while (($#)); do
  case $1 in
    --num) num=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --node-num) node_num=$2; shift 2 ;;
    --node-budget) node_budget=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run-memory-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

figures_work_dir memory

build_kv -DKV_PEERS=ON kvbench kvbench-peers kvnode

# sample PID FILE: appends "second VmRSS-KiB" lines to FILE every second while PID lives.
sample() {
  local t=0 rss
  while kill -0 "$1" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
    [[ -n $rss ]] && echo "$t $rss" >>"$2"
    sleep 1
    t=$((t + 1))
  done
}

# run NAME CMD...: runs CMD in the background, samples its VmRSS into NAME.rss, its JSON report
# into NAME.json.
run() {
  local name=$1
  shift
  "$@" >"$work_dir/$name.json" 2>"$work_dir/$name.err" &
  local pid=$!
  : >"$work_dir/$name.rss"
  sample "$pid" "$work_dir/$name.rss"
  wait "$pid"
}

for ((r = 1; r <= runs; r++)); do
  rm -rf "$work_dir/kv" "$work_dir/leveldb"
  echo "run $r: kv, $num keys, budget $budget; load: $(uptime | sed 's/.*load average: //')" >&2
  run "kv-$r" "$build_dir/bin/kvbench" engine --dir "$work_dir/kv" --workload fillrandom \
    --num "$num" --memory-budget "$budget" --json
  echo "run $r: leveldb; load: $(uptime | sed 's/.*load average: //')" >&2
  run "leveldb-$r" "$build_dir/bin/kvbench-peers" --db leveldb --dir "$work_dir/leveldb" \
    --workload fillrandom --num "$num" --json
done
rm -rf "$work_dir/kv" "$work_dir/leveldb"

if ((node_num > 0)); then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$work_dir/node"
  echo "kvnode --memory-budget $node_budget, $node_num puts; load: $(uptime | sed 's/.*load average: //')" >&2
  "$build_dir/bin/kvnode" --listen "127.0.0.1:$port" --data-dir "$work_dir/node" --sync off \
    --memory-budget "$node_budget" --log-level warn &
  node_pid=$!
  : >"$work_dir/node.rss"
  sample "$node_pid" "$work_dir/node.rss" &
  sampler=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  "$build_dir/bin/kvbench" net --node "127.0.0.1:$port" --workload put --num "$node_num" \
    --value-size 1000 --concurrency 50 --json >"$work_dir/node.json"
  du -sb "$work_dir/node" | awk '{ print $1 }' >"$work_dir/node.du"
  kill -TERM "$node_pid"
  wait "$node_pid" || true
  wait "$sampler" || true
  rm -rf "$work_dir/node"
fi

python3 - "$work_dir" "$runs" "$node_num" "$node_budget" <<'PY'
import json, os, statistics, sys
work, runs, node_num, node_budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def mib(kib): return f"{kib / 1024:.0f}"
print("| run | system | seconds | RSS min / median / max (MiB) | RSS every tenth of the run (MiB) |")
print("|---|---|---|---|---|")
reports = {}
for r in range(1, runs + 1):
    for system in ("kv", "leveldb"):
        rep = json.load(open(f"{work}/{system}-{r}.json"))
        reports.setdefault(system, []).append(rep)
        rss = [int(l.split()[1]) for l in open(f"{work}/{system}-{r}.rss") if l.strip()]
        tenths = [rss[min(len(rss) - 1, i * len(rss) // 10)] for i in range(10)] + [rss[-1]]
        print(f"| {r} | {system} | {rep['seconds']:.0f} | {mib(min(rss))} / "
              f"{mib(statistics.median(rss))} / {mib(max(rss))} | "
              f"{' '.join(mib(x) for x in tenths)} |")
for r in range(1, runs + 1):
    for line in open(f"{work}/kv-{r}.err"):
        if line.startswith("engine:"):
            print(f"kv run {r}: {line.strip()}")
print()
print("| system | puts/s | p50 us | p99 us | p99.9 us | max us | peak RSS MiB |")
print("|---|---|---|---|---|---|---|")
for system, reps in reports.items():
    med = lambda k: statistics.median(rep[k] for rep in reps)
    print(f"| {system} | {med('ops_per_sec'):.0f} | {med('p50_us'):.1f} | {med('p99_us'):.1f} | "
          f"{med('p999_us'):.1f} | {med('max_us'):.0f} | {med('peak_rss_bytes') / 2**20:.0f} |")
if node_num > 0 and os.path.exists(f"{work}/node.json"):
    rep = json.load(open(f"{work}/node.json"))
    rss = [int(l.split()[1]) for l in open(f"{work}/node.rss") if l.strip()]
    tenths = [rss[min(len(rss) - 1, i * len(rss) // 10)] for i in range(10)] + [rss[-1]]
    data = int(open(f"{work}/node.du").read()) / 2**20
    print()
    print(f"kvnode --memory-budget {node_budget}: {node_num} puts of 1000 bytes in "
          f"{rep['seconds']:.0f} s ({rep['ops_per_sec']:.0f}/s, p99.9 {rep['p999_us']:.0f} us), "
          f"{data:.0f} MiB in its data directory; RSS min / median / max "
          f"{mib(min(rss))} / {mib(statistics.median(rss))} / {mib(max(rss))} MiB; every tenth: "
          f"{' '.join(mib(x) for x in tenths)}")
PY
