#!/usr/bin/env bash
# Data growth figures for docs/benchmarks.md (issue 15): kv (kvbench engine) and LevelDB
# (kvbench-peers) filled with 1M, 10M (and, with --sizes, 100M) keys of 16 bytes with 100-byte
# values, then read: readrandom and readmissing ops/s and p99.9, write amplification of the fill
# (bytes the process wrote against the bytes it put), space amplification (bytes on disk after a
# full compaction against the bytes put). Then one Markdown table, the two goals' ratios, and a
# plot of read ops/s against the data size (gnuplot, when installed).
#
#   bench/run-growth-figures.sh [--sizes 1000000,10000000] [--reads N] [--runs R] [--peers leveldb]
#                               [--build-dir DIR] [--work-dir DIR] [--plot FILE.svg]
#
# Each size is one fill (timed, no fsync: what the engine writes, not what the disk syncs), then
# readrandom and readmissing of --reads operations each (default 1,000,000) in fresh processes,
# --runs times (default 3) with the systems alternating; medians. Both systems run with the same
# settings as bench/run-engine-figures.sh: bloom filter 10 bits/key, no compression, kv without a
# block cache (its tables are mapped), LevelDB with its default 8 MiB. Needs free disk of about
# 3x the largest size's bytes (100M keys: about 35 GB).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
sizes=1000000,10000000
reads=1000000
runs=3
peers=leveldb
build_dir=$src/build-peers
work_dir=
plot=

while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --reads) reads=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --plot) plot=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run-growth-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

figures_work_dir growth
build_kv -DKV_PEERS=ON kvbench kvbench-peers

# bench SYSTEM SIZE ARGS...: one workload in one process; its JSON line, tagged with the data
# size, goes to the results.
bench() {
  local system=$1 size=$2
  shift 2
  local line
  line=$(engine_json "$system" "$@")
  line="{\"size\":$size,${line#\{}"
  echo "$line" >>"$results"
  echo "  $line" >&2
}

IFS=, read -ra size_list <<<"$sizes"
IFS=, read -ra peer_list <<<"$peers"
for size in "${size_list[@]}"; do
  for ((run = 1; run <= runs; run++)); do
    for system in kv "${peer_list[@]}"; do
      echo "size $size, run $run/$runs: $system" >&2
      d=$work_dir/$system-$size
      rm -rf "$d"
      common=(--bloom-bits 10 --key-size 16 --value-size 100 --compression none)
      if [[ $system == kv ]]; then common+=(--cache-size 0); else common+=(--cache-size 8MiB); fi
      bench "$system" "$size" --dir "$d" --workload fillrandom --num "$size" "${common[@]}"
      # The first read compacts fully (untimed): its disk bytes are the settled size.
      bench "$system" "$size" --dir "$d" --workload readrandom --num "$reads" "${common[@]}"
      bench "$system" "$size" --dir "$d" --workload readmissing --num "$reads" "${common[@]}"
      rm -rf "$d"
    done
    note_load "size $size, run $run"
  done
done

echo "$(machine_line), load average $(load_now) at the end."
echo
python3 - "$results" "$runs" "$reads" "$work_dir/growth.dat" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, reads, dat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = defaultdict(list)  # (size, system, workload) -> results
for line in open(path):
    r = json.loads(line)
    rows[(r["size"], r["system"], r["workload"])].append(r)
sizes = sorted({k[0] for k in rows})
systems = sorted({k[1] for k in rows}, key=lambda s: (s != "kv", s))
names = {"kv": "kv", "leveldb": "LevelDB", "rocksdb": "RocksDB"}

def med(size, system, workload, f):
    values = [f(r) for r in rows[(size, system, workload)]]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")

ops = lambda r: r["ops_per_sec"]
p999 = lambda r: r["p999_us"]
wamp = lambda r: r["bytes_written"] / r["user_bytes"] if r.get("user_bytes") else None
def samp(size):
    return lambda r: r["disk_bytes"] / (size * 116) if "disk_bytes" in r else None

print(f"Medians of {runs} runs; 16-byte keys, 100-byte values, no compression, bloom filter "
      f"10 bits/key; {reads} reads per read workload.\n")
print("| keys | system | fillrandom ops/s | write amp. | space amp. | readrandom ops/s | p99.9 us | "
      "readmissing ops/s | p99.9 us |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
with open(dat, "w") as out:
    out.write("keys " + " ".join(f"{s}_readrandom {s}_readmissing" for s in systems) + "\n")
    for size in sizes:
        cells = []
        for s in systems:
            print(f"| {size:,} | {names.get(s, s)} | {med(size, s, 'fillrandom', ops):,.0f} | "
                  f"{med(size, s, 'fillrandom', wamp):.2f} | "
                  f"{med(size, s, 'readrandom', samp(size)):.2f} | "
                  f"{med(size, s, 'readrandom', ops):,.0f} | {med(size, s, 'readrandom', p999):.1f} | "
                  f"{med(size, s, 'readmissing', ops):,.0f} | {med(size, s, 'readmissing', p999):.1f} |")
            cells += [med(size, s, "readrandom", ops), med(size, s, "readmissing", ops)]
        out.write(f"{size} " + " ".join(f"{c:.0f}" for c in cells) + "\n")

print("\nThe goals: kv's readrandom at the largest size against its own at the smallest, and "
      "against each peer at each size:\n")
small, large = sizes[0], sizes[-1]
kv_small, kv_large = med(small, "kv", "readrandom", ops), med(large, "kv", "readrandom", ops)
print(f"- kv readrandom at {large:,} / at {small:,}: {kv_large / kv_small:.2f}")
for size in sizes:
    for s in systems[1:]:
        peer = med(size, s, "readrandom", ops)
        print(f"- kv / {names.get(s, s)} readrandom at {size:,}: "
              f"{med(size, 'kv', 'readrandom', ops) / peer:.2f}")
PY
if [[ -n $plot ]] && command -v gnuplot >/dev/null; then
  columns=$(head -1 "$work_dir/growth.dat" | wc -w)
  {
    echo "set terminal svg size 720,420; set output '$plot'"
    echo "set logscale x; set xlabel 'keys'; set ylabel 'ops/s'; set key outside"
    echo "set title 'Reads against data size (16-byte keys, 100-byte values)'"
    echo -n "plot "
    for ((c = 2; c < columns; c++)); do
      ((c > 2)) && echo -n ", "
      echo -n "'$work_dir/growth.dat' using 1:$c with linespoints title columnheader($c)"
    done
    echo
  } | gnuplot
  echo "plot: $plot" >&2
fi
print_load_log
echo "raw results: $results" >&2
