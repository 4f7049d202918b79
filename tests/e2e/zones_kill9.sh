#!/usr/bin/env bash
# Zones with real processes (issue 16): 6 nodes in 3 zones of 2, N=3, R=W=2. kvring shows each
# node's zone and each replica's. Both nodes of zone a are killed with SIGKILL: every key still
# reads at R=2 and writes at W=2 (each key has one replica per zone). Zone a restarts; once its
# hints are handed off and kvrepair has run, each zone alone (the other two killed) answers every
# key's latest value at R=1: every key has a copy in each zone.
# KV_ZONES=off runs the positive control: the same nodes without --zone (plain ring order) and
# the same kill; it expects some keys unreadable at R=2, and stops there.
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_ZONES_KEYS:-60}
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 1000 --anti-entropy-interval-s 0)
source "$(dirname "$0")/cluster_lib.bash"
if [[ ${KV_ZONES:-on} == on ]]; then
  CLUSTER_ZONES=([1]=a [2]=a [3]=b [4]=b [5]=c [6]=c)
fi
declare -A ZONE_NODES=([a]="1 2" [b]="3 4" [c]="5 6")

all_up() { for j in 1 2 3 4 5 6; do sees "$1" "n$j" up || return 1; done; }
hints_drained() {
  for i in 1 2 3 4 5 6; do
    "$KV_BIN/kvring" --node "$(node "$i")" --json | python3 -c '
import json, sys
sys.exit(any(n["hints_pending"] for n in json.load(sys.stdin)["nodes"]))' || return 1
  done
}
via() { node $((3 + $1 % 4)); }  # a live node (n3..n6) to coordinate key k

for i in 1 2 3 4 5 6; do start_member "$i"; done
for i in 1 2 3 4 5 6; do wait_until 30 "n$i sees every node up" all_up "$i"; done

if [[ ${KV_ZONES:-on} == on ]]; then
  "$KV_BIN/kvring" --node "$(node 1)" | grep -q ' ZONE ' || fail "kvring shows no ZONE column"
  [[ "$(ring_field 1 n4 zone)" == b ]] || fail "kvring --json: n4's zone is not b"
  zones=$("$KV_BIN/kvring" --node "$(node 1)" --key probe --json |
    python3 -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["zones"])))')
  [[ "$zones" == "a b c" ]] || fail "kvring --key: the replicas' zones are '$zones', not a b c"
fi

for k in $(seq 1 "$KEYS"); do
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" "key$k" "v1-$k" || fail "put key$k"
done

kill_member 1
kill_member 2
for i in 3 4 5 6; do
  wait_until 20 "n$i sees n1 down" sees "$i" n1 down
  wait_until 20 "n$i sees n2 down" sees "$i" n2 down
done

if [[ ${KV_ZONES:-on} == off ]]; then
  unreadable=0
  for k in $(seq 1 "$KEYS"); do
    "$KV_BIN/kvget" --node "$(via "$k")" --r 2 "key$k" > /dev/null 2>&1 || unreadable=$((unreadable + 1))
  done
  echo "positive control (no zones): n1 and n2 killed: $unreadable of $KEYS keys unreadable at R=2"
  [[ $unreadable -gt 0 ]] || fail "without zones every key was still readable at R=2"
  exit 0
fi

for k in $(seq 1 "$KEYS"); do
  got=$("$KV_BIN/kvget" --node "$(via "$k")" --r 2 "key$k") || fail "zone a down: get key$k at R=2"
  [[ "$got" == "v1-$k" ]] || fail "zone a down: read '$got' for key$k"
  "$KV_BIN/kvput" --quiet --node "$(via $((k + 1)))" --r 2 --w 2 "key$k" "v2-$k" ||
    fail "zone a down: put key$k at R=W=2"
done
echo "zone a (n1, n2) killed with SIGKILL: all $KEYS keys read at R=2 and written at W=2"

start_member 1
start_member 2
for i in 1 2 3 4 5 6; do wait_until 30 "n$i sees every node up" all_up "$i"; done
wait_until 60 "every hint is handed off" hints_drained
for i in 1 2 3 4 5 6; do
  "$KV_BIN/kvrepair" --node "$(node "$i")" > /dev/null || fail "kvrepair on n$i"
done
echo "zone a back: hints handed off, kvrepair run on every node"

# Each zone alone: the other four nodes killed, the zone's first node coordinates at R=1.
for zone in a b c; do
  for i in 1 2 3 4 5 6; do
    [[ " ${ZONE_NODES[$zone]} " == *" $i "* ]] || kill_member "$i"
  done
  first=${ZONE_NODES[$zone]%% *}
  for k in $(seq 1 "$KEYS"); do
    got=$("$KV_BIN/kvget" --node "$(node "$first")" --r 1 "key$k") ||
      fail "zone $zone alone: no copy of key$k"
    [[ "$got" == "v2-$k" ]] || fail "zone $zone alone: read '$got' for key$k"
  done
  echo "zone $zone alone answered all $KEYS keys with their latest value"
  for i in 1 2 3 4 5 6; do [[ -n ${PIDS[$i]} ]] || start_member "$i"; done
done
