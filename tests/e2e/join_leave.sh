#!/usr/bin/env bash
# Joining and leaving with real processes: three nodes hold keys; a fourth starts with --seeds and
# kvring shows it joining, then normal once it has streamed its ranges, while clients update the
# keys; then `kvring leave` makes n2 leave: it streams its ranges to their new owners, kvring
# shows it left, and its kvnode exits 0 (and refuses to start again on that data directory).
# Between the two, `kvring cleanup` on n1 and n3 removes the keys they gave up to n4 and gives
# their disk back (it rewrites the tables; n1 then gets some keys back from n2's leave, which the
# final check covers).
# In the final ring of three (N=3) every node must hold every key with the value the cluster
# reads (each node asked alone, R=1, answers from its own copy). Also: a leave that would leave
# fewer than N nodes is refused (exit 2).
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_JOIN_KEYS:-300}
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --ring-delay-ms 1000)
source "$(dirname "$0")/cluster_lib.bash"

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# key I: the key kvbench writes for index I (I zero-padded to 15 digits, then '0').
key() { printf '%015d0' "$1"; }
state_is() { [[ "$(ring_field "$1" "$2" state 2>/dev/null)" == "$3" ]]; }

start_member 1
start_member 2
start_member 3
for i in 1 2 3; do wait_until 20 "n$i sees n1..n3 up" sees "$i" n3 up; done
out=$("$KV_BIN/kvbench" net --node "$(node 1)" --workload put --num "$KEYS" --concurrency 8 \
  --json) || fail "kvbench put: $out"
echo "$KEYS keys written to n1..n3"

# n4 joins, with a longer ring delay so that kvring can see it joining; clients keep updating.
"$KV_BIN/kvbench" net --node "$(node 1)" --workload a --keys "$KEYS" --num 2000 --concurrency 4 \
  --json > "$WORK/during.json" 2> "$WORK/during.err" &
bench=$!
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --ring-delay-ms 3000)
start_member 4 nowait
wait_until 10 "n4 says it is joining" state_is 4 n4 joining
wait_until 10 "n1 sees n4 joining" state_is 1 n4 joining
echo "n4 is joining"
wait_until 60 "n4 is normal" state_is 4 n4 normal
for i in 1 2 3; do wait_until 20 "n$i sees n4 normal" state_is "$i" n4 normal; done
grep -q 'joined:' "$WORK/n4.log" || fail "n4 did not log its join"
echo "n4 joined: $(grep -o 'joined:.*' "$WORK/n4.log")"
wait "$bench" || fail "updates during the join failed: $(cat "$WORK/during.err")"

# n1 and n3 gave up about a quarter of the keys to n4: cleanup removes their copies.
# Refused (exit 3, "not settled") until the ring has not changed for the ring delay.
cleanup_accepted() {
  out=$("$KV_BIN/kvring" --node "$(node "$1")" cleanup --json 2>&1) && return 0
  [[ $out == *"not settled"* ]] || fail "kvring cleanup on n$1: $out"
  return 1
}
for i in 1 3; do
  wait_until 20 "cleanup accepted on n$i" cleanup_accepted "$i"
  [[ $(field "$out" state) == done ]] || fail "kvring cleanup on n$i: $out"
  removed=$(field "$out" keys_removed)
  (( removed > 0 && removed < KEYS )) || fail "n$i removed $removed of $KEYS keys: $out"
  # The tables were rewritten without them: their disk is back when the cleanup ends.
  given=$(field "$out" bytes_given_back)
  (( given > 0 )) || fail "n$i gave no disk back: $out"
  echo "kvring cleanup on n$i: $out"
done

# Leave refused from the start? Not with four nodes: n2 leaves, kvring waits for it.
out=$("$KV_BIN/kvring" --node "$(node 2)" leave --json) || fail "kvring leave exited $?: $out"
[[ $(field "$out" state) == left ]] || fail "kvring leave: $out"
echo "kvring leave: $out"
status=0
wait "${PIDS[2]}" || status=$?
PIDS[2]=""
[[ $status -eq 0 ]] || fail "n2 exited $status after leaving"
grep -q 'left the cluster' "$WORK/n2.log" || fail "n2 did not log that it left"
for i in 1 3 4; do wait_until 20 "n$i sees n2 left" state_is "$i" n2 left; done
"$KV_BIN/kvring" --node "$(node 1)"

# A node that has left does not come back on its old data directory.
expect_status 3 "n2 restarted on its data after leaving" "$KV_BIN/kvnode" --id n2 \
  --listen 127.0.0.1:0 --data-dir "$WORK/n2" --seeds "$(node 1)"
grep -q 'has left the cluster' "$WORK/err" || fail "no reason given: $(cat "$WORK/err")"

# Three nodes at N=3: each must hold every key, with the value the cluster reads. Each node is
# read alone (R=1 through a replica answers from its own copy) while the others are stopped
# (SIGSTOP), so no read repair can fill in a copy before it is checked.
for n in 1 3 4; do
  others=()
  for o in 1 3 4; do [[ $o -ne $n ]] && others+=("${PIDS[$o]}"); done
  kill -STOP "${others[@]}"
  mkdir -p "$WORK/got$n"
  for i in $(seq 0 $((KEYS - 1))); do
    got=0
    "$KV_BIN/kvget" --node "$(node "$n")" --r 1 --json "$(key "$i")" > "$WORK/got$n/$i" \
      2>/dev/null || got=$?
    # 4: siblings, which concurrent updates may leave; the same set must be everywhere.
    [[ $got -eq 0 || $got -eq 4 ]] || { kill -CONT "${others[@]}"; fail "n$n misses $(key "$i")"; }
  done
  kill -CONT "${others[@]}"
done
mkdir -p "$WORK/want"
for i in $(seq 0 $((KEYS - 1))); do
  got=0
  "$KV_BIN/kvget" --node "$(node 1)" --r 3 --json "$(key "$i")" > "$WORK/want/$i" \
    2>/dev/null || got=$?
  [[ $got -eq 0 || $got -eq 4 ]] || fail "get $(key "$i") at R=3: exit $got"
done
for n in 1 3 4; do
  diff -rq "$WORK/want" "$WORK/got$n" > "$WORK/diff" ||
    fail "n$n differs from the cluster: $(head -n 3 "$WORK/diff")"
done
echo "every key on n1, n3 and n4 (the final ring) with the cluster's value"

# One more leave would leave two nodes for N=3.
expect_status 2 "a leave below N nodes" "$KV_BIN/kvring" --node "$(node 1)" leave
grep -q 'add a node first' "$WORK/err" || fail "no reason given: $(cat "$WORK/err")"
echo "a leave below N nodes is refused"
