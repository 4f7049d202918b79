#!/usr/bin/env bash
# TLS figures for docs/benchmarks.md ("TLS"): what mutual TLS costs, with TLS on and off side by
# side in one run on one machine.
#
#   throughput  three kvnode processes (--id n1..n3, seeded with n1, --sync batch, N=3 R=2 W=2),
#               plaintext and then with certificates from scripts/make-certs (n1..n3 role peer,
#               kvbench role admin so that it may read the nodes' CPU from their stats);
#               kvbench net through n1 with C clients, 16-byte keys, 100-byte values:
#                 put   OPS durable puts of fresh keys (unpaced: the peak);
#                 c     YCSB C over KEYS zipfian keys after a --load of the key space.
#               The two modes alternate within a run (plain first in odd runs, TLS first in even
#               ones) so that drift of the machine falls on both.
#   handshake   one kvnode, plaintext and TLS: CONNS connections opened one after another by a
#               Python client (TCP connect, the TLS handshake with a client certificate, the kv
#               handshake to its HandshakeOk): the median and p99 of the time each took.
#   memory      the same CONNS connections held open and idle: the node's RSS afterwards less
#               before, per connection.
#
#   bench/run-tls-figures.sh [--keys N] [--ops N] [--concurrency C] [--runs R] [--conns N]
#       [--build-dir DIR] [--work-dir DIR]
#
# Medians of RUNS runs, printed as Markdown tables. Every server listens on 127.0.0.1 on a free
# port, keeps its data under WORK_DIR and is stopped by its pid; raw results are kept in
# WORK_DIR/results.jsonl.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/bench/lib/kv_nodes.bash"
source "$src/bench/lib/figures.bash"
keys=100000
ops=100000
concurrency=50
runs=3
conns=200
build_dir=$src/build
work_dir=

while (($#)); do
  case $1 in
    --keys) keys=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run-tls-figures: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
figures_work_dir tls

build_kv kvnode kvbench kvring
bin=$build_dir/bin
trap stop_all EXIT

certs=$work_dir/certs
rm -rf "$certs"
"$src/scripts/make-certs" "$certs" n1:peer n2:peer n3:peer bench:admin >/dev/null

record() {
  python3 -c 'import json,sys; r = json.loads(sys.argv[2]); r["mode"] = sys.argv[1]; print(json.dumps(r))' \
    "$1" "$2" >>"$results"
  echo "  $1: $2" >&2
}


# with_mode MODE: kv_tls_dir for plain or tls.
with_mode() { if [[ $1 == tls ]]; then kv_tls_dir=$certs; else kv_tls_dir=; fi; }

kvbench() {
  local tls
  read -r -a tls <<<"$(tls_flags bench)"
  "$bin/kvbench" net --node "127.0.0.1:${node_ports[0]}" --concurrency "$concurrency" \
    --value-size 100 --key-size 16 --json "${tls[@]}" "$@"
}

run_throughput() {
  local mode=$1
  with_mode "$mode"
  start_kv 3
  wait_ring 3 normal
  note_load "$mode put"
  record "$mode" "$(kvbench --workload put --num "$ops")"
  stop_all
  start_kv 3
  wait_ring 3 normal
  note_load "$mode c"
  record "$mode" "$(kvbench --workload c --keys "$keys" --num "$ops" --distribution zipfian --load)"
  stop_all
  rm -rf "$work_dir"/n[0-9]*
}

# The handshake's time and the memory of an idle connection, from a client of plain sockets (and
# Python's ssl, which is OpenSSL underneath), so that kv's own client code is not what is timed.
run_connections() {
  local mode=$1 pid
  with_mode "$mode"
  start_kv 1 --replicas 1 --read-quorum 1 --write-quorum 1
  pid=${pids[-1]}
  wait_for_port "${node_ports[0]}"
  note_load "$mode connections"
  record "$mode" "$(python3 - "${node_ports[0]}" "$conns" "$pid" "$kv_tls_dir" <<'PY'
import json, socket, ssl, statistics, struct, sys, time

port, conns, pid, tls_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

context = None
if tls_dir:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=f"{tls_dir}/ca.crt")
    context.check_hostname = False  # a node is known by its certificate's CN, not a host name
    context.load_cert_chain(f"{tls_dir}/bench.crt", f"{tls_dir}/bench.key")

hello = b"kvNP" + struct.pack("<I", 2) + bytes([2]) + b"kv"

def read_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise SystemExit("the node closed the connection during the handshake")
        out += chunk
    return out

def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if context:
        s = context.wrap_socket(s)
    s.sendall(hello)
    (length,) = struct.unpack("<I", read_exactly(s, 4))
    frame = read_exactly(s, length)
    if frame[0] != 1:  # HandshakeOk
        raise SystemExit(f"the node answered the handshake with message type {frame[0]}")
    return s

for _ in range(20):  # warm up: the first connections pay for page faults and caches
    connect().close()
time.sleep(0.2)
before = rss_kib()
held, times = [], []
for _ in range(conns):
    t = time.perf_counter()
    held.append(connect())
    times.append((time.perf_counter() - t) * 1e6)
time.sleep(0.5)
after = rss_kib()
times.sort()
print(json.dumps({"workload": "connections", "connections": conns,
                  "handshake_p50_us": statistics.median(times),
                  "handshake_p99_us": times[int(len(times) * 0.99) - 1],
                  "rss_per_connection_kib": (after - before) / conns}))
PY
)"
  stop_all
  rm -rf "$work_dir"/n[0-9]*
}

started=$SECONDS
note_load "start"
for ((run = 1; run <= runs; run++)); do
  echo "run $run/$runs" >&2
  if ((run % 2)); then order=(plain tls); else order=(tls plain); fi
  for mode in "${order[@]}"; do run_throughput "$mode"; done
  for mode in "${order[@]}"; do run_connections "$mode"; done
done
note_load "end"
echo "measured in $((SECONDS - started)) s" >&2

echo "$(machine_line)."
echo
print_load_log
echo
python3 - "$results" "$runs" "$keys" "$ops" "$concurrency" "$conns" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, runs, keys, ops, conc, conns = sys.argv[1:7]
rows = defaultdict(list)
for line in open(path):
    r = json.loads(line)
    rows[(r["mode"], r["workload"])].append(r)

def med(mode, workload, field):
    vals = [r[field] for r in rows.get((mode, workload), []) if r.get(field) is not None]
    return statistics.median(vals) if vals else None

def fmt(x, spec):
    return "-" if x is None else format(x, spec)

print(f"Medians of {runs} runs; 3 nodes (N=3, R=W=2, --sync batch), {conc} clients through n1, "
      f"16-byte keys, 100-byte values, 127.0.0.1; put: {ops} fresh keys; C: {ops} reads over "
      f"{keys} zipfian keys loaded first.\n")
print("| workload | plain ops/s | TLS ops/s | TLS / plain | plain p99.9 ms | TLS p99.9 ms | "
      "plain CPU us/op | TLS CPU us/op |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for workload, label in [("put", "put (durable)"), ("c", "YCSB C")]:
    p, t = med("plain", workload, "ops_per_sec"), med("tls", workload, "ops_per_sec")
    ratio = "-" if not p or not t else f"{t / p:.3f}"
    p9, t9 = med("plain", workload, "p999_us"), med("tls", workload, "p999_us")
    print(f"| {label} | {fmt(p, ',.0f')} | {fmt(t, ',.0f')} | {ratio} | "
          f"{fmt(p9 and p9 / 1000, '.2f')} | {fmt(t9 and t9 / 1000, '.2f')} | "
          f"{fmt(med('plain', workload, 'server_cpu_us_per_op'), '.1f')} | "
          f"{fmt(med('tls', workload, 'server_cpu_us_per_op'), '.1f')} |")
print(f"\nConnections: {conns} opened one after another and held idle, one node.\n")
print("| mode | handshake p50 us | handshake p99 us | node RSS per idle connection KiB |")
print("|---|---:|---:|---:|")
for mode in ["plain", "tls"]:
    print(f"| {mode} | {fmt(med(mode, 'connections', 'handshake_p50_us'), ',.0f')} | "
          f"{fmt(med(mode, 'connections', 'handshake_p99_us'), ',.0f')} | "
          f"{fmt(med(mode, 'connections', 'rss_per_connection_kib'), '.1f')} |")
PY
echo "raw results: $results" >&2
