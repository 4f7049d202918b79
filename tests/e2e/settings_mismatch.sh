#!/usr/bin/env bash
# Cluster-wide settings with real processes (issue 17): a node started with another N
# (--replicas 2 for a cluster of N=3) is refused at join — the cluster's node logs the setting
# and both values, the new node logs them too and stays joining, and no node lists it on its
# ring — and a member restarted with another N than it ran with refuses to start (exit 3, the
# setting and both values in its log). The control: the same node with the cluster's settings
# joins.
source "$(dirname "$0")/node_lib.bash"
CLUSTER_FLAGS=(--gossip-interval-ms 200 --ring-delay-ms 400 --sync periodic)
source "$(dirname "$0")/cluster_lib.bash"

start_member 1
start_member 2
wait_until 20 "n1 sees n2 up" sees 1 n2 up

# n3 with --replicas 2: the only difference from the cluster.
saved=("${CLUSTER_FLAGS[@]}")
CLUSTER_FLAGS+=(--replicas 2)
start_member 3 nowait
CLUSTER_FLAGS=("${saved[@]}")
wait_until 20 "n1 logs the refusal of n3" \
  grep -q "N (--replicas) is 3 here and 2 on node n3" "$WORK/n1.log"
wait_until 20 "n3 logs the refusal of n1" \
  grep -q "N (--replicas) is 2 here and 3 on node n1" "$WORK/n3.log"
[[ -z $(ring_field 1 n3 state) ]] || fail "n1 lists n3: $("$KV_BIN/kvring" --node "$(node 1)")"
[[ -z $(ring_field 2 n3 state) ]] || fail "n2 lists n3: $("$KV_BIN/kvring" --node "$(node 2)")"
[[ $(ring_field 3 n3 state) == joining ]] || fail "n3 is not still joining"
[[ -z $(ring_field 3 n1 state) ]] || fail "n3 took n1 in"
echo "n3 with --replicas 2 refused by an N=3 cluster: $(grep -o 'refused a gossip state of node n3.*' "$WORK/n1.log" | head -n 1)"

# The control: the same node, wiped, with the cluster's settings, joins.
kill_member 3
rm -rf "$WORK/n3"
start_member 3
wait_until 20 "n1 sees n3 up" sees 1 n3 up
echo "n3 with the cluster's settings joined"

# A member restarted with another N than it last ran with refuses to start.
kill_member 2
got=0
"$KV_BIN/kvnode" --id n2 --listen "127.0.0.1:${PORTS[2]}" --data-dir "$WORK/n2" \
  "${CLUSTER_FLAGS[@]}" --seeds "$(node 1)" --replicas 2 2> "$WORK/n2.restart.log" || got=$?
[[ $got -eq 3 ]] || fail "n2 restarted with --replicas 2: exit $got, want 3"
grep -q "N (--replicas) is 2 now and 3 in its last run" "$WORK/n2.restart.log" ||
  fail "no setting named: $(cat "$WORK/n2.restart.log")"
echo "n2 restarted with --replicas 2: exit 3 ($(grep -o 'other cluster settings.*' "$WORK/n2.restart.log" | head -c 160))"
