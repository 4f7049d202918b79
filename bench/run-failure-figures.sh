#!/usr/bin/env bash
# Failure figures for docs/benchmarks.md ("Failures"): how fast a cluster of kvnode processes
# notices a node's failure and its return, what hinted handoff does with writes taken during an
# outage, and the nemesis's verdict. Every kvnode runs with the defaults (gossip every 1000 ms,
# phi threshold 8, N=3 R=2 W=2, --sync batch, request timeout 2000 ms) unless said otherwise.
#
#   detection   NODES nodes (--id n1..nNODES, seeded with n1); once every node sees every node up
#               and the detectors have had SETTLE seconds of heartbeats: kill -9 of the last node,
#               then the seconds until every other node's kvring --json shows it "down" (polled
#               every 0.1 s); restart on the same address and data directory and the seconds
#               until they all show it "up"; the same with SIGSTOP and SIGCONT. False suspicions
#               of the live nodes meanwhile are counted.
#   handoff     a fresh cluster per run and per --handoff-rate of RATES:
#                 before    kvbench net put of LOAD_OPS fresh keys through n1, all nodes up;
#                 outage 1  kill -9 of the last node, wait until the others show it down, WRITES
#                           fresh keys put through n1 (kvbench, C clients); the hints each node
#                           then holds (kvring hints_pending); restart, and the seconds until
#                           no node holds a hint (first hint gone, last hint gone); the hints
#                           delivered (the "hinted handoff: delivered" log lines);
#                 outage 2  the same outage again, and as soon as the handoff begins the put run
#                           of LOAD_OPS fresh keys (the client during handoff) with its overlap
#                           with the handoff;
#                 after     the same put run once no hint is left (the client with no handoff);
#                 check     the other nodes killed, the returned node alone answers gets at R=1
#                           of keys of both outages (kvbench get: 5 x WRITES random keys of each
#                           key set; every one must be found). 3 nodes only.
#   nemesis     tests/nemesis/nemesis.sh --seconds NEMESIS_SECONDS, then --control (skipped
#               with --nemesis-seconds 0).
#
# RUNS runs of detection and handoff (medians printed as Markdown tables).
#
#   bench/run-failure-figures.sh [--runs R] [--nodes 3|4] [--writes N] [--load-ops N]
#       [--concurrency C] [--rates "2000 20000"] [--settle S] [--nemesis-seconds S]
#       [--build-dir DIR] [--work-dir DIR]
#
# Every server listens on 127.0.0.1 on a free port, keeps its data in its own directory under
# WORK_DIR and is stopped by its pid. Raw results are kept in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
runs=3
nodes=3
writes=10000
load_ops=20000
concurrency=50
rates="2000 20000"
settle=10
nemesis_seconds=120
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --writes) writes=$2; shift 2 ;;
    --load-ops) load_ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --nemesis-seconds) nemesis_seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "run-failure-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $nodes == 3 || $nodes == 4 ]] || { echo "run-failure-figures: --nodes is 3 or 4" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run-failure-figures: needs python3" >&2; exit 2; }

figures_work_dir failure
poll=$src/bench/failure_poll.py

build_jobs=1 build_kv kvnode kvbench kvring kv_nemesis_client
bin=$build_dir/bin
kvring=$bin/kvring

# pid of each node by index (1-based; empty when not running).
declare -a node_pid node_ports
stop_all() {
  local pid
  for pid in "${node_pid[@]:-}"; do
    [[ -n $pid ]] || continue
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${node_pid[@]:-}"; do [[ -n $pid ]] && { wait "$pid" 2>/dev/null || true; }; done
  node_pid=()
}
trap stop_all EXIT

free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

record() {  # record KIND JSON: appends JSON with "kind" and the run's settings to the results.
  python3 -c 'import json,sys; r = json.loads(sys.argv[2]); r["kind"] = sys.argv[1]; r.update(json.loads(sys.argv[3])); print(json.dumps(r))' \
    "$1" "$2" "$3" >>"$results"
  echo "  $1: $(tail -n 1 "$results" | cut -c1-300)" >&2
}

now() { date +%s.%N; }

# start_node I [kvnode flags...]: node nI on its port and data directory (again after a kill).
start_node() {
  local i=$1 seeds=()
  shift
  ((i > 1)) && seeds=(--seeds "127.0.0.1:${node_ports[1]}")
  "$bin/kvnode" --id "n$i" --listen "127.0.0.1:${node_ports[i]}" --data-dir "$work_dir/n$i" \
    "${seeds[@]}" "$@" 2>>"$work_dir/kvnode-n$i.log" &
  node_pid[i]=$!
}

node_flags=()
# start_cluster [kvnode flags...]: NODES fresh nodes; returns when every node sees all up.
start_cluster() {
  local i ports
  node_flags=("$@")
  read -r -a ports <<<"$(free_ports "$nodes")"
  node_ports=("" "${ports[@]}")
  for ((i = 1; i <= nodes; i++)); do
    rm -rf "$work_dir/n$i" "$work_dir/kvnode-n$i.log"
    start_node "$i" "$@"
  done
  wait_all_up
}

all_ports() { echo "${node_ports[@]:1}"; }
other_ports() {  # the ports of every node but the last (the one the faults hit)
  echo "${node_ports[@]:1:nodes-1}"
}

# wait_all_up: until every node sees NODES nodes, all up (60 s at most).
wait_all_up() {
  local deadline=$((SECONDS + 60)) port all
  while ((SECONDS < deadline)); do
    all=1
    for port in $(all_ports); do
      "$kvring" --node "127.0.0.1:$port" --json --timeout-ms 1000 2>/dev/null |
        python3 -c 'import json,sys; n = json.load(sys.stdin)["nodes"]
sys.exit(0 if len(n) == int(sys.argv[1]) and all(x["status"] == "up" and x["state"] == "normal" for x in n) else 1)' "$nodes" \
        2>/dev/null || { all=0; break; }
    done
    ((all)) && return 0
    sleep 0.1
  done
  echo "run-failure-figures: the $nodes nodes did not all see each other up within 60 s" >&2
  "$kvring" --node "127.0.0.1:${node_ports[1]}" >&2 || true
  exit 3
}

# wait_status WANT T0: until every other node shows the last node WANT; prints the poller's JSON.
wait_status() {
  # shellcheck disable=SC2046
  python3 "$poll" status "$kvring" "n$nodes" "$1" "$2" 120 $(other_ports)
}

kvbench() {  # kvbench WORKLOAD-FLAGS...: kvbench net through n1, C clients, 100-byte values.
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[1]}" --concurrency "$concurrency" \
    --value-size 100 --json "$@"
}

# ---------------------------------------------------------------------------------------------

run_detection() {
  local run=$1 victim=$nodes t0 out
  local meta="{\"run\": $run, \"nodes\": $nodes}"
  start_cluster
  sleep "$settle"
  note_load "detection run $run"

  t0=$(now)
  kill -9 "${node_pid[victim]}"
  wait "${node_pid[victim]}" 2>/dev/null || true
  node_pid[victim]=
  out=$(wait_status down "$t0")
  record detect-kill "$out" "$meta"

  t0=$(now)
  start_node "$victim" "${node_flags[@]}"
  out=$(wait_status up "$t0")
  record recover-kill "$out" "$meta"

  wait_all_up
  sleep "$settle"
  t0=$(now)
  kill -STOP "${node_pid[victim]}"
  out=$(wait_status down "$t0")
  record detect-stop "$out" "$meta"

  t0=$(now)
  kill -CONT "${node_pid[victim]}"
  out=$(wait_status up "$t0")
  record recover-stop "$out" "$meta"
  stop_all
}

# delivered_since I LINE: hints node nI's log says it delivered after line LINE.
delivered_since() {
  tail -n +"$(($2 + 1))" "$work_dir/kvnode-n$1.log" 2>/dev/null |
    sed -n 's/.*hinted handoff: delivered \([0-9]*\) hints.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}
log_lines() {
  local i
  for ((i = 1; i <= nodes; i++)); do wc -l <"$work_dir/kvnode-n$i.log"; done | tr '\n' ' '
}

# outage KEY_SIZE: kill -9 the last node, wait until the others see it down, write WRITES fresh
# keys (KEY_SIZE-byte keys: each outage its own key set) and wait for the hints to settle.
# Sets outage_put and outage_hints (JSON).
outage() {
  local victim=$nodes t0
  kill -9 "${node_pid[victim]}"
  wait "${node_pid[victim]}" 2>/dev/null || true
  node_pid[victim]=
  t0=$(now)
  wait_status down "$t0" >/dev/null
  outage_put=$(kvbench --workload put --num "$writes" --key-size "$1")
  # shellcheck disable=SC2046
  outage_hints=$(python3 "$poll" settle "$kvring" 30 $(other_ports))
  outage_hints=$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["ownership"] = json.loads(sys.argv[2]); print(json.dumps(r))' \
    "$outage_hints" "$(python3 "$poll" ownership "$kvring" "n$nodes" "${node_ports[1]}")")
}

run_handoff() {
  local run=$1 rate=$2 victim=$nodes t0 out lines i delivered
  local meta="{\"run\": $run, \"nodes\": $nodes, \"rate\": $rate}"
  start_cluster --handoff-rate "$rate"
  sleep 2
  note_load "handoff run $run rate $rate"
  record put-before "$(kvbench --workload put --num "$load_ops" --key-size 18)" "$meta"

  # Outage 1: the handoff alone.
  outage 16
  record put-outage "$outage_put" "$meta"
  record hints-stored "$outage_hints" "$meta"
  read -r -a lines <<<"$(log_lines)"
  t0=$(now)
  start_node "$victim" "${node_flags[@]}"
  # shellcheck disable=SC2046
  out=$(python3 "$poll" handoff "$kvring" "$t0" 300 "$work_dir/timeline-$run-$rate-1.txt" $(all_ports))
  sleep 1.5 # the handoff logs its round after the last hint
  delivered=0
  for ((i = 1; i <= nodes; i++)); do
    delivered=$((delivered + $(delivered_since "$i" "${lines[i - 1]}")))
  done
  record handoff "$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["delivered"] = int(sys.argv[2]); print(json.dumps(r))' "$out" "$delivered")" "$meta"

  # Outage 2: the handoff with a client running.
  wait_all_up
  sleep 2
  outage 17
  record hints-stored-2 "$outage_hints" "$meta"
  t0=$(now)
  start_node "$victim" "${node_flags[@]}"
  # shellcheck disable=SC2046
  out=$(python3 "$poll" handoff "$kvring" "$t0" 300 "$work_dir/timeline-$run-$rate-2.txt" $(all_ports) \
    -- "$bin/kvbench" net --node "127.0.0.1:${node_ports[1]}" --concurrency "$concurrency" \
    --value-size 100 --json --workload put --num "$load_ops" --key-size 19)
  record put-during "$out" "$meta"
  sleep 1
  record put-after "$(kvbench --workload put --num "$load_ops" --key-size 20)" "$meta"

  # The returned node alone has every key of both outages (a sample of 5 x WRITES gets each).
  # With 4 nodes it is a replica of 3/4 of the keys only, and alone cannot answer the rest: no
  # check there.
  if ((nodes > 3)); then
    stop_all
    return
  fi
  for ((i = 1; i < nodes; i++)); do
    kill -9 "${node_pid[i]}"
    wait "${node_pid[i]}" 2>/dev/null || true
    node_pid[i]=
  done
  for ks in 16 17; do
    record check "$("$bin/kvbench" net --node "127.0.0.1:${node_ports[victim]}" --concurrency 10 \
      --json --workload get --r 1 --keys "$writes" --num $((5 * writes)) --key-size "$ks")" \
      "$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["key_size"] = int(sys.argv[2]); print(json.dumps(r))' "$meta" "$ks")"
  done
  stop_all
}

started=$SECONDS
note_load "start"
for ((run = 1; run <= runs; run++)); do
  echo "detection run $run/$runs ($nodes nodes)" >&2
  run_detection "$run"
done
for rate in $rates; do
  for ((run = 1; run <= runs; run++)); do
    echo "handoff run $run/$runs ($nodes nodes, --handoff-rate $rate)" >&2
    run_handoff "$run" "$rate"
  done
done
note_load "cluster figures done"
echo "cluster figures measured in $((SECONDS - started)) s" >&2

nemesis_rc=
control_rc=
if ((nemesis_seconds > 0)); then
  echo "nemesis: $nemesis_seconds s, then the positive control" >&2
  note_load "nemesis"
  nemesis_rc=0
  KV_BIN=$bin "$src/tests/nemesis/nemesis.sh" --seconds "$nemesis_seconds" \
    >"$work_dir/nemesis.txt" 2>&1 || nemesis_rc=$?
  note_load "nemesis control"
  control_rc=0
  KV_BIN=$bin "$src/tests/nemesis/nemesis.sh" --control >"$work_dir/nemesis-control.txt" 2>&1 ||
    control_rc=$?
fi
note_load "end"
echo "measured in $((SECONDS - started)) s" >&2

# ---------------------------------------------------------------------------------------------

echo "$(machine_line)."
echo
print_load_log
echo
python3 - "$results" "$runs" "$nodes" "$writes" "$load_ops" "$concurrency" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, nodes, writes, load_ops, conc = sys.argv[1:7]
rows = defaultdict(list)
for line in open(path):
    r = json.loads(line)
    rows[(r["kind"], r.get("rate"))].append(r)

def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

def sec(x):
    return "-" if x is None else f"{x:.2f}"

def num(x):
    return "-" if x is None else f"{x:,.0f}"

n = int(nodes)
print(f"**Detection and recovery**, {n} nodes, defaults (gossip 1000 ms, phi 8): seconds from the "
      f"signal (or the restart) until all {n - 1} other nodes' kvring shows the node so, polled "
      f"every 0.1 s. Medians of {runs} runs, and each run's figure.\n")
print("| event | until every other node shows | median s | runs s | false downs |")
print("|---|---|---:|---|---:|")
for kind, label, want in [("detect-kill", "kill -9", "down"),
                          ("recover-kill", "restart after kill -9", "up"),
                          ("detect-stop", "SIGSTOP", "down"),
                          ("recover-stop", "SIGCONT after SIGSTOP", "up")]:
    rs = rows.get((kind, None), [])
    secs = [r["seconds"] for r in rs]
    fd = sum(len(r["false_down"]) for r in rs)
    runs_s = ", ".join("timeout" if s is None else f"{s:.2f}" for s in secs)
    print(f"| {label} | {want} | {sec(med(secs))} | {runs_s} | {fd} |")
timeouts = [(k, r["run"]) for (k, _), rs in rows.items() for r in rs if r.get("timed_out")]
if timeouts:
    print(f"\nTIMED OUT (120 s): {timeouts}")
fds = sorted({f for (k, _), rs in rows.items() if k.startswith(("detect", "recover"))
              for r in rs for f in r["false_down"]})
if fds:
    print("\nFalse suspicions seen: " + "; ".join(fds))

rates = sorted({r for (_, r) in rows if r is not None})
print(f"\n**Hinted handoff**, {n} nodes, the last one killed with kill -9, {writes} fresh keys put "
      f"through n1 during the outage (kvbench, {conc} clients), then restarted. Medians of {runs} "
      f"runs a rate.\n")
print("| --handoff-rate | puts/s, node down | hints stored | holders | first hint gone s | last hint gone s | delivered | hints/s | lost (check) |")
print("|---:|---:|---:|---|---:|---:|---:|---:|---|")
for rate in rates:
    put = rows[("put-outage", rate)]
    st = rows[("hints-stored", rate)]
    ho = rows[("handoff", rate)]
    ck = rows[("check", rate)]
    holders = defaultdict(list)
    for r in st:
        for asker, targets in (r["pending"] or {}).items():
            holders[asker].append(sum(targets.values()))
    hold = ", ".join(f"{a}: {num(med(v))}" for a, v in sorted(holders.items()))
    speed = [(r["initial"] / (r["handoff_done"] - r["handoff_start"]))
             if r.get("handoff_done") and r["handoff_done"] > r["handoff_start"] else None
             for r in ho]
    nf = sum(r.get("not_found", 0) for r in ck)
    gets = sum(r.get("ops", 0) for r in ck)
    lost = f"{nf} not found in {gets:,} gets" if gets else "not checked"
    print(f"| {rate} | {num(med(r['ops_per_sec'] for r in put))} | "
          f"{num(med(r['total'] for r in st))} | {hold} | "
          f"{sec(med(r['handoff_start'] for r in ho))} | {sec(med(r['handoff_done'] for r in ho))} | "
          f"{num(med(r['delivered'] for r in ho))} | {num(med(speed))} | "
          f"{lost} |")
own = med(r.get("ownership") for rate in rates for r in rows[("hints-stored", rate)])
if own is not None:
    print(f"\nThe killed node n{n} stores a replica of {own:.1%} of the key space (kvring "
          f"ownership): {own * int(writes):,.0f} of the {writes} keys had a copy to hint.")
print("\nEach run (stored / delivered; first / last hint gone, s):\n")
for rate in rates:
    for st, ho in zip(rows[("hints-stored", rate)], rows[("handoff", rate)]):
        print(f"    rate {rate} run {ho['run']}: {st['total']} / {ho['delivered']}; "
              f"{sec(ho['handoff_start'])} / {sec(ho['handoff_done'])}"
              + (" TIMED OUT" if ho["timed_out"] else ""))

print(f"\n**A client during the handoff**: {load_ops} fresh puts through n1 ({conc} clients), "
      f"started when the first hint of a second outage's {writes} was delivered, against the same "
      f"run with no handoff (before the first outage, and after the second handoff). Medians of "
      f"{runs} runs.\n")
import os
def left_at(timeline, t):
    """Hints left at time t (the last round at or before t) of a run's timeline file."""
    left = None
    for line in open(timeline):
        tt, n = line.split()
        if float(tt) > t:
            break
        left = int(n)
    return left

def handoff_during_client(r):
    """Hints handed off a second while the client ran."""
    tl = os.path.join(os.path.dirname(path), f"timeline-{r['run']}-{r['rate']}-2.txt")
    if not os.path.exists(tl) or r.get("client_start") is None or not r.get("client_end"):
        return None
    a, b = left_at(tl, r["client_start"]), left_at(tl, r["client_end"])
    return None if a is None or b is None else (a - b) / (r["client_end"] - r["client_start"])

print("| --handoff-rate | before: puts/s | during: puts/s | after: puts/s | during / after | during p99 ms | after p99 ms | run under handoff | hints/s during the run | handoff took s (under load) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for rate in rates:
    b = med(r["ops_per_sec"] for r in rows[("put-before", rate)])
    d_rows = rows[("put-during", rate)]
    d = med((r.get("client") or {}).get("ops_per_sec") for r in d_rows)
    a = med(r["ops_per_sec"] for r in rows[("put-after", rate)])
    dp = med((r.get("client") or {}).get("p99_us") for r in d_rows)
    ap = med(r["p99_us"] for r in rows[("put-after", rate)])
    ov = med(r.get("overlap") for r in d_rows)
    took = med((r["handoff_done"] - r["handoff_start"]) if r.get("handoff_done") else None
               for r in d_rows)
    hs = med(handoff_during_client(r) for r in d_rows)
    print(f"| {rate} | {num(b)} | {num(d)} | {num(a)} | "
          f"{'-' if not d or not a else f'{d / a:.2f}'} | {sec(dp / 1000 if dp else None)} | "
          f"{sec(ap / 1000 if ap else None)} | {'-' if ov is None else f'{ov:.0%}'} | {num(hs)} | "
          f"{sec(took)} |")
print("\nEach run (puts/s before, during, after; hints/s during the client's run; handoff took s):\n")
for rate in rates:
    for b, d, a in zip(rows[("put-before", rate)], rows[("put-during", rate)],
                       rows[("put-after", rate)]):
        c = d.get("client") or {}
        took = (d["handoff_done"] - d["handoff_start"]) if d.get("handoff_done") else None
        print(f"    rate {rate} run {d['run']}: {num(b['ops_per_sec'])}, {num(c.get('ops_per_sec'))}, "
              f"{num(a['ops_per_sec'])}; {num(handoff_during_client(d))}; {sec(took)}")
bad = [r for (k, _), rs in rows.items() if k == "put-during" for r in rs if r.get("client_exit")]
if bad:
    print(f"\nClient runs during handoff that failed: {bad}")
PY
for f in nemesis nemesis-control; do
  if [[ -s $work_dir/$f.txt ]]; then
    echo
    rc=$nemesis_rc
    [[ $f == nemesis-control ]] && rc=$control_rc
    echo "$f (exit $rc):"
    echo
    sed 's/^/    /' "$work_dir/$f.txt"
  fi
done
echo "raw results: $results" >&2
