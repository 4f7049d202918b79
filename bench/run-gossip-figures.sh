#!/usr/bin/env bash
# Gossip figures for docs/benchmarks.md ("Gossip at scale"): kvbench gossip on simulated clusters
# of NODES (default 10,30,100,300,1000), one process, no sockets: spread of a new state and of a
# join in rounds, failure detection in seconds, gossip bytes per node per second. Prints the
# table and the load log; with gnuplot (Debian's gnuplot-nox, scripts/install-deps with
# KV_WITH_PEERS=1) also plots the rounds against N on a log axis, beside log2(N), into PLOT
# (default WORK_DIR/gossip-convergence.svg; docs/gossip-convergence.svg is one such plot).
#
#   bench/run-gossip-figures.sh [--nodes N,...] [--seed S] [--plot FILE]
#       [--build-dir DIR] [--work-dir DIR]
#
# Raw results (one JSON object per cluster size) in WORK_DIR/results.jsonl. The 1,000-node
# cluster takes about 80 s of one core and 750 MB of memory.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
nodes=10,30,100,300,1000
seed=1
plot=
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --plot) plot=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run-gossip-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
figures_work_dir gossip
build_kv kvbench
plot=${plot:-$work_dir/gossip-convergence.svg}

note_load start
"$build_dir/bin/kvbench" gossip --nodes "$nodes" --seed "$seed" --json >"$results"
note_load end

echo "$(machine_line)."
echo
echo "kvbench gossip --nodes $nodes --seed $seed (1 s rounds, threshold 8, no loss):"
echo
python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def f(x, fmt="{:.2f}"):
    return "-" if x is None else fmt.format(x)
print("| nodes | log2 N | spread rounds, median / max | join rounds | detection s, median / max "
      "| gossip B/s per node | SYN B | ACK B | CPU s |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['nodes']:,} | {r['log2_nodes']:.2f} "
          f"| {f(r['spread_rounds_median'])} / {f(r['spread_rounds_max'])} | {f(r['join_rounds'])} "
          f"| {f(r['detection_seconds_median'])} / {f(r['detection_seconds_max'])} "
          f"| {r['wire_bytes_per_node_per_second']:,.0f} | {r['mean_syn_bytes']:,.0f} "
          f"| {r['mean_ack_bytes']:,.0f} | {r['cpu_seconds']:.2f} |")
EOF
echo
print_load_log

if command -v gnuplot >/dev/null; then
  data=$work_dir/gossip.dat
  python3 - "$results" >"$data" <<'EOF'
import json, sys
print("# nodes spread_median spread_max join detection_median detection_max")
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["nodes"], r["spread_rounds_median"], r["spread_rounds_max"], r["join_rounds"],
          r["detection_seconds_median"], r["detection_seconds_max"])
EOF
  gnuplot <<EOF
set terminal svg size 720,440 font "sans,12" background rgb "white"
set output "$plot"
set title "Gossip convergence against cluster size (kvbench gossip, 1 s rounds)"
set xlabel "nodes"
set ylabel "rounds until every node holds it"
set logscale x
set xrange [8:1300]
set yrange [0:*]
set key top left
set grid
plot "$data" using 1:3 with linespoints pt 7 title "a new state, slowest of 8", \
     "$data" using 1:2 with linespoints pt 6 title "a new state, median", \
     "$data" using 1:4 with linespoints pt 5 title "a join", \
     log(x)/log(2) with lines dt 2 title "log2(N)"
EOF
  echo
  echo "Plot: $plot"
else
  echo "gnuplot not found: no plot (apt-get install gnuplot-nox)" >&2
fi
