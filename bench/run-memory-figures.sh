#!/usr/bin/env bash
# Memory figures for docs/benchmarks.md: resident memory over time while kv loads NUM keys with a
# memory budget (kvbench engine fillrandom --memory-budget BUDGET), sampled from /proc/PID/status
# every second, and put latency during that burst beside LevelDB's (kvbench-peers) under the same
# load. Prints Markdown: RSS min/median/max and a row every tenth of the run, then p50/p99/p99.9.
#
#   bench/run-memory-figures.sh [--num N] [--budget SIZE] [--runs R] [--build-dir DIR] [--work-dir DIR]
#
# Defaults: 10,000,000 keys, 256MiB, 1 run. 100-byte values, 16-byte keys, one writer thread, no
# sync (the fill is limited by flushes and compactions, which is the point). Builds with
# -DKV_PEERS=ON in its build directory (default build-peers). Raw JSON lines and RSS samples are
# kept in WORK_DIR.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
num=10000000
budget=256MiB
runs=1
build_dir=$src/build-peers
work_dir=

while (($#)); do
  case $1 in
    --num) num=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run-memory-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -z $work_dir ]]; then
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/kv-memory-figures.XXXXXX")
fi
mkdir -p "$work_dir"

echo "building kvbench and kvbench-peers in $build_dir" >&2
cmake -S "$src" -B "$build_dir" -G Ninja -DKV_PEERS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build_dir" -j2 kvbench kvbench-peers >/dev/null

# run NAME CMD...: runs CMD in the background, samples its VmRSS (KiB) every second into
# NAME.rss, its JSON report into NAME.json.
run() {
  local name=$1
  shift
  "$@" >"$work_dir/$name.json" &
  local pid=$! t=0
  : >"$work_dir/$name.rss"
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n $rss ]] && echo "$t $rss" >>"$work_dir/$name.rss"
    sleep 1
    t=$((t + 1))
  done
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

python3 - "$work_dir" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
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
print()
print("| system | puts/s | p50 us | p99 us | p99.9 us | max us | peak RSS MiB |")
print("|---|---|---|---|---|---|---|")
for system, reps in reports.items():
    med = lambda k: statistics.median(rep[k] for rep in reps)
    print(f"| {system} | {med('ops_per_sec'):.0f} | {med('p50_us'):.1f} | {med('p99_us'):.1f} | "
          f"{med('p999_us'):.1f} | {med('max_us'):.0f} | {med('peak_rss_bytes') / 2**20:.0f} |")
PY
