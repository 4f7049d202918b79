#!/usr/bin/env bash
# The nemesis: a Jepsen-style fault test of a real cluster of kvnode processes. Clients keep
# add-only sets per key by read-modify-write with contexts (kv_nemesis_client run) while faults
# are injected one after another: kill -9 and restart on the same address and data directory,
# SIGSTOP then SIGCONT, and network partitions (one node isolated, majority/minority, a bridge)
# made with iptables inside one network namespace per node. Then everything is healed, the
# cluster is given a few seconds to settle, and kv_nemesis_client check reads every key at R = N
# and prints attempted, acknowledged, lost, unexpected, recovered and availability.
#
#   tests/nemesis/nemesis.sh [--seconds S] [--nodes 3|5] [--faults kill,stop,partition]
#                            [--control] [--keys K] [--clients C] [--seed N] [--keep] [--tls]
#
# --tls (or KV_NEMESIS_TLS=1) runs the cluster secured: certificates from scripts/make-certs, each
# node with its own (role peer), the clients and kvring with an admin one.
# --control is the positive control: clients resolve siblings by last-write-wins instead of
# their union, on few keys, without faults unless --faults is given; it passes only when the
# checker reports lost > 0. Partitions need root, ip netns and iptables; without them the
# partition faults are skipped with a line saying why (tests/replication covers partitions in the
# simulated network). Every process is stopped by its pid and every namespace removed on exit.
# Needs KV_BIN (the directory of kvnode and kvring; kv_nemesis_client is in $KV_BIN/../tests),
# else uses build/bin of the repository. Exit 0 when the verdict is PASS.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin  # ip and iptables, for a user whose PATH lacks them

here=$(cd "$(dirname "$0")" && pwd)
KV_BIN=${KV_BIN:-$here/../../build/bin}
CLIENT="$KV_BIN/../tests/kv_nemesis_client"

run_seconds=60
nodes=3
faults=""
faults_given=0
control=0
keys=""
clients=""
seed=${RANDOM}
keep=0
tls=${KV_NEMESIS_TLS:-0}
settle=5
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) run_seconds=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    --nodes) nodes=$2; shift 2 ;;
    --faults) faults=$2; faults_given=1; shift 2 ;;
    --control) control=1; shift ;;
    --keys) keys=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "nemesis: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $nodes == 3 || $nodes == 5 ]] || { echo "nemesis: --nodes is 3 or 5" >&2; exit 2; }
[[ $run_seconds =~ ^[0-9]+$ && $run_seconds -ge 5 ]] || { echo "nemesis: --seconds >= 5" >&2; exit 2; }
for p in kvnode kvring; do
  [[ -x "$KV_BIN/$p" ]] || { echo "nemesis: missing $KV_BIN/$p (set KV_BIN)" >&2; exit 2; }
done
[[ -x "$CLIENT" ]] || { echo "nemesis: missing $CLIENT (build kv_nemesis_client)" >&2; exit 2; }

if [[ $control == 1 ]]; then
  resolve=lww
  [[ $faults_given == 1 ]] || faults=""
  keys=${keys:-2}
  clients=${clients:-8}
else
  resolve=union
  [[ $faults_given == 1 ]] || faults=kill,stop,partition
  keys=${keys:-$((8 + run_seconds / 20))}
  clients=${clients:-$((2 * nodes))}
fi
replicas=3
RANDOM=$seed

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kv-nemesis.XXXXXX")
declare -a PIDS ADDRS NS
CLIENT_PID=""
HUB=""
NETNS=0
ns_prefix="kvnm$$"

log() { printf '[%6.1fs] %s\n' "$(($(date +%s%3N) - T0))e-3" "$*"; }
T0=$(date +%s%3N)

cleanup() {
  local status=$?
  [[ -n "$CLIENT_PID" ]] && { kill -9 "$CLIENT_PID" 2>/dev/null || true; wait "$CLIENT_PID" 2>/dev/null || true; }
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] || continue
    kill -CONT "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $NETNS == 1 ]]; then
    for ns in "${NS[@]:-}"; do [[ -n "$ns" ]] && ip netns del "$ns" 2>/dev/null || true; done
    [[ -n "$HUB" ]] && ip netns del "$HUB" 2>/dev/null || true
  fi
  if [[ $keep == 1 || $status -ne 0 ]]; then
    echo "nemesis: logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- where the nodes run: a network namespace each, or 127.0.0.1 ------------------------------

# Why partitions cannot be made here, or nothing when they can.
partition_blocker() {
  [[ $(id -u) -eq 0 ]] || { echo "not root"; return; }
  command -v ip >/dev/null || { echo "no ip command (install iproute2)"; return; }
  command -v iptables >/dev/null || { echo "no iptables command (install iptables)"; return; }
  local probe="${ns_prefix}p"
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "ip netns add failed (no CAP_SYS_ADMIN?)"
    return
  fi
  local why=""
  ip netns exec "$probe" iptables -A INPUT -s 10.77.0.1 -j DROP 2>/dev/null \
    && ip netns exec "$probe" iptables -F 2>/dev/null || why="iptables does not work in a namespace"
  ip netns del "$probe" 2>/dev/null || true
  echo "$why"
}

in_client=()
in_node() { if [[ $NETNS == 1 ]]; then echo "ip netns exec ${NS[$1]}"; fi; }

if [[ ",$faults," == *,partition,* ]]; then
  blocker=$(partition_blocker)
  if [[ -n "$blocker" ]]; then
    echo "partition faults skipped: $blocker"
    faults=$(echo ",$faults," | sed 's/,partition,/,/; s/^,//; s/,$//')
  else
    NETNS=1
  fi
fi

if [[ $NETNS == 1 ]]; then
  # A hub namespace holds a bridge; each node's namespace has a veth to it and 10.77.0.I. The
  # clients and the checker run in the hub (10.77.0.254) and reach every node whatever the
  # partition: like Jepsen's clients, only the nodes are cut from one another.
  HUB="${ns_prefix}h"
  ip netns add "$HUB"
  ip -n "$HUB" link set lo up
  ip -n "$HUB" link add br0 type bridge
  ip -n "$HUB" addr add 10.77.0.254/24 dev br0
  ip -n "$HUB" link set br0 up
  for i in $(seq 1 "$nodes"); do
    NS[$i]="${ns_prefix}n$i"
    ip netns add "${NS[$i]}"
    ip -n "${NS[$i]}" link set lo up
    ip -n "$HUB" link add "v$i" type veth peer name eth0 netns "${NS[$i]}"
    ip -n "$HUB" link set "v$i" master br0
    ip -n "$HUB" link set "v$i" up
    ip -n "${NS[$i]}" addr add "10.77.0.$i/24" dev eth0
    ip -n "${NS[$i]}" link set eth0 up
    ADDRS[$i]="10.77.0.$i:7000"
  done
  in_client=(ip netns exec "$HUB")
  echo "network: namespaces ${ns_prefix}n1..$nodes on a bridge in ${HUB}; clients in ${HUB}"
else
  for i in $(seq 1 "$nodes"); do ADDRS[$i]="127.0.0.1:0"; done
  echo "network: every node on 127.0.0.1"
fi

# --- nodes ------------------------------------------------------------------------------------

# With --tls, every node has a certificate of its own and the clients and kvring an admin one.
# Without it the nodes run --insecure: their 10.77.0.x addresses live in this test's own network
# namespaces, which nothing outside reaches.
TLS_DIR=""
if [[ $tls == 1 ]]; then
  TLS_DIR="$WORK/certs"
  names=()
  for i in $(seq 1 "$nodes"); do names+=("n$i:peer"); done
  "$here/../../scripts/make-certs" "$TLS_DIR" "${names[@]}" nemesis:admin >/dev/null
  export KV_TLS_CERT="$TLS_DIR/nemesis.crt" KV_TLS_KEY="$TLS_DIR/nemesis.key"
  export KV_TLS_CA="$TLS_DIR/ca.crt"
  echo "tls: every connection is mutual TLS (certificates in $TLS_DIR)"
fi

# start_node I: starts node nI on its address and data directory (again, after a kill) and waits
# for its "listening on" line; on 127.0.0.1 the first start picks the port that restarts reuse.
start_node() {
  local i=$1 logf="$WORK/n$i.log" seeds="" before
  for j in $(seq 1 "$nodes"); do
    [[ $j -ne $i && ${ADDRS[$j]} != *:0 ]] && seeds+="${seeds:+,}${ADDRS[$j]}"
  done
  before=$(grep -c 'listening on' "$logf" 2>/dev/null || true)
  # shellcheck disable=SC2046
  $(in_node "$i") "$KV_BIN/kvnode" --id "n$i" --listen "${ADDRS[$i]}" --data-dir "$WORK/n$i" \
    ${seeds:+--seeds "$seeds"} --replicas "$replicas" --read-quorum 2 --write-quorum 2 \
    --request-timeout-ms 1000 --gossip-interval-ms 200 ${TLS_DIR:+--tls-cert "$TLS_DIR/n$i.crt"} \
    ${TLS_DIR:+--tls-key "$TLS_DIR/n$i.key" --tls-ca "$TLS_DIR/ca.crt"} \
    $([[ -n $TLS_DIR ]] || echo --insecure) 2>> "$logf" &
  PIDS[$i]=$!
  for _ in $(seq 1 400); do
    if [[ $(grep -c 'listening on' "$logf" 2>/dev/null || true) -gt ${before:-0} ]]; then
      local line
      line=$(grep -o 'listening on [0-9.]*:[0-9]*' "$logf" | tail -n 1)
      ADDRS[$i]=${line#listening on }
      return 0
    fi
    kill -0 "${PIDS[$i]}" 2>/dev/null || { tail -n 20 "$logf" >&2; echo "nemesis: n$i exited at start" >&2; exit 1; }
    sleep 0.05
  done
  echo "nemesis: n$i did not start listening" >&2
  exit 1
}

up_count() {
  "${in_client[@]}" "$KV_BIN/kvring" --node "${ADDRS[$1]}" --json 2>/dev/null \
    | grep -o '"status":"up","state":"normal"' | wc -l
}
# wait_all_up SECONDS: until every node sees every node up and normal (new nodes join first).
wait_all_up() {
  local deadline=$(($(date +%s) + $1))
  for i in $(seq 1 "$nodes"); do
    while [[ $(up_count "$i") -ne $nodes ]]; do
      if [[ $(date +%s) -gt $deadline ]]; then
        "${in_client[@]}" "$KV_BIN/kvring" --node "${ADDRS[$i]}" >&2 || true
        echo "nemesis: n$i does not see $nodes nodes up" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}

for i in $(seq 1 "$nodes"); do start_node "$i"; done
wait_all_up 30
all_nodes=$(IFS=,; echo "${ADDRS[*]:1}")
echo "cluster: $nodes nodes up at $all_nodes (N=$replicas R=2 W=2); $clients clients on $keys keys" \
  "for ${run_seconds}s, resolve=$resolve, faults=${faults:-none}, seed=$seed"

# --- faults -----------------------------------------------------------------------------------

FAULTS_FILE="$WORK/faults"
: > "$FAULTS_FILE"

# cut X Y: nodes X and Y drop each other's packets, both ways, in both namespaces.
cut() {
  local x=$1 y=$2
  for pair in "$x $y" "$y $x"; do
    set -- $pair
    ip netns exec "${NS[$1]}" iptables -A INPUT -s "10.77.0.$2" -j DROP
    ip netns exec "${NS[$1]}" iptables -A OUTPUT -d "10.77.0.$2" -j DROP
  done
}
heal_network() {
  [[ $NETNS == 1 ]] || return 0
  for i in $(seq 1 "$nodes"); do ip netns exec "${NS[$i]}" iptables -F; done
}
# partition_groups "A B" "C D E": every node of one group cut from every node of the other.
partition_groups() {
  for x in $1; do for y in $2; do cut "$x" "$y"; done; done
}
# shuffle_nodes: ORDER becomes 1..nodes in a random order (from $RANDOM, so --seed repeats it).
shuffle_nodes() {
  ORDER=($(seq 1 "$nodes"))
  local i j t
  for ((i = nodes - 1; i > 0; i--)); do
    j=$((RANDOM % (i + 1)))
    t=${ORDER[$i]}
    ORDER[$i]=${ORDER[$j]}
    ORDER[$j]=$t
  done
}

# inject KIND HOLD: one fault of KIND for about HOLD seconds, healed before returning; appends
# its window to $FAULTS_FILE.
inject() {
  local kind=$1 hold=$2 start end what
  shuffle_nodes
  local -a order=("${ORDER[@]}")
  local i=${order[0]}
  start=$(date +%s%3N)
  case $kind in
    kill)
      what="kill -9 n$i, restart after ${hold}s"
      log "$what"
      kill -9 "${PIDS[$i]}"
      wait "${PIDS[$i]}" 2>/dev/null || true
      sleep "$hold"
      start_node "$i"
      ;;
    stop)
      what="SIGSTOP n$i for ${hold}s"
      log "$what"
      kill -STOP "${PIDS[$i]}"
      sleep "$hold"
      kill -CONT "${PIDS[$i]}"
      ;;
    partition)
      local variant=$((RANDOM % 3)) a b
      case $variant in
        0)
          a="$i"
          b="${order[*]:1}"
          what="partition: n$i isolated"
          ;;
        1)
          local minority=$(((nodes - 1) / 2))
          a="${order[*]:0:$minority}"
          b="${order[*]:$minority}"
          what="partition: minority {$a} | majority {$b}"
          ;;
        2)
          # A bridge: two halves that cannot see each other, and one node that sees both.
          local half=$(((nodes - 1) / 2))
          a="${order[*]:0:$half}"
          b="${order[*]:$((half + 1))}"
          what="partition: bridge {$a} | {$b}, n${order[$half]} sees both"
          ;;
      esac
      log "$what for ${hold}s"
      partition_groups "$a" "$b"
      sleep "$hold"
      heal_network
      ;;
  esac
  end=$(date +%s%3N)
  echo "$start $end $kind $what" >> "$FAULTS_FILE"
  log "healed: $kind"
}

# --- the run ----------------------------------------------------------------------------------

OPS_LOG="$WORK/ops.log"
"${in_client[@]}" "$CLIENT" run --nodes "$all_nodes" --keys "$keys" --seconds "$run_seconds" \
  --clients "$clients" --log "$OPS_LOG" --resolve "$resolve" --seed "$seed" \
  2> "$WORK/client.err" &
CLIENT_PID=$!
run_end=$(($(date +%s) + run_seconds))

IFS=, read -r -a kinds <<< "$faults"
if [[ ${#kinds[@]} -gt 0 ]]; then
  sleep 3
  k=0
  # Faults one after another, each kind in turn, until 5 s before the clients stop: the end of
  # the run is quiet, so the cluster is whole again when the clients finish.
  while :; do
    hold=$((3 + RANDOM % 6))
    [[ $(($(date +%s) + hold + 5)) -lt $run_end ]] || break
    inject "${kinds[$((k % ${#kinds[@]}))]}" "$hold"
    k=$((k + 1))
    sleep $((2 + RANDOM % 3))
  done
fi
wait "$CLIENT_PID" || { cat "$WORK/client.err" >&2; echo "nemesis: the clients failed" >&2; exit 1; }
CLIENT_PID=""
cat "$WORK/client.err"

# --- heal, settle, check ----------------------------------------------------------------------

heal_network
for i in $(seq 1 "$nodes"); do
  kill -CONT "${PIDS[$i]}" 2>/dev/null || true
  kill -0 "${PIDS[$i]}" 2>/dev/null || start_node "$i"
done
wait_all_up 60
log "healed; settling ${settle}s before the check"
sleep "$settle"

check_args=(--nodes "$all_nodes" --log "$OPS_LOG" --faults "$FAULTS_FILE" --r "$replicas")
[[ $control == 1 ]] && check_args+=(--expect-loss)
title="nemesis: $nodes nodes, ${run_seconds}s, $clients clients, $keys keys, resolve=$resolve,"
title+=" faults=${faults:-none} ($(wc -l < "$FAULTS_FILE") injected), seed=$seed"
# KV_NEMESIS_JSON=FILE: the verdict as JSON there too (the CI test reads it).
[[ -n ${KV_NEMESIS_JSON:-} ]] && check_args+=(--json-out "$KV_NEMESIS_JSON")
verdict=0
"${in_client[@]}" "$CLIENT" check "${check_args[@]}" --title "$title" || verdict=$?
exit "$verdict"
