#!/usr/bin/env bash
# Network figures for docs/benchmarks.md: kvnode (--sync batch) under kvbench net put/get, beside
# redis-server with appendonly (appendfsync always, then everysec) under redis-benchmark, both with
# 50 connections, 100-byte values and 16-byte keys; RUNS times, medians printed as Markdown. Each
# figure carries its cost, the server's CPU time (user + system) per operation: kvbench reports
# kvnode's, Redis's is read from /proc (bench/lib/proc_cpu.bash).
#
#   bench/run-net-figures.sh [--num N] [--concurrency C] [--runs R] [--build-dir DIR] [--work-dir DIR]
#
# Every server listens on 127.0.0.1 on a free port, keeps its data in its own directory under
# WORK_DIR and is stopped by its pid. Raw results are kept in WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/figures.bash"
source "$src/bench/lib/proc_cpu.bash"
num=100000
concurrency=50
runs=3
build_dir=$src/build-peers
work_dir=

while (($#)); do
  case $1 in
    --num) num=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run-net-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "run-net-figures: $tool is not installed" >&2; exit 2; }
done
figures_work_dir net

build_kv kvnode kvbench

server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT: until something accepts TCP connections there (10 s at most).
wait_for_port() {
  for _ in $(seq 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "run-net-figures: the server exited" >&2; exit 3; }
    sleep 0.1
  done
  echo "run-net-figures: nothing listens on 127.0.0.1:$1 after 10 s" >&2
  exit 3
}

run_kv() {
  local port dir
  port=$(free_port)
  dir=$work_dir/kvnode
  rm -rf "$dir"
  "$build_dir/bin/kvnode" --listen "127.0.0.1:$port" --data-dir "$dir" --sync batch \
    --log-level warn 2>"$work_dir/kvnode.log" &
  server_pid=$!
  wait_for_port "$port"
  for workload in put get; do
    line=$("$build_dir/bin/kvbench" net --node "127.0.0.1:$port" --workload "$workload" \
      --num "$num" --concurrency "$concurrency" --value-size 100 --key-size 16 --json)
    python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["system"] = "kv (sync batch)"; print(json.dumps(r))' \
      "$line" >>"$results"
    echo "  $line" >&2
  done
  stop_server
  rm -rf "$dir"
}

run_redis() {
  local fsync=$1 port dir
  port=$(free_port)
  dir=$work_dir/redis-$fsync
  rm -rf "$dir"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly yes \
    --appendfsync "$fsync" --daemonize no --logfile "$dir/redis.log" &
  server_pid=$!
  wait_for_port "$port"
  local test before after
  # One test at a time, so that each has its own CPU figure.
  for test in set get; do
    before=$(proc_cpu_micros "$server_pid")
    # -r: random keys "key:" + 12 digits (16 bytes) out of num, like kvbench's; -d 100: values.
    redis-benchmark -h 127.0.0.1 -p "$port" -c "$concurrency" -d 100 -r "$num" -n "$num" \
      -t "$test" --csv 2>/dev/null >"$dir/benchmark.csv"
    after=$(proc_cpu_micros "$server_pid")
    python3 -c '
import csv, json, sys
label, cpu = sys.argv[1], float(sys.argv[2])
for row in csv.DictReader(sys.stdin):
    name = {"SET": "put", "GET": "get"}.get(row["test"])
    if name:
        print(json.dumps({"system": label, "workload": name,
                          "ops_per_sec": float(row["rps"]),
                          "p50_us": float(row["p50_latency_ms"]) * 1000,
                          "p99_us": float(row["p99_latency_ms"]) * 1000,
                          "server_cpu_us_per_op": cpu}))
' "redis (appendfsync $fsync)" "$(cpu_us_per_op "$before" "$after" "$num")" \
      <"$dir/benchmark.csv" | tee -a "$results" | sed 's/^/  /' >&2
  done
  stop_server
  rm -rf "$dir"
}

for ((run = 1; run <= runs; run++)); do
  echo "run $run/$runs" >&2
  run_kv
  run_redis always
  run_redis everysec
done

echo "$(machine_line), load average $(load_now) at the end."
echo
python3 - "$results" "$runs" "$num" "$concurrency" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, num, conc = sys.argv[1:5]
rows = defaultdict(list)
systems = []
for line in open(path):
    r = json.loads(line)
    rows[(r["system"], r["workload"])].append(r)
    if r["system"] not in systems:
        systems.append(r["system"])

print(f"Medians of {runs} runs; {num} requests, {conc} connections, 16-byte keys, "
      "100-byte values, 127.0.0.1.\n")
print("| server | put ops/s | put p99 us | put CPU us/op | get ops/s | get p99 us | get CPU us/op |")
print("|---|---:|---:|---:|---:|---:|---:|")
for s in systems:
    cells = []
    for w in ("put", "get"):
        rs = rows[(s, w)]
        cpu = [r["server_cpu_us_per_op"] for r in rs if r.get("server_cpu_us_per_op") is not None]
        cells.append(f"{statistics.median(r['ops_per_sec'] for r in rs):,.0f}")
        cells.append(f"{statistics.median(r['p99_us'] for r in rs):,.0f}")
        cells.append(f"{statistics.median(cpu):,.1f}" if cpu else "-")
    print(f"| {s} | " + " | ".join(cells) + " |")
print("\nCPU us/op: the server's user + system CPU time per request (kv: kvbench's "
      "server_cpu_us_per_op, from the node's stats; Redis: /proc/PID/stat).")
PY
echo "raw results: $results" >&2
