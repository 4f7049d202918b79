#!/usr/bin/env bash
# Three real kvnode processes on 127.0.0.1 formed by --seeds: a put on one node is read from
# another; one node is killed with SIGKILL and reads and writes go on at R=W=2; it restarts with
# its data and serves the keys it had; kvring shows the membership throughout.
source "$(dirname "$0")/node_lib.bash"

CLUSTER_FLAGS=(--gossip-interval-ms 200)
source "$(dirname "$0")/cluster_lib.bash"

# up_count NODE: how many nodes NODE's kvring shows up.
up_count() {
  "$KV_BIN/kvring" --node "$(node "$1")" --json | grep -o '"status":"up"' | wc -l
}
wait_for_up() {
  local at=$1 want=$2
  for _ in $(seq 1 150); do
    [[ $(up_count "$at") -eq $want ]] && return 0
    sleep 0.1
  done
  "$KV_BIN/kvring" --node "$(node "$at")" >&2 || true
  fail "n$at does not see $want nodes up"
}

start_member 1
start_member 2
start_member 3
for i in 1 2 3; do wait_for_up "$i" 3; done
echo "three nodes up: ports ${PORTS[1]} ${PORTS[2]} ${PORTS[3]}"
"$KV_BIN/kvring" --node "$(node 1)"

# Written on one node, read on each of the others.
for k in $(seq 1 50); do
  "$KV_BIN/kvput" --quiet --node "$(node $((k % 3 + 1)))" "key$k" "value$k" || fail "put key$k"
done
for k in $(seq 1 50); do
  got=$("$KV_BIN/kvget" --node "$(node $(((k + 1) % 3 + 1)))" "key$k") || fail "get key$k"
  [[ "$got" == "value$k" ]] || fail "key$k read '$got'"
done
echo "50 keys written through every node and read through another"

# kill -9 node 3: R=W=2 keep working through nodes 1 and 2.
kill_member 3
for k in $(seq 51 80); do
  "$KV_BIN/kvput" --quiet --node "$(node $((k % 2 + 1)))" "key$k" "value$k" \
    || fail "put key$k with n3 killed"
done
for k in $(seq 1 80); do
  got=$("$KV_BIN/kvget" --node "$(node $((k % 2 + 1)))" "key$k") || fail "get key$k with n3 killed"
  [[ "$got" == "value$k" ]] || fail "key$k read '$got' with n3 killed"
done
# Both survivors must be needed: W=3 cannot be met.
expect_status 3 "put at W=3 with a node down" "$KV_BIN/kvput" --node "$(node 1)" --w 3 k v
grep -q "2 of 3 replicas acknowledged" "$WORK/err" || fail "W=3 message: $(cat "$WORK/err")"
# kvput reads first: a read quorum it cannot meet writes nothing, exit 3 as kvget's, and the
# message suggests --blind.
"$KV_BIN/kvput" --quiet --node "$(node 1)" rk before || fail "put rk with n3 killed"
expect_status 3 "get at R=3 with a node down" "$KV_BIN/kvget" --node "$(node 1)" --r 3 rk
expect_status 3 "put after a read at R=3 with a node down" "$KV_BIN/kvput" --node "$(node 1)" --r 3 rk after
grep -q "reading rk before writing it failed" "$WORK/err" || fail "read quorum message: $(cat "$WORK/err")"
grep -q -- "--blind" "$WORK/err" || fail "no --blind hint: $(cat "$WORK/err")"
[[ $("$KV_BIN/kvget" --node "$(node 1)" rk) == before ]] || fail "a put whose read failed wrote"
wait_for_up 1 2
echo "n3 killed: 30 more puts and 80 gets at R=W=2 served; W=3 refused (exit 3)"

# Restart n3 on its port with its data: it serves, alone (R=1 answers from its own copy), the
# keys it held before the kill.
start_member 3
wait_for_up 1 3
missing=0
for k in $(seq 1 50); do
  got=$("$KV_BIN/kvget" --node "$(node 3)" --r 1 "key$k") || { missing=$((missing + 1)); continue; }
  [[ "$got" == "value$k" ]] || fail "n3 returned '$got' for key$k"
done
[[ $missing -eq 0 ]] || fail "n3 lost $missing of the 50 keys it held before kill -9"
# And at R=2 it coordinates reads of everything, the keys it missed included.
for k in $(seq 1 80); do
  got=$("$KV_BIN/kvget" --node "$(node 3)" "key$k") || fail "get key$k via restarted n3"
  [[ "$got" == "value$k" ]] || fail "key$k read '$got' via n3"
done
grep -q "generation" "$WORK/n1.log" || fail "n1 did not log n3's restart"
echo "n3 restarted: its 50 keys read back from it alone, all 80 through it"
