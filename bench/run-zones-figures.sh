#!/usr/bin/env bash
# Zone figures for docs/benchmarks.md ("Zones"), in one run:
#
#   balance      kv_tests -tc='zones: ownership balance*': the busiest node's replica share (N=3)
#                over its fair share, and over its zone's share split among the zone's nodes,
#                even and uneven zones, mean and worst of 20 clusters of
#                different names (when kv_tests is built in BUILD_DIR; not built here).
#   lookup       kvbench-ring: nanoseconds per Ring::PreferenceList and SloppyPreferenceList,
#                6 nodes of 128 vnodes, N=3, without zones and with 3 zones of 2.
#   throughput   6 kvnode processes (--io-threads 1, --sync batch, N=3 R=2 W=2), without zones
#                and with 3 zones of 2 (n1 n2: a, n3 n4: b, n5 n6: c), alternating, RUNS rounds
#                each on a fresh cluster; kvbench net through n1 with C clients, 16-byte keys,
#                100-byte values: OPS blind puts of fresh keys, then YCSB C (reads) over KEYS
#                zipfian keys loaded first. Every figure with kvbench's server_cpu_us_per_op (the
#                six nodes' CPU per operation).
#
#   bench/run-zones-figures.sh [--keys N] [--ops N] [--concurrency C] [--runs R]
#       [--build-dir DIR] [--work-dir DIR]
#
# Every node listens on 127.0.0.1 on a free port, keeps its data under WORK_DIR and is stopped by
# its pid. Raw results in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/kv_nodes.bash"
source "$src/bench/lib/figures.bash"
keys=50000
ops=50000
concurrency=32
runs=3
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --keys) keys=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run-zones-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
figures_work_dir zones
build_kv kvnode kvbench kvring kvbench-ring
bin=$build_dir/bin
kv_tests=$(find "$build_dir" -name kv_tests -type f -perm -u+x 2>/dev/null | head -n 1)
trap stop_all EXIT

kvbench() {
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" --concurrency "$concurrency" \
    --value-size 100 --key-size 16 --json "$@"
}

# record LABEL JSON: the JSON object with "system" set to LABEL, appended to the results.
record() {
  python3 -c 'import json,sys; r = json.loads(sys.argv[2]); r["system"] = sys.argv[1]; print(json.dumps(r))' \
    "$1" "$2" >>"$results"
  echo "  $1: $2" >&2
}

run_six() {
  local label=$1
  start_kv 6 --io-threads 1
  wait_ring 6 normal
  note_load "$label put"
  record "$label" "$(kvbench --workload put --num "$ops")"
  note_load "$label c"
  record "$label" "$(kvbench --workload c --keys "$keys" --num "$ops" --distribution zipfian --load)"
  stop_all
  rm -rf "$work_dir"/n[0-9]*
}

note_load start
for ((run = 1; run <= runs; run++)); do
  kv_zones=()
  run_six "6 nodes, no zones"
  kv_zones=(a a b b c c)
  run_six "6 nodes, 3 zones"
done
note_load end

echo "$(machine_line)."
echo
if [[ -n $kv_tests ]]; then
  "$kv_tests" -tc='zones: ownership balance*' 2>/dev/null | sed -n '/zone balance/,/^=/p' | grep -v '^='
else
  echo "(kv_tests is not built in $build_dir: ninja -C $build_dir kv_tests for the balance table)"
fi
echo
"$bin/kvbench-ring"
echo
python3 - "$results" "$runs" "$keys" "$ops" "$concurrency" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, keys, ops, conc = sys.argv[1:6]
rows = defaultdict(list)
for line in open(path):
    r = json.loads(line)
    rows[(r["system"], r["workload"])].append(r)

def med(system, workload, field):
    vals = [r[field] for r in rows.get((system, workload), []) if r.get(field) is not None]
    return statistics.median(vals) if vals else None

def fmt(x, spec):
    return "-" if x is None else format(x, spec)

print(f"Medians of {runs} runs, alternating; {conc} clients through n1, 16-byte keys, 100-byte "
      f"values; put: {ops} fresh keys; C: {ops} reads over {keys} zipfian keys loaded first.\n")
print("| cluster | workload | ops/s | p50 ms | p99 ms | server CPU us/op |")
print("|---|---|---:|---:|---:|---:|")
for system in ("6 nodes, no zones", "6 nodes, 3 zones"):
    for workload, label in (("put", "put (durable, fresh keys)"), ("c", "C (100% read)")):
        p50, p99 = med(system, workload, "p50_us"), med(system, workload, "p99_us")
        print(f"| {system} | {label} | {fmt(med(system, workload, 'ops_per_sec'), ',.0f')} | "
              f"{fmt(p50 and p50 / 1000, '.2f')} | {fmt(p99 and p99 / 1000, '.2f')} | "
              f"{fmt(med(system, workload, 'server_cpu_us_per_op'), ',.1f')} |")
PY
echo
print_load_log
