#!/usr/bin/env bash
# Anti-entropy with real processes: 10,000 keys are written to a cluster of three; node 3 is
# killed with SIGKILL, its data directory wiped, and it is started again (same id and port, a new
# clock identity, no data); `kvrepair --node n3 --json` repairs every range it replicates and
# reports every key repaired, each transferred once; with n1 and n2 killed, n3 alone (R=1) then
# answers every key with the value acknowledged for it (kv_crash_writer check; its control: an
# acknowledgement of a key never written is reported missing). Also: kvrepair's usage errors
# (exit 2) and an unreachable node (exit 3), and a repair with the other replicas gone does not
# converge (exit 3), and on a wiped node that has not reached the cluster it is refused (exit 3)
# and records nothing.
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_REPAIR_KEYS:-10000}
WRITER="$KV_BIN/../tests/kv_crash_writer"
[[ -x "$WRITER" ]] || fail "missing $WRITER (build the kv_crash_writer target)"
# --sync periodic: this test is about repair, not durability (crash_kill9.sh and
# cluster_kill9.sh are). In batch mode the repair merges one key at a time, each waiting for its
# own fsync: on a busy shared disk that took 33 s for the 10,000 keys instead of 5.
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --sync periodic)
source "$(dirname "$0")/cluster_lib.bash"

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
n3_sees_peers() { sees 3 n1 up && sees 3 n2 up; }

# Usage errors are caught before anything is sent; a node that is not there is exit 3.
expect_status 2 "--range without a colon" "$KV_BIN/kvrepair" --range 12
expect_status 2 "--range with a bad token" "$KV_BIN/kvrepair" --range 0x10:zz
expect_status 2 "--range beyond u64" "$KV_BIN/kvrepair" --range 0:18446744073709551616
expect_status 2 "unknown flag" "$KV_BIN/kvrepair" --bogus
expect_status 0 "--help" "$KV_BIN/kvrepair" --help
grep -q -- '--range' "$WORK/out" || fail "--help does not list --range"
expect_status 3 "no node there" "$KV_BIN/kvrepair" --node 127.0.0.1:1 --timeout-ms 2000 --json
[[ $(field "$(cat "$WORK/out")" ok) == False ]] || fail "no error JSON: $(cat "$WORK/out")"

start_member 1
start_member 2
start_member 3
for i in 1 2 3; do wait_until 20 "n$i sees n1..n3 up" sees "$i" n3 up; done

# Every key at W=3, so that each replica holds it before n3 loses its copy; the log records
# what was acknowledged.
"$WRITER" fill --node "$(node 1)" --log "$WORK/acks" --keys "$KEYS" --threads 16 --w 3 ||
  fail "kv_crash_writer fill exited $?"
want="keys=$KEYS acknowledged=$KEYS missing=0 wrong=0"
out=$("$WRITER" check --node "$(node 1)" --log "$WORK/acks" 2>/dev/null) || fail "check on n1: $out"
[[ $out == "$want" ]] || fail "check on n1: $out"
echo "$KEYS keys written at W=3 and read back from n1"

# n3 loses everything: SIGKILL, data directory gone, started again empty. Its membership file is
# put back, so it returns as the member it was, without its data; a new node (no membership file)
# would join instead and stream its ranges before serving them (tests/e2e/join_leave.sh).
kill_member 3
cp "$WORK/n3/MEMBERSHIP" "$WORK/n3.membership"
rm -rf "$WORK/n3"
mkdir -p "$WORK/n3"
cp "$WORK/n3.membership" "$WORK/n3/MEMBERSHIP"
start_member 3
for i in 1 2; do wait_until 20 "n$i sees the new n3 up" sees "$i" n3 up; done
wait_until 20 "the new n3 sees n1 and n2 up" n3_sees_peers
echo "n3 killed with SIGKILL, its data directory wiped, started again"

start=$(date +%s.%N)
out=$("$KV_BIN/kvrepair" --node "$(node 3)" --json 2>"$WORK/repair.err") ||
  fail "kvrepair exited $? (stderr: $(cat "$WORK/repair.err"); stdout: $out)"
repair_s=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
for name in ranges keys_compared keys_differing keys_transferred keys_repaired bytes_exchanged \
  seconds replicas_unreachable converged; do
  field "$out" "$name" >/dev/null || fail "no $name in: $out"
done
[[ $(field "$out" converged) == True ]] || fail "not converged: $out"
[[ $(field "$out" replicas_unreachable) == 0 ]] || fail "replicas unreachable: $out"
(($(field "$out" ranges) > 0)) || fail "no ranges repaired: $out"
(($(field "$out" keys_repaired) >= KEYS)) || fail "fewer than $KEYS keys repaired: $out"
# n3 lacked every key: each crossed once, fetched from one replica.
[[ $(field "$out" keys_transferred) == "$(field "$out" keys_differing)" ]] ||
  fail "keys transferred != keys differing: $out"
(($(field "$out" bytes_exchanged) > 0)) || fail "no bytes exchanged: $out"
[[ ! -s $WORK/repair.err ]] || fail "stderr not empty off a terminal: $(cat "$WORK/repair.err")"
echo "kvrepair on n3 in ${repair_s}s: $out"

# A second repair finds nothing left to do.
out=$("$KV_BIN/kvrepair" --node "$(node 3)" --json) || fail "second kvrepair exited $?: $out"
[[ $(field "$out" keys_repaired) == 0 ]] || fail "second repair still repaired keys: $out"

# n3 alone (R=1, its own copy) has every key, with the value acknowledged for it.
kill_member 1
kill_member 2
out=$("$WRITER" check --node "$(node 3)" --log "$WORK/acks" --r 1 2>"$WORK/check.err") ||
  fail "check on n3 alone: $out $(head -n 5 "$WORK/check.err")"
[[ $out == "$want" ]] || fail "check on n3 alone: $out"
echo "n1 and n2 killed: n3 alone answered all $KEYS keys with the acknowledged values"
# The checker's control: it does report a key that is not there.
cp "$WORK/acks" "$WORK/acks+1"
echo "K k-never-written 1" >> "$WORK/acks+1"
out=$("$WRITER" check --node "$(node 3)" --log "$WORK/acks+1" --r 1 2>/dev/null) &&
  fail "the check missed a key that was never written: $out"
[[ $out == "keys=$((KEYS + 1)) acknowledged=$((KEYS + 1)) missing=1 wrong=0" ]] ||
  fail "control: $out"

# With the other replicas gone, a repair cannot converge: exit 3, the problems on stderr.
expect_status 3 "kvrepair with n1 and n2 down" "$KV_BIN/kvrepair" --node "$(node 3)" --json \
  --timeout-ms 60000
[[ -s $WORK/err ]] || fail "no problems printed for the unreachable replicas"
echo "kvrepair with n1 and n2 down: exit 3 ($(head -n 1 "$WORK/err"))"

# The issue-17 case: n3 loses everything, MEMBERSHIP too, and starts again before it can reach
# its seed (n1 and n2 are down). Its view holds only itself, joining. kvrepair is refused (exit
# 3, saying what to wait for), not "converged" over zero replicas, and no repair is recorded for
# tombstone GC (no REPAIRS file).
kill_member 3
rm -rf "$WORK/n3"
mkdir -p "$WORK/n3"
start_member 3 nowait
expect_status 3 "kvrepair on a wiped node that cannot reach the cluster" "$KV_BIN/kvrepair" \
  --node "$(node 3)" --json
grep -q "this node is joining" "$WORK/err" || fail "refusal without its reason: $(cat "$WORK/err")"
[[ $(field "$(cat "$WORK/out")" ok) == False ]] || fail "no error JSON: $(cat "$WORK/out")"
[[ ! -e $WORK/n3/REPAIRS ]] || fail "a refused repair was recorded: $WORK/n3/REPAIRS exists"
echo "kvrepair on a wiped n3 with no seed reachable: exit 3 ($(head -n 1 "$WORK/err"))"
