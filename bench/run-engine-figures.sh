#!/usr/bin/env bash
# Engine figures for docs/benchmarks.md: kv (kvbench engine), LevelDB and RocksDB (kvbench-peers)
# through every engine workload, RUNS times, then one Markdown table of medians and ratios.
#
#   bench/run-engine-figures.sh [--num N] [--sync-num N] [--runs R] [--build-dir DIR] [--work-dir DIR]
#
# Builds with -DKV_PEERS=ON in its own build directory (default build-peers). Every fill starts in
# an empty directory; readrandom and readmissing read what fillrandom wrote (after a full
# compaction, untimed), each in a fresh process so that peak RSS is the workload's own. fillsync
# runs with 1 and 8 threads and --sync-num operations (an fsync each: a million would take hours).
# The raw JSON lines are kept in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
num=1000000
sync_num=10000
runs=3
build_dir=$src/build-peers
work_dir=

while (($#)); do
  case $1 in
    --num) num=$2; shift 2 ;;
    --sync-num) sync_num=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run-engine-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

figures_work_dir engine

build_kv -DKV_PEERS=ON kvbench kvbench-peers

# bench SYSTEM ARGS...: one workload in one process; appends its JSON line to the results.
bench() {
  local system=$1
  shift
  local line
  line=$(engine_json "$system" "$@")
  echo "$line" >>"$results"
  echo "  $line" >&2
}

for ((run = 1; run <= runs; run++)); do
  for system in kv leveldb rocksdb; do
    echo "run $run/$runs: $system" >&2
    d=$work_dir/$system
    rm -rf "$d"
    common=(--num "$num" --bloom-bits 10 --key-size 16 --value-size 100 --compression none)
    # The settings these figures were first made with: no compression; kv without a block cache
    # (the page cache held its mapped tables), the peers with LevelDB's default 8 MiB.
    # bench/run-compression-figures.sh measures codecs and equal caches.
    if [[ $system == kv ]]; then common+=(--cache-size 0); else common+=(--cache-size 8MiB); fi
    bench "$system" --dir "$d/seq" --workload fillseq "${common[@]}"
    rm -rf "$d/seq"
    bench "$system" --dir "$d/rand" --workload fillrandom "${common[@]}"
    bench "$system" --dir "$d/rand" --workload readrandom "${common[@]}"
    bench "$system" --dir "$d/rand" --workload readmissing "${common[@]}"
    rm -rf "$d/rand"
    for threads in 1 8; do
      bench "$system" --dir "$d/sync$threads" --workload fillsync --threads "$threads" \
        --num "$sync_num" --bloom-bits 10 --key-size 16 --value-size 100 --compression none
      rm -rf "$d/sync$threads"
    done
  done
done

echo "$(machine_line), load average $(load_now) at the end."
echo
python3 - "$results" "$runs" "$num" "$sync_num" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, num, sync_num = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = defaultdict(lambda: defaultdict(list))
for line in open(path):
    r = json.loads(line)
    rows[(r["workload"], r["threads"])][r["system"]].append(r)

def med(rs, field):
    values = [r[field] for r in rs if field in r]
    return statistics.median(values) if values else float("nan")

systems = ["kv", "leveldb", "rocksdb"]
names = {"kv": "kv", "leveldb": "LevelDB", "rocksdb": "RocksDB"}
order = ["fillseq", "fillrandom", "readrandom", "readmissing", "fillsync"]
keys = sorted(rows, key=lambda k: (order.index(k[0]), k[1]))

print(f"Medians of {runs} runs; {num} ops ({sync_num} for fillsync), 16-byte keys, "
      "100-byte values, bloom filter 10 bits/key.\n")
print("| workload | threads | " + " | ".join(f"{names[s]} ops/s" for s in systems) +
      " | kv/LevelDB | kv/RocksDB |")
print("|---|---:|" + "---:|" * (len(systems) + 2))
for k in keys:
    ops = {s: med(rows[k][s], "ops_per_sec") for s in systems}
    ratio = lambda peer: f"{ops['kv'] / ops[peer]:.2f}" if ops[peer] else "-"
    print(f"| {k[0]} | {k[1]} | " + " | ".join(f"{ops[s]:,.0f}" for s in systems) +
          f" | {ratio('leveldb')} | {ratio('rocksdb')} |")

print("\nLatency in microseconds (median of the runs' percentiles), p50 / p99 / p99.9:\n")
print("| workload | threads | " + " | ".join(names[s] for s in systems) + " |")
print("|---|---:|" + "---|" * len(systems))
for k in keys:
    cells = []
    for s in systems:
        rs = rows[k][s]
        cells.append(f"{med(rs, 'p50_us'):.1f} / {med(rs, 'p99_us'):.1f} / {med(rs, 'p999_us'):.1f}")
    print(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")

print("\nPeak RSS and bytes on disk after the workload (MiB, medians):\n")
print("| workload | threads | " + " | ".join(f"{names[s]} RSS / disk" for s in systems) + " |")
print("|---|---:|" + "---|" * len(systems))
mib = lambda b: b / 1048576
for k in keys:
    cells = [f"{mib(med(rows[k][s], 'peak_rss_bytes')):.0f} / {mib(med(rows[k][s], 'disk_bytes')):.0f}"
             for s in systems]
    print(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
PY
echo "raw results: $results" >&2
