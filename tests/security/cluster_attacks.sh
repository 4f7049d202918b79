#!/usr/bin/env bash
# Issue 13's membership, leave, cleanup and hint attacks against three real kvnodes (N=3), from an
# authenticated but hostile peer (plaintext loopback: every role allowed), built by kv_attack_frames.
# Each is refused, the nodes stay up, the data is still served and the ring is unchanged:
#  - n2's id with generation 2^64-1 (it re-routed n2's keys, and n2 could not correct it);
#    n2 then restarts and is seen with its new generation;
#  - a leave accepted while fake members made the ring look large, the fakes then marked left:
#    Leave re-checks N when it runs, so n1 stays normal, and restarts;
#  - a cleanup under a ring of fake members: refused while the ring is unsettled, nothing deleted;
#  - hints for a node that does not exist: refused; for a known member: taken (positive control);
#    past --hint-quota-per-node: refused.
source "$(dirname "$0")/../e2e/node_lib.bash"
source "$(dirname "$0")/../e2e/cluster_lib.bash"
RAW="$KV_BIN/../tests/kv_attack_frames"
[[ -x $RAW ]] || fail "no $RAW"
json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
raw() { local i=$1; shift; "$RAW" --node "$(node "$i")" "$@"; }
alive() { for i in 1 2 3; do kill -0 "${PIDS[$i]}" 2>/dev/null || fail "n$i died"; done; }
ring_nodes() { json "$("$KV_BIN/kvring" --node "$(node "$1")" --json)" \
  '" ".join(sorted(n["id"] for n in d["nodes"] if n["state"] == "normal"))'; }
all_keys_served() {
  for k in $(seq 1 20); do
    # Exit 4: siblings (the blind puts of step 1 made them), still served.
    local status=0
    "$KV_BIN/kvget" --node "$(node "$1")" "key-$k" >/dev/null 2> "$WORK/get.err" || status=$?
    [[ $status == 0 || $status == 4 ]] || return 1
  done
}

CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --ring-delay-ms 2000
  --hint-quota-per-node 32MiB)
start_member 1
start_member 2
start_member 3
for i in 1 2 3; do wait_until 20 "n$i sees three normal nodes" \
  bash -c "[[ \"\$(\"$KV_BIN/kvring\" --node $(node "$i") --json | grep -o '\"state\": *\"normal\"' | wc -l)\" == 3 ]]"; done
for k in $(seq 1 20); do "$KV_BIN/kvput" --node "$(node 1)" "key-$k" "v-$k" >/dev/null || fail "put $k"; done
echo "three nodes up, 20 keys"

# 1. n2's id with generation 2^64-1 and 4,096 vnodes, sent to n1.
out=$(raw 1 gossip 1 4096 normal 1 --id n2 --address 127.0.0.1:1 --generation 18446744073709551615) \
  || fail "gossip: $out"
grep -q "refused a gossip state of node n2: generation 18446744073709551615 is more than" \
  "$WORK/n1.log" || fail "n1 did not log the refusal"
[[ $(ring_field 1 n2 address) == "$(node 2)" ]] || fail "n1 took the forged address"
ok=0
for k in $(seq 1 20); do "$KV_BIN/kvput" --node "$(node 1)" "key-$k" "w-$k" >/dev/null && ok=$((ok + 1)); done
(( ok == 20 )) || fail "only $ok of 20 puts succeeded after the forged generation"
gen_before=$(ring_field 1 n2 generation)
kill_member 2
sleep 1.1  # generations are seconds
start_member 2
wait_until 20 "n1 sees n2's new life" bash -c "(( \$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(n[\"generation\"] for n in d[\"nodes\"] if n[\"id\"]==\"n2\"))' < <(\"$KV_BIN/kvring\" --node $(node 1) --json)) > $gen_before ))"
echo "forged generation: refused; 20 of 20 puts; n2 restarted and was seen"

# 2. Leave under a fake ring: three fake normal members make n1's ring look like six nodes.
raw 1 gossip 3 16 normal 1 --prefix leavefake >/dev/null || fail "fakes for leave"
out=$(raw 1 leave) || fail "leave refused at once (the fakes should count): $out"
sleep 0.5
raw 1 gossip 3 16 left 2 --prefix leavefake >/dev/null || fail "fakes left"
wait_until 20 "n1's leave fails" grep -q "leaving failed, this node stays normal: leaving would leave 2 normal nodes up for N=3" "$WORK/n1.log"
alive
[[ $(ring_field 2 n1 state) == normal ]] || wait_until 10 "n2 sees n1 normal" bash -c "[[ \$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(n[\"state\"] for n in d[\"nodes\"] if n[\"id\"]==\"n1\"))' < <(\"$KV_BIN/kvring\" --node $(node 2) --json)) == normal ]]"
serves_all() {
  for _ in $(seq 1 200); do all_keys_served "$1" && return 0; sleep 0.1; done
  fail "n$1 does not serve every key $2: $(cat "$WORK/get.err")"
}
serves_all 2 "after the leave attempt"
kill_member 1
start_member 1
echo "leave under a fake ring: refused when it ran; n1 normal and restarted"

# 3. Cleanup under a fake ring: refused, nothing deleted.
raw 1 gossip 3 512 normal 1 --prefix cleanfake >/dev/null || fail "fakes for cleanup"
out=$(raw 1 cleanup) && fail "cleanup accepted under a fake ring: $out"
[[ $out == *"the ring is not settled"*"retry in"* ]] || fail "cleanup: $out"
echo "cleanup under a fake ring: $out"
raw 1 gossip 3 512 left 2 --prefix cleanfake >/dev/null || fail "cleanfakes left"
alive
keys=$(json "$("$KV_BIN/kvring" --node "$(node 1)" stats --json)" 'd["memtable_memory"] >= 0')
[[ $keys == True ]] || fail "stats"
serves_all 2 "after the cleanup attempt"

# 4. Hints: for a node that does not exist, refused; for n3, a known member that is down, taken
#    (held, not handed off, until it returns); past the quota, refused.
kill_member 3
wait_until 30 "n1 sees n3 down" sees 1 n3 down
out=$(raw 1 hint no-such-node 200 65536) && fail "hints for an unknown node accepted"
[[ $(grep -c "not a node of this node's ring" <<< "$out") == 200 ]] || fail "unknown hints: $out"
held=$(json "$("$KV_BIN/kvring" --node "$(node 1)" stats --json)" 'd["hints_held"]')
[[ $held == 0 ]] || fail "n1 holds $held hints after the unknown-node flood"
raw 1 hint n3 1 100 >/dev/null || fail "a hint for a known member was refused"
out=$(raw 1 hint n3 40 1048576) && fail "40 MiB of hints under a 32 MiB quota accepted"
refused=$(grep -c "quota" <<< "$out" || true)
taken=$(grep -c "^ok" <<< "$out" || true)
(( taken >= 28 && taken <= 31 && refused == 40 - taken )) || fail "quota: $taken taken, $refused refused"
for i in 1 2; do kill -0 "${PIDS[$i]}" 2>/dev/null || fail "n$i died"; done
echo "hints: 200 for an unknown node refused; 1 for down n3 taken; $taken of 40 MiB-sized taken, $refused refused"
start_member 3
wait_until 30 "n1 hands its hints to n3" bash -c "[[ \$(\"$KV_BIN/kvring\" --node $(node 1) stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"hints_held\"])') == 0 ]]"
echo "PASS"
