#!/usr/bin/env bash
# kvring remove with real processes (issue 17): four nodes, N=3, keys written at W=3. Removing
# n4 while it is up is refused (exit 2). n4 is then killed with SIGKILL for good: kvrepair on n1
# cannot converge (exit 3) while n4 is in the ring. `kvring remove n4 --node n1 --json` takes it
# out and streams its ranges to their new owners; afterwards every remaining node shows n4 left,
# each one alone (the other two stopped with SIGSTOP) answers every key at R=1 with the value
# acknowledged for it, and kvrepair exits 0 on each.
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_REMOVE_KEYS:-2000}
WRITER="$KV_BIN/../tests/kv_crash_writer"
[[ -x "$WRITER" ]] || fail "missing $WRITER (build the kv_crash_writer target)"
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --sync periodic)
source "$(dirname "$0")/cluster_lib.bash"

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
all_up() {
  local i j
  for i in "$@"; do for j in "$@"; do sees "$i" "n$j" up || return 1; done; done
}

for i in 1 2 3 4; do start_member "$i"; done
wait_until 30 "every node sees every node up" all_up 1 2 3 4
"$WRITER" fill --node "$(node 1)" --log "$WORK/acks" --keys "$KEYS" --threads 8 --w 3 ||
  fail "kv_crash_writer fill exited $?"
want="keys=$KEYS acknowledged=$KEYS missing=0 wrong=0"

# A node that is up is never removed (it leaves with kvring leave).
expect_status 2 "kvring remove of a live node" "$KV_BIN/kvring" remove n4 --node "$(node 1)"
grep -q "node n4 is up" "$WORK/err" || fail "refusal without its reason: $(cat "$WORK/err")"
[[ $(ring_field 1 n4 state) == normal ]] || fail "n4 is not normal after a refused remove"
echo "removing n4 while it is up: refused ($(head -n 1 "$WORK/err" | head -c 120))"

kill_member 4
for i in 1 2 3; do wait_until 30 "n$i sees n4 down" sees "$i" n4 down; done
expect_status 3 "kvrepair on n1 with n4 dead" "$KV_BIN/kvrepair" --node "$(node 1)"
echo "n4 killed for good: kvrepair on n1 exits 3"

out=$("$KV_BIN/kvring" remove n4 --node "$(node 1)" --json 2> "$WORK/remove.err") ||
  fail "kvring remove exited $? (stderr: $(cat "$WORK/remove.err"); stdout: $out)"
[[ $(field "$out" removed) == n4 ]] || fail "remove: $out"
[[ $(field "$out" converged) == True ]] || fail "remove did not converge: $out"
(($(field "$out" keys_streamed) > 0)) || fail "nothing streamed: $out"
echo "kvring remove n4: $out"
for i in 1 2 3; do
  state=$(ring_field "$i" n4 state)
  [[ $state == left || -z $state ]] || fail "n$i shows n4 $state"
done

# Each remaining node alone, the other two stopped, holds every key: N=3 copies again.
for i in 1 2 3; do
  for j in 1 2 3; do if ((j != i)); then kill -STOP "${PIDS[$j]}"; fi; done
  status=0
  check=$("$WRITER" check --node "$(node "$i")" --log "$WORK/acks" --r 1 2>"$WORK/check.err") ||
    status=$?
  for j in 1 2 3; do if ((j != i)); then kill -CONT "${PIDS[$j]}"; fi; done
  ((status == 0)) || fail "check on n$i alone: $check $(head -n 5 "$WORK/check.err")"
  [[ $check == "$want" ]] || fail "check on n$i alone: $check"
  echo "n$i alone answered all $KEYS keys at R=1"
done

wait_until 30 "every node sees the others up again" all_up 1 2 3
for i in 1 2 3; do
  out=$("$KV_BIN/kvrepair" --node "$(node "$i")" --json 2> "$WORK/repair.err") ||
    fail "kvrepair on n$i exited $?: $out $(cat "$WORK/repair.err")"
  [[ $(field "$out" converged) == True ]] || fail "kvrepair on n$i: $out"
done
echo "kvrepair exits 0 on n1, n2 and n3"
