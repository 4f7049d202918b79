#!/usr/bin/env bash
# HTTP API figures for docs/benchmarks.md ("HTTP API"), all in one run on one machine, side by
# side, one load generator (wrk) for kv's HTTP API and etcd's JSON gateway:
#
#   kv HTTP, 1 node   kvnode --replicas 1 -r 1 -w 1 --http-listen; wrk -t2 -cC -dSECONDS with
#                     bench/kv-http-wrk.lua: put (PUT ?blind=true of fresh keys, 100-byte
#                     values), put read-first (the same PUT without blind: the node reads first,
#                     the API's default), get (GET of random keys of a loaded key space).
#   kv HTTP, 3 nodes  three kvnodes (N=3 R=2 W=2, --sync batch), wrk against n1's HTTP API: put,
#                     put read-first, get.
#   kv native         kvbench net on the same clusters (C clients): put (OPS fresh keys), and C
#                     (reads over KEYS keys after --load, which also loads the keys wrk gets).
#   etcd 3.4          3 members (bench/lib/etcd_cluster.bash), wrk with bench/etcd-wrk.lua against
#                     the leader's JSON gateway: put (/v3/kv/put), get (/v3/kv/range).
#   kvput             on the 3-node cluster: KVPUT invocations of kvput KEY VALUE (read-first, the
#                     default) and of kvput --blind, one process each, fresh keys: wall time per
#                     invocation and the nodes' CPU per write.
#
# Every row carries the servers' CPU time (user + system) per operation, all of a system's
# server processes together (/proc/PID/stat before and after: bench/lib/proc_cpu.bash; kvbench's
# own server_cpu_us_per_op for its rows). RUNS rounds (fresh clusters each), medians printed as
# a Markdown table, with the load average beside each run (other builds may share the machine).
#
#   bench/run-http-figures.sh [--keys N] [--ops N] [--seconds S] [--concurrency C] [--runs R]
#       [--kvput N] [--build-dir DIR] [--work-dir DIR]
#
# Every server listens on 127.0.0.1 on a free port, keeps its data under WORK_DIR and is stopped
# by its pid. Raw results: WORK_DIR/results.jsonl; wrk's own output: WORK_DIR/wrk.txt.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/proc_cpu.bash"
source "$src/bench/lib/kv_nodes.bash"
source "$src/bench/lib/etcd_cluster.bash"
source "$src/bench/lib/figures.bash"
source "$src/bench/lib/wrk.bash"
keys=100000
ops=100000
seconds=10
concurrency=50
runs=3
kvput_count=200
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --keys) keys=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --kvput) kvput_count=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run-http-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in etcd etcdctl wrk python3; do
  command -v "$tool" >/dev/null || {
    echo "run-http-figures: $tool is not installed (KV_WITH_PEERS=1 scripts/install-deps)" >&2
    exit 2
  }
done
figures_work_dir http
build_kv kvnode kvbench kvring kvput
bin=$build_dir/bin
kv_http=1
trap stop_all EXIT

# record LABEL WORKLOAD JSON: appends the JSON object with "system" and "workload" set.
record() {
  python3 -c 'import json,sys; r = json.loads(sys.argv[3]); r["system"] = sys.argv[1]; r["workload"] = sys.argv[2]; print(json.dumps(r))' \
    "$1" "$2" "$3" >>"$results"
  echo "  $1 $2: $3" >&2
}

# run_wrk LABEL MODE SCRIPT URL PID...: SECONDS of wrk, the servers' CPU per request.
run_wrk() {
  local label=$1 mode=$2 script=$3 url=$4
  shift 4
  note_load "$label $mode"
  record "$label" "$mode" "$(wrk_json "$concurrency" "$seconds" "$script" "$url" \
    "$mode $keys 100" "$work_dir/wrk.txt" "$@")"
}

# run_kvbench LABEL WORKLOAD kvbench-flags...: kvbench net through n1.
run_kvbench() {
  local label=$1 workload=$2
  shift 2
  note_load "$label $workload"
  record "$label" "$workload" "$("$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" \
    --concurrency "$concurrency" --value-size 100 --key-size 16 --json "$@")"
}

# run_kvput LABEL PID...: KVPUT invocations of kvput read-first and --blind, fresh keys.
run_kvput() {
  local label=$1 mode flags before after start end i
  shift
  for mode in read-first blind; do
    flags=()
    [[ $mode == blind ]] && flags=(--blind)
    note_load "$label kvput $mode"
    before=$(proc_cpu_micros "$@")
    start=$(date +%s%N)
    for ((i = 0; i < kvput_count; i++)); do
      "$bin/kvput" --node "127.0.0.1:${node_ports[0]}" "${flags[@]}" "kvput-$mode-$i" \
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 \
        >/dev/null
    done
    end=$(date +%s%N)
    after=$(proc_cpu_micros "$@")
    record "$label" "kvput $mode" "$(python3 -c 'import json,sys; n = int(sys.argv[1]); print(json.dumps({"requests": n, "ms_per_invocation": round((int(sys.argv[3]) - int(sys.argv[2])) / 1e6 / n, 3), "server_cpu_us_per_op": json.loads(sys.argv[4])}))' \
      "$kvput_count" "$start" "$end" "$(cpu_us_per_op "$before" "$after" "$kvput_count")")"
  done
}

# run_kv LABEL COUNT kvnode-flags...: a fresh cluster for the HTTP and native rows.
run_kv() {
  local label=$1 count=$2 url
  shift 2
  start_kv "$count" "$@"
  wait_ring "$count" normal
  url="http://127.0.0.1:${http_ports[0]}"
  local kv_pids=("${pids[@]}")
  run_wrk "$label HTTP" put "$src/bench/kv-http-wrk.lua" "$url" "${kv_pids[@]}"
  run_wrk "$label HTTP" put-read-first "$src/bench/kv-http-wrk.lua" "$url" "${kv_pids[@]}"
  run_kvbench "$label native" put --workload put --num "$ops"
  # Loads keys 0..KEYS-1 (what wrk's get reads), then reads them.
  run_kvbench "$label native" c --workload c --keys "$keys" --num "$ops" --load
  run_wrk "$label HTTP" get "$src/bench/kv-http-wrk.lua" "$url" "${kv_pids[@]}"
  ((count == 3)) && run_kvput "$label" "${kv_pids[@]}"
  stop_all
}

run_etcd() {
  start_etcd kv-http-figures
  run_wrk "etcd 3.4 (3 members)" put "$src/bench/etcd-wrk.lua" "$etcd_leader" "${etcd_pids[@]}"
  run_wrk "etcd 3.4 (3 members)" get "$src/bench/etcd-wrk.lua" "$etcd_leader" "${etcd_pids[@]}"
  stop_all
  rm -rf "$work_dir"/etcd[0-9]
}

started=$SECONDS
note_load "start"
for ((run = 1; run <= runs; run++)); do
  echo "== round $run of $runs" >&2
  run_kv "kv 1 node" 1 --replicas 1 --read-quorum 1 --write-quorum 1
  run_kv "kv 3 nodes" 3
  run_etcd
  rm -rf "$work_dir"/n[0-9]
done
note_load "end ($((SECONDS - started)) s)"

echo
echo "$(machine_line)."
echo
python3 - "$results" "$runs" "$keys" "$ops" "$seconds" "$concurrency" "$kvput_count" <<'PY'
import json, statistics, sys
path, runs, keys, ops, seconds, conc, kvputs = sys.argv[1:8]
rows = [json.loads(line) for line in open(path)]

def med(system, workload, field):
    xs = [r[field] for r in rows if r["system"] == system and r["workload"] == workload
          and r.get(field) is not None]
    return statistics.median(xs) if xs else None

def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"

print(f"Medians of {runs} runs; {conc} connections; 100-byte values; wrk: {seconds} s per row over "
      f"{keys} keys; kvbench: {ops} operations.\n")
print("| system | interface | workload | ops/s | p50 ms | p99 ms | server CPU µs/op | errors |")
print("|---|---|---|---:|---:|---:|---:|---:|")
table = [
    ("kv 1 node HTTP", "HTTP (wrk)", "put", "put (blind, fresh keys)"),
    ("kv 1 node HTTP", "HTTP (wrk)", "put-read-first", "put (read-first, the default)"),
    ("kv 1 node HTTP", "HTTP (wrk)", "get", "get"),
    ("kv 1 node native", "kv protocol (kvbench net)", "put", "put (blind, fresh keys)"),
    ("kv 1 node native", "kv protocol (kvbench net)", "c", "YCSB C (reads)"),
    ("kv 3 nodes HTTP", "HTTP (wrk)", "put", "put (blind, fresh keys)"),
    ("kv 3 nodes HTTP", "HTTP (wrk)", "put-read-first", "put (read-first, the default)"),
    ("kv 3 nodes HTTP", "HTTP (wrk)", "get", "get"),
    ("kv 3 nodes native", "kv protocol (kvbench net)", "put", "put (blind, fresh keys)"),
    ("kv 3 nodes native", "kv protocol (kvbench net)", "c", "YCSB C (reads)"),
    ("etcd 3.4 (3 members)", "JSON gateway (wrk)", "put", "put"),
    ("etcd 3.4 (3 members)", "JSON gateway (wrk)", "get", "range (linearizable)"),
]
for system, interface, workload, name in table:
    p50 = med(system, workload, "p50_us")
    p99 = med(system, workload, "p99_us")
    print(f"| {system.replace(' HTTP', '').replace(' native', '')} | {interface} | {name} | "
          f"{fmt(med(system, workload, 'ops_per_sec'))} | "
          f"{fmt(p50 / 1000 if p50 is not None else None, 2)} | "
          f"{fmt(p99 / 1000 if p99 is not None else None, 2)} | "
          f"{fmt(med(system, workload, 'server_cpu_us_per_op'), 1)} | "
          f"{fmt(med(system, workload, 'errors'))} |")
print(f"\nkvput on the 3-node cluster, {kvputs} invocations each (a process per write):\n")
print("| kvput | ms per invocation | server CPU µs/write |")
print("|---|---:|---:|")
for mode in ("read-first", "blind"):
    print(f"| {mode} | {fmt(med('kv 3 nodes', 'kvput ' + mode, 'ms_per_invocation'), 2)} | "
          f"{fmt(med('kv 3 nodes', 'kvput ' + mode, 'server_cpu_us_per_op'), 1)} |")
PY
echo
print_load_log
