#!/usr/bin/env bash
# Cluster figures for docs/benchmarks.md ("Cluster"), all in one run on one machine, side by side:
#
#   kv, 3 nodes   three kvnode processes (--id n1..n3, seeded with n1, --sync batch, N=3 R=2 W=2);
#                 kvbench net through n1 (kvbench takes one --node: n1 coordinates every request)
#                 with C clients, 100-byte values, 16-byte keys:
#                   put          OPS blind puts of fresh keys (the durable-write figure: a put is
#                                acknowledged after W=2 replicas fsynced it), unpaced: the peak;
#                   put at half  OPS/2 fresh puts paced open-loop (kvbench --rate) at half the
#                                peak just measured: p50/p99/p99.9 at half load;
#                   a, c         YCSB A (50% reads, 50% read-modify-write updates) and C (reads)
#                                over KEYS zipfian keys, after a --load of the key space.
#                 Each put figure and the a/c pair get a fresh cluster (a blind put of a key that
#                 is already there would add a sibling, not overwrite).
#   kv, 1 node    one kvnode with --replicas 1 --read-quorum 1 --write-quorum 1: put, a, c.
#   Redis 7       redis-server --appendonly yes --appendfsync always; redis-benchmark -c C
#                 -d 100 -r KEYS -n OPS -t set,get.
#   etcd 3.4      a 3-member cluster (Debian's etcd-server, each member its own data dir, client
#                 and peer URLs on 127.0.0.1); wrk -t2 -cC -dSECONDS with bench/etcd-wrk.lua
#                 against the leader's gRPC gateway (/v3/kv/put, then /v3/kv/range), 100-byte
#                 values over KEYS keys.
#   gossip        five kvnode processes seeded with the first, started together: seconds from
#                 the last start until every node's kvring --json shows 5 nodes up (default
#                 --gossip-interval-ms 1000); and each node's ownership as kvring reports it.
#   ring balance  kv_tests -tc='ring: ownership balance by virtual nodes', when kv_tests is built
#                 in BUILD_DIR (ninja -C BUILD_DIR kv_tests; this script does not build it).
#
# Every figure carries its cost: the servers' CPU time (user + system) per operation, all of a
# system's server processes together — kvbench's server_cpu_us_per_op for kv (it asks each node),
# /proc/PID/stat of redis-server and the three etcd members before and after each run for the
# others (bench/lib/proc_cpu.bash).
#
# RUNS rounds of all of these (medians printed as Markdown tables). Then, unless --profile never,
# when the goals are missed (durable writes at 3x etcd's, p99.9 under 5 ms at half of peak) or
# with --profile always: one more put run on a fresh cluster under `perf record -a -g`
# (cpu-clock; `perf report` summaries in WORK_DIR/perf-*.txt: by command, the three nodes' share
# of the samples, and the nodes' top symbols by self time).
#
#   bench/run-cluster-figures.sh [--keys N] [--ops N] [--concurrency C] [--runs R]
#       [--etcd-seconds S] [--profile auto|always|never] [--build-dir DIR] [--work-dir DIR]
#
# Every server listens on 127.0.0.1 on a free port, keeps its data in its own directory under
# WORK_DIR and is stopped by its pid. Raw results are kept in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/proc_cpu.bash"
source "$src/bench/lib/kv_nodes.bash"
source "$src/bench/lib/etcd_cluster.bash"
source "$src/bench/lib/figures.bash"
source "$src/bench/lib/wrk.bash"
keys=100000
ops=100000
concurrency=50
runs=3
etcd_seconds=10
profile=auto
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --keys) keys=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --etcd-seconds) etcd_seconds=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,43p' "$0"; exit 0 ;;
    *) echo "run-cluster-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $profile in auto | always | never) ;; *)
  echo "run-cluster-figures: --profile is auto, always or never" >&2; exit 2 ;;
esac

for tool in redis-server redis-benchmark etcd etcdctl wrk python3; do
  command -v "$tool" >/dev/null || {
    echo "run-cluster-figures: $tool is not installed (KV_WITH_PEERS=1 scripts/install-deps)" >&2
    exit 2
  }
done
figures_work_dir cluster

build_kv kvnode kvbench kvring
bin=$build_dir/bin
# The ring-balance table comes from the unit tests, when they are built in the same directory
# (ninja -C BUILD_DIR kv_tests); the whole test binary is not built here, to keep this short.
kv_tests=$(find "$build_dir" -name kv_tests -type f -perm -u+x 2>/dev/null | head -n 1)

trap stop_all EXIT

# record LABEL JSON: appends the JSON object with "system" set to LABEL to the results.
record() {
  python3 -c 'import json,sys; r = json.loads(sys.argv[2]); r["system"] = sys.argv[1]; print(json.dumps(r))' \
    "$1" "$2" >>"$results"
  echo "  $1: $2" >&2
}


# ---------------------------------------------------------------------------------------------
# kv

kvbench() {
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" --concurrency "$concurrency" \
    --value-size 100 --key-size 16 --json "$@"
}

run_kv() {
  local label=$1 count=$2 line peak
  shift 2
  local flags=("$@")

  start_kv "$count" "${flags[@]}"
  wait_ring "$count" normal
  note_load "$label put"
  line=$(kvbench --workload put --num "$ops")
  record "$label" "$line"
  stop_all

  if ((count > 1)); then
    peak=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["ops_per_sec"] / 2))' "$line")
    start_kv "$count" "${flags[@]}"
    wait_ring "$count" normal
    note_load "$label put at half of peak"
    line=$(kvbench --workload put --num $((ops / 2)) --rate "$peak")
    record "$label" "$(python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["workload"] = "put-half"; print(json.dumps(r))' "$line")"
    stop_all
  fi

  start_kv "$count" "${flags[@]}"
  wait_ring "$count" normal
  note_load "$label a"
  record "$label" "$(kvbench --workload a --keys "$keys" --num "$ops" --distribution zipfian --load)"
  note_load "$label c"
  record "$label" "$(kvbench --workload c --keys "$keys" --num "$ops" --distribution zipfian)"
  stop_all
  rm -rf "$work_dir"/n[0-9]*
}

run_gossip() {
  local start_done t
  start_kv 5
  start_done=$(date +%s.%N)
  wait_ring 5
  t=$(python3 -c 'import sys,time; print(f"{time.time() - float(sys.argv[1]):.3f}")' "$start_done")
  # Ownership once every node has joined (up is not yet normal: a joining node owns nothing).
  wait_ring 5 normal
  local ring
  ring=$("$bin/kvring" --node "127.0.0.1:${node_ports[0]}" --json)
  record gossip "$(python3 -c 'import json,sys; print(json.dumps({"workload": "converge5", "seconds": float(sys.argv[1]), "ring": json.loads(sys.argv[2])}))' "$t" "$ring")"
  stop_all
  rm -rf "$work_dir"/n[0-9]*
}

# ---------------------------------------------------------------------------------------------
# Redis

run_redis() {
  local port dir
  port=$(free_ports 1)
  dir=$work_dir/redis
  rm -rf "$dir"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly yes \
    --appendfsync always --daemonize no --logfile "$dir/redis.log" &
  pids+=($!)
  local redis_pid=$! test before after
  local -A cpu
  wait_for_port "$port"
  note_load "redis"
  : >"$work_dir/redis-benchmark.txt"
  # One test at a time, so that each has its own CPU figure.
  for test in set get; do
    before=$(proc_cpu_micros "$redis_pid")
    # -r: random keys "key:" + 12 digits (16 bytes) out of KEYS; -d 100: values. The full output
    # (not --csv) has the percentile distribution, from which p99.9 is read.
    redis-benchmark -h 127.0.0.1 -p "$port" -c "$concurrency" -d 100 -r "$keys" -n "$ops" \
      -t "$test" >>"$work_dir/redis-benchmark.txt" 2>/dev/null
    after=$(proc_cpu_micros "$redis_pid")
    cpu[$test]=$(cpu_us_per_op "$before" "$after" "$ops")
  done
  python3 - "$work_dir/redis-benchmark.txt" "${cpu[set]}" "${cpu[get]}" <<'PY' >>"$results"
import json, re, sys
text = open(sys.argv[1]).read().replace("\r", "\n")
cpu = {"SET": float(sys.argv[2]), "GET": float(sys.argv[3])}
for block in re.split(r"\n(?==+ )", text):
    m = re.match(r"=+ (SET|GET) =+", block.strip())
    if not m:
        continue
    rps = float(re.search(r"throughput summary: ([\d.]+) requests per second", block).group(1))
    # latency summary (msec): avg min p50 p95 p99 max
    summary = re.search(r"avg +min +p50 +p95 +p99 +max\s*\n\s*([\d.]+) +([\d.]+) +([\d.]+) +"
                        r"([\d.]+) +([\d.]+) +([\d.]+)", block)
    # p99.9: the first line of the percentile distribution at or past 99.9% (99.902%).
    pct = [(float(p), float(ms)) for p, ms in
           re.findall(r"([\d.]+)% <= ([\d.]+) milliseconds", block.split("Cumulative")[0])]
    p999 = next(ms for p, ms in pct if p >= 99.9) * 1000
    print(json.dumps({"system": "redis (always)",
                      "workload": {"SET": "put", "GET": "get"}[m.group(1)],
                      "ops_per_sec": rps, "p50_us": float(summary.group(3)) * 1000,
                      "p99_us": float(summary.group(5)) * 1000, "p999_us": p999,
                      "max_us": float(summary.group(6)) * 1000,
                      "server_cpu_us_per_op": cpu[m.group(1)]}))
PY
  tail -n 2 "$results" | sed 's/^/  /' >&2
  stop_all
  rm -rf "$dir"
}

# ---------------------------------------------------------------------------------------------
# etcd

run_etcd() {
  start_etcd kv-cluster-figures
  local leader=$etcd_leader
  local mode
  for mode in put get; do
    note_load "etcd $mode"
    # The three members' CPU: a put costs the leader and both followers.
    record "etcd 3.4 (3 members)" "$(wrk_json "$concurrency" "$etcd_seconds" \
      "$src/bench/etcd-wrk.lua" "$leader" "$mode $keys 100" "$work_dir/wrk.txt" "${etcd_pids[@]}" |
      python3 -c 'import json,sys; r = json.load(sys.stdin); r["workload"] = sys.argv[1]; print(json.dumps(r))' "$mode")"
  done
  stop_all
  rm -rf "$work_dir"/etcd[0-9]
}

# ---------------------------------------------------------------------------------------------

started=$SECONDS
note_load "start"
for ((run = 1; run <= runs; run++)); do
  echo "run $run/$runs" >&2
  run_kv "kv 3 nodes" 3
  run_kv "kv 1 node" 1 --replicas 1 --read-quorum 1 --write-quorum 1
  run_redis
  run_etcd
  run_gossip
done
note_load "end"
echo "measured in $((SECONDS - started)) s" >&2

if [[ -n $kv_tests ]]; then
  "$kv_tests" -tc='ring: ownership balance by virtual nodes' >"$work_dir/ring-balance.txt" 2>&1 ||
    echo "run-cluster-figures: kv_tests failed; see $work_dir/ring-balance.txt" >&2
else
  echo "(kv_tests is not built in $build_dir: ninja -C $build_dir kv_tests for the table)" \
    >"$work_dir/ring-balance.txt"
fi

# Goals missed? Then where the CPU goes during a put run on the cluster.
missed=$(python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(system, workload, field):
    return statistics.median(r[field] for r in rows
                             if r["system"].startswith(system) and r["workload"] == workload)
ratio = med("kv 3 nodes", "put", "ops_per_sec") / med("etcd", "put", "ops_per_sec")
p999 = med("kv 3 nodes", "put-half", "p999_us")
print(1 if ratio < 3 or p999 >= 5000 else 0)
PY
)
if [[ $profile == always || ($profile == auto && $missed == 1) ]]; then
  if perf record -e cpu-clock -o /dev/null -- true 2>/dev/null; then
    echo "profiling a put run on the cluster (perf record -a -g, cpu-clock)" >&2
    start_kv 3
    wait_ring 3 normal
    # System-wide for as long as the put run lasts: kvbench, the three nodes, the kernel.
    perf record -e cpu-clock -F 999 -a -g -o "$work_dir/perf.data" -- "$bin/kvbench" net \
      --node "127.0.0.1:${node_ports[0]}" --concurrency "$concurrency" --value-size 100 \
      --key-size 16 --json --workload put --num "$ops" >"$work_dir/profiled-put.json" \
      2>"$work_dir/perf-record.log"
    echo "  $(cat "$work_dir/profiled-put.json")" >&2
    node_pids=("${pids[@]}")
    stop_all
    rm -rf "$work_dir"/n[0-9]*
    perf report -i "$work_dir/perf.data" --stdio --no-children --sort comm --percent-limit 1 -g none \
      2>/dev/null | grep -v '^$' >"$work_dir/perf-comm.txt" || true
    # The three nodes' threads (other kvnode processes on the machine are not ours), their
    # symbols as a share of the nodes' own samples; release builds have no frame pointers, so
    # self time only.
    perf script -i "$work_dir/perf.data" -F pid 2>/dev/null | awk '{ n[$1]++ } END { for (p in n) print n[p], p }' |
      sort -rn >"$work_dir/perf-samples-by-pid.txt" || true
    node_tids=$(perf script -i "$work_dir/perf.data" -F pid,tid 2>/dev/null | python3 -c '
import sys
ours = set(sys.argv[1:])
print(",".join(sorted({l.split()[0].split("/")[1] for l in sys.stdin
                       if l.split() and l.split()[0].split("/")[0] in ours})))' "${node_pids[@]}")
    if [[ -n $node_tids ]]; then
      perf report -i "$work_dir/perf.data" --stdio --no-children --tid "$node_tids" --sort sym \
        --percentage relative --percent-limit 0.6 -g none 2>/dev/null | grep -v '^$' \
        >"$work_dir/perf-nodes.txt" || true
    fi
    python3 - "$work_dir/perf-samples-by-pid.txt" "${node_pids[@]}" >"$work_dir/perf-share.txt" <<'PY' || true
import sys
counts = [l.split() for l in open(sys.argv[1]) if l.strip()]
total = sum(int(c) for c, _ in counts)
ours = set(sys.argv[2:])
nodes = sum(int(c) for c, p in counts if p in ours)
print(f"samples {total} (both cores); the 3 kvnode processes {100 * nodes / total:.1f}%"
      + "".join(f"; pid {p} {100 * int(c) / total:.1f}%" for c, p in counts if p in ours))
PY
  else
    echo "run-cluster-figures: perf cannot record here (install linux-perf); no profile" >&2
  fi
fi

echo "$(machine_line)."
echo
print_load_log
echo
python3 - "$results" "$runs" "$keys" "$ops" "$concurrency" "$etcd_seconds" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, keys, ops, conc, etcd_seconds = sys.argv[1:7]
rows = defaultdict(list)
for line in open(path):
    r = json.loads(line)
    rows[(r["system"], r["workload"])].append(r)

def med(system, workload, field, sub=None):
    rs = rows.get((system, workload), [])
    vals = [(r[sub][field] if sub else r[field]) for r in rs if (sub is None or sub in r)]
    return statistics.median(vals) if vals else None

def ms(us):
    return "-" if us is None else f"{us / 1000:.2f}"

def num(x):
    return "-" if x is None else f"{x:,.0f}"

def cpu(system, workload, sub):
    # Per run, not per operation type: the servers' CPU cannot be split between reads and updates.
    if sub:
        return "-"
    vals = [r["server_cpu_us_per_op"] for r in rows.get((system, workload), [])
            if r.get("server_cpu_us_per_op") is not None]
    return f"{statistics.median(vals):,.1f}" if vals else "-"

print(f"Medians of {runs} runs; {conc} clients (connections), 16-byte keys, 100-byte values, "
      f"127.0.0.1. kv: {ops} operations a run (put: {ops} fresh keys; put at half of peak: "
      f"{int(ops) // 2}), a and c over {keys} zipfian keys loaded first; Redis: {ops} requests "
      f"over {keys} random keys; etcd: {etcd_seconds} s of wrk over {keys} random keys.\n")
print("| system | workload | ops/s | p50 ms | p99 ms | p99.9 ms | server CPU us/op |")
print("|---|---|---:|---:|---:|---:|---:|")
table = [
    ("kv 3 nodes", "put", None, "put (durable, fresh keys)"),
    ("kv 3 nodes", "put-half", None, "put at half of peak (paced)"),
    ("kv 3 nodes", "a", None, "A (50% read, 50% update)"),
    ("kv 3 nodes", "a", "read", "A: reads"),
    ("kv 3 nodes", "a", "update", "A: updates (get + put)"),
    ("kv 3 nodes", "c", None, "C (100% read)"),
    ("kv 1 node", "put", None, "put (durable, fresh keys)"),
    ("kv 1 node", "a", None, "A (50% read, 50% update)"),
    ("kv 1 node", "a", "read", "A: reads"),
    ("kv 1 node", "a", "update", "A: updates (get + put)"),
    ("kv 1 node", "c", None, "C (100% read)"),
    ("redis (always)", "put", None, "SET"),
    ("redis (always)", "get", None, "GET"),
    ("etcd 3.4 (3 members)", "put", None, "put"),
    ("etcd 3.4 (3 members)", "get", None, "range (linearizable)"),
]
for system, workload, sub, label in table:
    print(f"| {system} | {label} | {num(med(system, workload, 'ops_per_sec', sub))} | "
          f"{ms(med(system, workload, 'p50_us', sub))} | {ms(med(system, workload, 'p99_us', sub))} | "
          f"{ms(med(system, workload, 'p999_us', sub))} | {cpu(system, workload, sub)} |")
print("\nServer CPU: user + system CPU time per operation, every server process of the system "
      "together (kv: kvbench's server_cpu_us_per_op from the nodes' stats; Redis and etcd: "
      "/proc/PID/stat), not the load generator's.")
half_target = med("kv 3 nodes", "put-half", "target_rate")
if half_target:
    print(f"\nThe paced put run's target: {half_target:,.0f} ops/s (half of each run's peak; median).")

def ratio(a, b):
    x, y = med(*a, "ops_per_sec"), med(*b, "ops_per_sec")
    return "-" if not x or not y else f"{x / y:.2f}"

print("\nThroughput ratios (medians):\n")
print("| ratio | value |")
print("|---|---:|")
for label, a, b in [
    ("kv 3 nodes put / etcd put (durable writes; goal 3)", ("kv 3 nodes", "put"), ("etcd 3.4 (3 members)", "put")),
    ("kv 3 nodes C / etcd range", ("kv 3 nodes", "c"), ("etcd 3.4 (3 members)", "get")),
    ("kv 3 nodes put / kv 1 node put", ("kv 3 nodes", "put"), ("kv 1 node", "put")),
    ("kv 3 nodes A / kv 1 node A", ("kv 3 nodes", "a"), ("kv 1 node", "a")),
    ("kv 3 nodes C / kv 1 node C", ("kv 3 nodes", "c"), ("kv 1 node", "c")),
    ("kv 3 nodes put / Redis SET (always)", ("kv 3 nodes", "put"), ("redis (always)", "put")),
    ("kv 1 node put / Redis SET (always)", ("kv 1 node", "put"), ("redis (always)", "put")),
    ("kv 3 nodes C / Redis GET", ("kv 3 nodes", "c"), ("redis (always)", "get")),
    ("kv 1 node C / Redis GET", ("kv 1 node", "c"), ("redis (always)", "get")),
]:
    print(f"| {label} | {ratio(a, b)} |")

def cpu_value(system, workload):
    c = cpu(system, workload, None)
    return None if c == "-" else float(c.replace(",", ""))

def goal(label, value, shown, met):
    print(f"| {label} | {shown} | {'-' if value is None else ('yes' if met else 'no')} |")

def ratio_value(a, b):
    r = ratio(a, b)
    return None if r == "-" else float(r)

print("\nGoals (issue 12):\n")
print("| goal | measured | met |")
print("|---|---:|---|")
r = ratio_value(("kv 3 nodes", "put"), ("etcd 3.4 (3 members)", "put"))
c3 = cpu_value("kv 3 nodes", "put")
goal("3 nodes durable puts >= 3x etcd", r, f"{r}x", r is not None and r >= 3)
goal("3 nodes CPU per put, three nodes summed, <= 60 us", c3, f"{c3} us", c3 is not None and c3 <= 60)
p999 = med("kv 3 nodes", "put-half", "p999_us")
goal("3 nodes put p99.9 <= 5 ms at half of peak", p999, f"{ms(p999)} ms", p999 is not None and p999 <= 5000)
r1 = ratio_value(("kv 1 node", "put"), ("redis (always)", "put"))
c1, cr = cpu_value("kv 1 node", "put"), cpu_value("redis (always)", "put")
goal("1 node durable puts >= 1.0x Redis (always)", r1, f"{r1}x", r1 is not None and r1 >= 1)
cpu_ratio = None if c1 is None or not cr else c1 / cr
goal("1 node CPU per put <= 2x Redis's", cpu_ratio, "-" if cpu_ratio is None else f"{cpu_ratio:.2f}x",
     cpu_ratio is not None and cpu_ratio <= 2)
rc1 = ratio_value(("kv 1 node", "c"), ("redis (always)", "get"))
goal("1 node YCSB C >= 1.0x Redis GET", rc1, f"{rc1}x", rc1 is not None and rc1 >= 1)
rc3 = ratio_value(("kv 3 nodes", "c"), ("etcd 3.4 (3 members)", "get"))
goal("3 nodes YCSB C >= 3x etcd range", rc3, f"{rc3}x", rc3 is not None and rc3 >= 3)

gossip = rows.get(("gossip", "converge5"), [])
if gossip:
    secs = [g["seconds"] for g in gossip]
    print(f"\nGossip convergence, 5 nodes started together (each seeded with the first, "
          f"--gossip-interval-ms 1000): every node's kvring shows 5 up "
          f"{statistics.median(secs):.2f} s after the last start (median; runs: "
          + ", ".join(f"{s:.2f}" for s in secs) + ").\n")
    print("Ownership as kvring reports it on the 5-node cluster (first run; 128 vnodes each, N=3):\n")
    ring = gossip[0]["ring"]
    n = len(ring["nodes"])
    print("| node | primary share | primary / fair | replica share (N=3) | replica / fair |")
    print("|---|---:|---:|---:|---:|")
    for node in sorted(ring["nodes"], key=lambda x: x["id"]):
        p, o = node["primary_ownership"], node["ownership"]
        fair_r = min(3, n) / n
        print(f"| {node['id']} | {p:.3f} | {p * n:.3f} | {o:.3f} | {o / fair_r:.3f} |")
PY
echo
echo "Ring balance from the unit test (kv_tests -tc='ring: ownership balance by virtual nodes'):"
echo
grep -E '^(ring balance|  |\(kv_tests)' "$work_dir/ring-balance.txt" | sed 's/^/    /' || true
for f in perf-comm perf-share perf-nodes; do
  if [[ -s $work_dir/$f.txt ]]; then
    echo
    echo "$f (perf report; the put run profiled: $(python3 -c 'import json,sys; print(format(json.load(open(sys.argv[1]))["ops_per_sec"], ",.0f"))' "$work_dir/profiled-put.json") ops/s):"
    echo
    { grep -v '^#' "$work_dir/$f.txt" || true; } | head -40 | cut -c1-140 | sed 's/^/    /'
  fi
done
echo "raw results: $results" >&2
