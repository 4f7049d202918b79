# Starting and stopping kvnode processes for the bench scripts: free ports on 127.0.0.1, a fresh
# cluster of COUNT nodes seeded with the first, and waiting until every node sees the ring.
#
#   source "$src/bench/lib/kv_nodes.bash"
#   bin=...; work_dir=...            # where the programs are, where the nodes keep their data
#   kv_tls_dir=DIR                   # optional: run every node and kvring with certificates from
#                                    # scripts/make-certs DIR n1:peer n2:peer ... bench:admin
#   kv_http=1                        # optional: every node also serves its HTTP API on a free
#                                    # port (http_ports)
#   kv_zones=(a a b)                 # optional: node nI's --zone is kv_zones[I-1]
#   start_kv 3 --sync batch          # nodes n1..n3 (node_ports), their pids appended to pids
#   wait_ring 3 normal
#   stop_all
#
# Every server listens on 127.0.0.1 on a port free when it was picked, keeps its data under
# WORK_DIR/nI and is stopped by its pid. A script that sources this says `trap stop_all EXIT`.

pids=()
node_ports=()
http_ports=()
kv_tls_dir=${kv_tls_dir:-}
kv_http=${kv_http:-0}
kv_zones=(${kv_zones[@]+"${kv_zones[@]}"})

stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# free_ports COUNT: COUNT ports that were free on 127.0.0.1 a moment ago.
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

wait_for_port() {
  for _ in $(seq 200); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "$(basename "$0"): nothing listens on 127.0.0.1:$1 after 10 s" >&2
  exit 3
}

# tls_flags NAME: the --tls-* flags for certificate NAME of kv_tls_dir, or nothing without it.
tls_flags() {
  [[ -n $kv_tls_dir ]] || return 0
  echo "--tls-cert $kv_tls_dir/$1.crt --tls-key $kv_tls_dir/$1.key --tls-ca $kv_tls_dir/ca.crt"
}

# start_kv COUNT [kvnode flags...]: COUNT fresh nodes n1..nCOUNT, n2.. seeded with n1; sets
# node_ports and appends the pids. Returns at once (see wait_ring).
start_kv() {
  local count=$1 i seeds tls http zone
  shift
  read -r -a node_ports <<<"$(free_ports "$count")"
  http_ports=()
  ((kv_http)) && read -r -a http_ports <<<"$(free_ports "$count")"
  for ((i = 1; i <= count; i++)); do
    rm -rf "$work_dir/n$i"
    seeds=()
    ((i > 1)) && seeds=(--seeds "127.0.0.1:${node_ports[0]}")
    read -r -a tls <<<"$(tls_flags "n$i")"
    http=()
    ((kv_http)) && http=(--http-listen "127.0.0.1:${http_ports[i - 1]}")
    zone=()
    [[ -n ${kv_zones[i - 1]:-} ]] && zone=(--zone "${kv_zones[i - 1]}")
    "$bin/kvnode" --id "n$i" --listen "127.0.0.1:${node_ports[i - 1]}" --data-dir "$work_dir/n$i" \
      --sync batch --log-level warn "${seeds[@]}" "${tls[@]}" "${http[@]}" "${zone[@]}" "$@" \
      2>>"$work_dir/kvnode-n$i.log" &
    pids+=($!)
  done
}

# ring_up PORT COUNT [STATE]: whether the node on PORT sees COUNT nodes, all up (and, with
# STATE, all in that membership state: new nodes join, then turn normal).
ring_up() {
  local tls
  read -r -a tls <<<"$(tls_flags bench)"
  "$bin/kvring" --node "127.0.0.1:$1" --json --timeout-ms 1000 "${tls[@]}" 2>/dev/null |
    python3 -c 'import json,sys; d = json.load(sys.stdin); n = d["nodes"]
ok = all(x["status"] == "up" and sys.argv[2] in ("", x["state"]) for x in n)
sys.exit(0 if len(n) == int(sys.argv[1]) and ok else 1)' "$2" "${3:-}" 2>/dev/null
}

# wait_ring COUNT [STATE]: until every node of node_ports sees COUNT nodes up (and in STATE),
# 60 s at most.
wait_ring() {
  local count=$1 state=${2:-} port all
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    all=1
    for port in "${node_ports[@]}"; do
      ring_up "$port" "$count" "$state" || { all=0; break; }
    done
    ((all)) && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): the $count nodes did not all see each other up within 60 s" >&2
  exit 3
}
