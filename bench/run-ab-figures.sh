#!/usr/bin/env bash
# Two builds of kv side by side in one run, on one machine: what a change to the request path
# bought. For each build (BASE: the programs before the change, NEW: after):
#
#   3 nodes  kvnode --id n1..n3, seeded with n1, --sync batch, N=3 R=2 W=2; kvbench net through
#            n1 with C clients, 16-byte keys, 100-byte values:
#              put  OPS durable puts of fresh keys (unpaced: the peak), on a fresh cluster;
#              c    YCSB C, OPS reads over KEYS zipfian keys after a --load, on a fresh cluster.
#   1 node   one kvnode with --replicas 1 --read-quorum 1 --write-quorum 1: put and c as above.
#
# The builds alternate within a run (BASE first in odd runs, NEW first in even ones) so that
# drift of the machine falls on both. Every figure carries the nodes' CPU per operation
# (kvbench's server_cpu_us_per_op: user + system time of every node, from their stats).
#
#   bench/run-ab-figures.sh --base BIN_DIR --new BIN_DIR [--keys N] [--ops N]
#       [--concurrency C] [--runs R] [--work-dir DIR]
#
# BIN_DIR holds kvnode, kvbench and kvring (a build's bin/; copy it aside before rebuilding).
# Medians of RUNS runs, printed as a Markdown table. Every server listens on 127.0.0.1 on a free
# port, keeps its data under WORK_DIR and is stopped by its pid; raw results are kept in
# WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
source "$src/bench/lib/kv_nodes.bash"
keys=100000
ops=100000
concurrency=50
runs=3
base_bin=
new_bin=
work_dir=

while (($#)); do
  case $1 in
    --base) base_bin=$2; shift 2 ;;
    --new) new_bin=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run-ab-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for dir in "$base_bin" "$new_bin"; do
  if [[ -z $dir || ! -x $dir/kvnode || ! -x $dir/kvbench || ! -x $dir/kvring ]]; then
    echo "run-ab-figures: --base and --new must each name a directory with kvnode, kvbench and" \
      "kvring (see --help)" >&2
    exit 2
  fi
done
figures_work_dir ab
trap stop_all EXIT

record() {
  python3 -c 'import json,sys; r = json.loads(sys.argv[3]); r["build"] = sys.argv[1]; r["nodes"] = int(sys.argv[2]); print(json.dumps(r))' \
    "$1" "$2" "$3" >>"$results"
  echo "  $1, $2 node(s): $3" >&2
}

kvbench() {
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" --concurrency "$concurrency" \
    --value-size 100 --key-size 16 --json "$@"
}

# cluster COUNT: a fresh cluster of COUNT nodes, ready.
cluster() {
  if (($1 == 1)); then
    start_kv 1 --replicas 1 --read-quorum 1 --write-quorum 1
  else
    start_kv "$1"
  fi
  wait_ring "$1" normal
}

run_build() {
  local build=$1 count
  if [[ $build == base ]]; then bin=$base_bin; else bin=$new_bin; fi
  for count in 3 1; do
    cluster "$count"
    note_load "$build $count put"
    record "$build" "$count" "$(kvbench --workload put --num "$ops")"
    stop_all
    cluster "$count"
    note_load "$build $count c"
    record "$build" "$count" \
      "$(kvbench --workload c --keys "$keys" --num "$ops" --distribution zipfian --load)"
    stop_all
    rm -rf "$work_dir"/n[0-9]*
  done
}

started=$SECONDS
note_load "start"
for ((run = 1; run <= runs; run++)); do
  echo "run $run/$runs" >&2
  if ((run % 2)); then order=(base new); else order=(new base); fi
  for build in "${order[@]}"; do run_build "$build"; done
done
note_load "end"
echo "measured in $((SECONDS - started)) s" >&2

echo "$(machine_line). Base: $base_bin. New: $new_bin."
echo
print_load_log
echo
python3 - "$results" "$runs" "$keys" "$ops" "$concurrency" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, keys, ops, conc = sys.argv[1:6]
rows = defaultdict(list)
for line in open(path):
    r = json.loads(line)
    rows[(r["build"], r["nodes"], r["workload"])].append(r)

def med(build, nodes, workload, field):
    vals = [r[field] for r in rows.get((build, nodes, workload), []) if r.get(field) is not None]
    return statistics.median(vals) if vals else None

def fmt(x, spec):
    return "-" if x is None else format(x, spec)

print(f"Medians of {runs} runs; {conc} clients through the first node, 16-byte keys, 100-byte "
      f"values, 127.0.0.1; put: {ops} fresh keys; C: {ops} reads over {keys} zipfian keys loaded "
      f"first.\n")
print("| nodes | workload | base ops/s | new ops/s | new / base | base p99.9 ms | new p99.9 ms | "
      "base CPU us/op | new CPU us/op |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for nodes in [3, 1]:
    for workload, label in [("put", "put (durable)"), ("c", "YCSB C")]:
        b, n = med("base", nodes, workload, "ops_per_sec"), med("new", nodes, workload, "ops_per_sec")
        ratio = "-" if not b or not n else f"{n / b:.2f}"
        b9, n9 = med("base", nodes, workload, "p999_us"), med("new", nodes, workload, "p999_us")
        print(f"| {nodes} | {label} | {fmt(b, ',.0f')} | {fmt(n, ',.0f')} | {ratio} | "
              f"{fmt(b9 and b9 / 1000, '.2f')} | {fmt(n9 and n9 / 1000, '.2f')} | "
              f"{fmt(med('base', nodes, workload, 'server_cpu_us_per_op'), '.1f')} | "
              f"{fmt(med('new', nodes, workload, 'server_cpu_us_per_op'), '.1f')} |")
PY
echo "raw results: $results" >&2
