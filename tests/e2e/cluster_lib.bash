# Shared by the e2e scripts that run a cluster of real kvnode processes (sourced after
# node_lib.bash; not a test itself). Node I is "nI", listens on 127.0.0.1 (a free port the first
# time, the same port when restarted), keeps its data in $WORK/nI and its log in $WORK/nI.log,
# and joins through node 1 (a new node is *joining* until it has streamed its ranges, then
# normal: start_member waits for that). Every node is killed by pid on exit.
# CLUSTER_FLAGS: extra kvnode flags for every node (an array; set it before start_member).
# CLUSTER_ZONES: node I's zone is CLUSTER_ZONES[I] (kvnode --zone; unset or empty: none).
# CLUSTER_TLS_DIR: a scripts/make-certs directory holding nI.crt/nI.key (role peer) for every
# node: each node then serves TLS with its own certificate, and the tools here (kvring) use
# KV_TLS_CERT/KV_TLS_KEY/KV_TLS_CA, which the caller points at an admin certificate.

declare -a PIDS PORTS
CLUSTER_FLAGS=(${CLUSTER_FLAGS[@]+"${CLUSTER_FLAGS[@]}"})
declare -a CLUSTER_ZONES

stop_all() {
  for pid in "${PIDS[@]:-}"; do
    if [[ -n "$pid" ]]; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap stop_all EXIT

# start_member I [nowait]: starts node nI (again), waits for its "listening on" line and, unless
# nowait, until it says it is normal (a new node joins first).
start_member() {
  local i=$1 wait=${2:-} log="$WORK/n$1.log" seeds=() tls=() zone=()
  [[ $i -ne 1 ]] && seeds=(--seeds "127.0.0.1:${PORTS[1]}")
  [[ -n ${CLUSTER_ZONES[$i]:-} ]] && zone=(--zone "${CLUSTER_ZONES[$i]}")
  if [[ -n ${CLUSTER_TLS_DIR:-} ]]; then
    tls=(--tls-cert "$CLUSTER_TLS_DIR/n$i.crt" --tls-key "$CLUSTER_TLS_DIR/n$i.key"
      --tls-ca "$CLUSTER_TLS_DIR/ca.crt")
  fi
  # The log is appended to across restarts: only this start's lines say it listens.
  local earlier_lines=0
  [[ -e $log ]] && earlier_lines=$(wc -l < "$log")
  "$KV_BIN/kvnode" --id "n$i" --listen "127.0.0.1:${PORTS[$i]:-0}" --data-dir "$WORK/n$i" \
    "${CLUSTER_FLAGS[@]}" "${seeds[@]}" "${tls[@]}" "${zone[@]}" 2>> "$log" &
  PIDS[$i]=$!
  for _ in $(seq 1 200); do
    line=$(tail -n +$((earlier_lines + 1)) "$log" 2>/dev/null |
      grep -o 'listening on 127.0.0.1:[0-9]*' | tail -n 1 || true)
    if [[ -n $line ]]; then
      PORTS[$i]=${line##*:}
      [[ $wait == nowait ]] || wait_until 60 "n$i is normal" is_normal "$i"
      return 0
    fi
    kill -0 "${PIDS[$i]}" 2>/dev/null || { cat "$log" >&2; fail "n$i exited at start"; }
    sleep 0.05
  done
  fail "n$i did not start listening"
}

# kill_member I: SIGKILL to node nI, and reaps it.
kill_member() {
  kill -9 "${PIDS[$1]}"
  wait "${PIDS[$1]}" 2>/dev/null || true
  PIDS[$1]=""
}

node() { echo "127.0.0.1:${PORTS[$1]}"; }

# ring_field I ID FIELD: FIELD of node ID in node nI's kvring --json ("" when it is not known).
ring_field() {
  "$KV_BIN/kvring" --node "$(node "$1")" --json | python3 -c '
import json, sys
ring = json.load(sys.stdin)
print(next((n[sys.argv[2]] for n in ring["nodes"] if n["id"] == sys.argv[1]), ""))' "$2" "$3"
}

# is_normal I: whether node nI says it is normal (has joined).
is_normal() { [[ "$(ring_field "$1" "n$1" state 2>/dev/null)" == normal ]]; }

# sees I ID up|down: whether node nI's failure detector shows ID so.
sees() { [[ "$(ring_field "$1" "$2" status)" == "$3" ]]; }

# wait_until SECONDS DESCRIPTION CMD...: until CMD succeeds, or fail.
wait_until() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 $((limit * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  fail "not within ${limit}s: $what"
}
