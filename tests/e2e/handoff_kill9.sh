#!/usr/bin/env bash
# Hinted handoff with real processes: with one node of three down, writes at W=2 still succeed
# and the coordinator keeps a hint for the missing copy; the node holding the hints is killed
# with SIGKILL and restarted; when the down node returns the hints reach it, and it alone then
# answers every key. Also times the figures of docs/benchmarks.md when KV_HANDOFF_KEYS is large.
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_HANDOFF_KEYS:-300}
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 1000)
source "$(dirname "$0")/cluster_lib.bash"

hints_are() { [[ "$(ring_field "$1" "$2" hints_pending)" == "$3" ]]; }

start_member 1
start_member 2
start_member 3
for i in 1 2 3; do wait_until 20 "n$i sees n1..n3 up" sees "$i" n3 up; done

kill_member 3
wait_until 20 "n1 sees n3 down" sees 1 n3 down
start=$(date +%s.%N)
for k in $(seq 1 "$KEYS"); do
  "$KV_BIN/kvput" --quiet --node "$(node 1)" "key$k" "value$k" || fail "put key$k with n3 down"
done
write_s=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
wait_until 20 "n1 holds a hint for each of the $KEYS writes" hints_are 1 n3 "$KEYS"
echo "n3 down: $KEYS writes at W=2 in ${write_s}s; n1 holds $KEYS hints for n3"

# The node holding the hints dies and comes back: they are still there.
kill_member 1
start_member 1
wait_until 20 "restarted n1 sees n2 up" sees 1 n2 up
hints_are 1 n3 "$KEYS" || fail "n1 lost hints in kill -9: $(ring_field 1 n3 hints_pending) left"
echo "n1 killed with SIGKILL and restarted: $KEYS hints for n3 still pending"

start_member 3
start=$(date +%s.%N)
wait_until 60 "n1 hands its hints to n3" hints_are 1 n3 0
handoff_s=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
echo "n3 back: $KEYS hints handed off within ${handoff_s}s of its restart"

# n3 alone (R=1, its own copy) has every key.
kill_member 1
kill_member 2
for k in $(seq 1 "$KEYS"); do
  got=$("$KV_BIN/kvget" --node "$(node 3)" --r 1 "key$k") || fail "n3 alone misses key$k"
  [[ "$got" == "value$k" ]] || fail "n3 alone read '$got' for key$k"
done
echo "n1 and n2 killed: n3 alone answered all $KEYS keys"
