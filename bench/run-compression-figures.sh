#!/usr/bin/env bash
# Compression and block-cache figures for docs/benchmarks.md: kv (kvbench engine) with LevelDB and
# RocksDB (kvbench-peers) at the same settings, then Markdown tables of medians.
#
#   bench/run-compression-figures.sh [--num N] [--runs R] [--small-cache SIZE] [--large-cache SIZE]
#                                    [--build-dir DIR] [--work-dir DIR]
#
# 1. Bytes on disk per key after a full compaction, for JSON-like text values and random values:
#    kv with none, lz4, zstd; LevelDB with none, snappy; RocksDB with none, lz4.
# 2. readrandom (uniform) on the text data set with kv's lz4 tables and a block cache of 0, SMALL
#    (smaller than the data set) and LARGE (larger than all of it decompressed).
# 3. readrandom (zipfian) with the SMALL cache: kv lz4, LevelDB snappy (its only codec), RocksDB
#    lz4, each with the same cache size.
# Builds with -DKV_PEERS=ON in its own build directory (default build-peers). Each read run is a
# fresh process on the directory its fill left (compacted before the timed reads). Raw JSON lines
# are kept in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
num=1000000
runs=3
small_cache=16MiB
large_cache=512MiB
build_dir=$src/build-peers
work_dir=

while (($#)); do
  case $1 in
    --num) num=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --small-cache) small_cache=$2; shift 2 ;;
    --large-cache) large_cache=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run-compression-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

figures_work_dir compression

build_kv -DKV_PEERS=ON kvbench kvbench-peers

# bench FIGURE SYSTEM ARGS...: one workload in one process; appends its JSON line, tagged with
# the figure and the load average, to the results.
bench() {
  local figure=$1 system=$2
  shift 2
  local line
  line=$(engine_json "$system" "$@")
  line="${line%\}},\"figure\":\"$figure\",\"load\":$(cut -d' ' -f1 /proc/loadavg)}"
  echo "$line" >>"$results"
  echo "  $line" >&2
}

shape=(--bloom-bits 10 --key-size 16 --value-size 100)
common=(--num "$num" "${shape[@]}")

# 1. Bytes per key: fill, then a one-read readrandom that compacts first and reports the bytes.
for values in text random; do
  for pair in kv:none kv:lz4 kv:zstd leveldb:none leveldb:snappy rocksdb:none rocksdb:lz4; do
    system=${pair%%:*} codec=${pair#*:}
    d=$work_dir/size-$system-$codec-$values
    rm -rf "$d"
    echo "size: $system $codec $values" >&2
    bench fill "$system" --dir "$d" --workload fillrandom "${common[@]}" --values "$values" \
      --compression "$codec"
    bench "size-$values" "$system" --dir "$d" --workload readrandom "${shape[@]}" --num 1 \
      --values "$values" --compression "$codec"
    rm -rf "$d"
  done
done

# 2 and 3 read one filled directory per system, kept across runs.
for pair in kv:lz4 leveldb:snappy rocksdb:lz4; do
  system=${pair%%:*} codec=${pair#*:}
  echo "fill for reads: $system $codec" >&2
  rm -rf "$work_dir/read-$system"
  bench fill "$system" --dir "$work_dir/read-$system" --workload fillrandom "${common[@]}" \
    --values text --compression "$codec"
done
for ((run = 1; run <= runs; run++)); do
  echo "run $run/$runs" >&2
  for cache in 0 "$small_cache" "$large_cache"; do
    bench "uniform-$cache" kv --dir "$work_dir/read-kv" --workload readrandom "${common[@]}" \
      --values text --compression lz4 --cache-size "$cache"
  done
  for pair in kv:lz4 leveldb:snappy rocksdb:lz4; do
    system=${pair%%:*} codec=${pair#*:}
    bench zipfian "$system" --dir "$work_dir/read-$system" --workload readrandom "${common[@]}" \
      --values text --compression "$codec" --cache-size "$small_cache" --distribution zipfian
  done
done

echo "$(machine_line)."
echo
python3 - "$results" "$runs" "$num" "$small_cache" "$large_cache" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, num, small, large = sys.argv[1:6]
num = int(num)
rows = [json.loads(line) for line in open(path)]
names = {"kv": "kv", "leveldb": "LevelDB", "rocksdb": "RocksDB"}
med = lambda xs: statistics.median(xs) if xs else float("nan")
loads = lambda rs: f"{min(r['load'] for r in rs):.1f}-{max(r['load'] for r in rs):.1f}"

print(f"### Bytes on disk per key\n\n{num} keys (16 bytes) with 100-byte values, after a full "
      "compaction; raw entry = 116 bytes.\n")
print("| system | codec | text values: bytes/key | random values: bytes/key |")
print("|---|---|---:|---:|")
by = defaultdict(dict)
for r in rows:
    if r["figure"].startswith("size-"):
        by[(r["system"], r["compression"])][r["figure"][5:]] = r["disk_bytes"] / num
for (system, codec), v in by.items():
    print(f"| {names[system]} | {codec} | {v.get('text', float('nan')):.1f} | "
          f"{v.get('random', float('nan')):.1f} |")

uniform = [r for r in rows if r["figure"].startswith("uniform-")]
print(f"\n### readrandom (uniform) with a block cache smaller and larger than the data\n\n"
      f"kv, lz4 tables of text values; {num} reads; medians of {runs} runs; "
      f"load average {loads(uniform) if uniform else '-'} during the runs.\n")
print("| cache | ops/s | p50 us | p99 us | hit ratio | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
for cache in ["0", small, large]:
    rs = [r for r in uniform if r["figure"] == f"uniform-{cache}"]
    if not rs:
        continue
    hit = med([r.get("cache_hit_ratio", 0) for r in rs])
    print(f"| {cache} | {med([r['ops_per_sec'] for r in rs]):,.0f} | "
          f"{med([r['p50_us'] for r in rs]):.1f} | {med([r['p99_us'] for r in rs]):.1f} | "
          f"{hit:.3f} | {med([r['peak_rss_bytes'] for r in rs]) / 1048576:.0f} |")

zipf = [r for r in rows if r["figure"] == "zipfian"]
print(f"\n### readrandom (zipfian), working set larger than a {small} cache\n\n"
      f"Text values; kv lz4, LevelDB snappy, RocksDB lz4; each with a {small} block cache; "
      f"medians of {runs} runs; load average {loads(zipf) if zipf else '-'} during the runs.\n")
print("| system | ops/s | kv/system | p50 us | p99 us | p99.9 us | hit ratio | on disk MiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
kv_ops = med([r["ops_per_sec"] for r in zipf if r["system"] == "kv"])
for system in ["kv", "leveldb", "rocksdb"]:
    rs = [r for r in zipf if r["system"] == system]
    if not rs:
        continue
    ops = med([r["ops_per_sec"] for r in rs])
    hits = [r["cache_hit_ratio"] for r in rs if "cache_hit_ratio" in r]
    print(f"| {names[system]} | {ops:,.0f} | {kv_ops / ops:.2f} | {med([r['p50_us'] for r in rs]):.1f} | "
          f"{med([r['p99_us'] for r in rs]):.1f} | {med([r['p999_us'] for r in rs]):.1f} | "
          f"{(f'{med(hits):.3f}' if hits else 'n/a')} | {med([r['disk_bytes'] for r in rs]) / 1048576:.0f} |")
PY
echo "raw results: $results" >&2
