#!/usr/bin/env bash
# Zone-local quorums with real processes (issue 16 item 4): 5 nodes in 2 zones, a = n1..n3 and
# b = n4, n5, N=3, R=W=2: each key has one or two replicas in each zone (kvring --key says which).
# Zone b is killed with SIGKILL. Then, through zone a's nodes, for every key:
#  - kvget --r local --zone a reads it, kvput --w local --zone a overwrites it, and a local read
#    sees the new value; kvput --delete --w local deletes some; the HTTP API does the same with
#    r=local&zone=a;
#  - the plain quorums behave as before: R=2 misses exactly the keys with one replica in zone a
#    (the positive control: the same reads without local counting fail), and so does W=2 with
#    --primaries-only, while --w local --primaries-only is acknowledged;
#  - zone b's local quorum fails with exit 3 saying which quorum was not met; a zone no node is
#    in is refused with exit 2, and so is --r local without a zone.
source "$(dirname "$0")/node_lib.bash"

KEYS=${KV_LOCAL_KEYS:-30}
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 1000 --anti-entropy-interval-s 0
  --http-listen 127.0.0.1:0)
source "$(dirname "$0")/cluster_lib.bash"
CLUSTER_ZONES=([1]=a [2]=a [3]=a [4]=b [5]=b)

all_up() { for j in 1 2 3 4 5; do sees "$1" "n$j" up || return 1; done; }
via() { node $((1 + $1 % 3)); }  # a node of zone a to coordinate key k
# How many of key k's replicas are in zone a.
in_zone_a() {
  "$KV_BIN/kvring" --node "$(node 1)" --key "$1" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["zones"].count("a"))'
}

for i in 1 2 3 4 5; do start_member "$i"; done
for i in 1 2 3 4 5; do wait_until 30 "n$i sees every node up" all_up "$i"; done
http=$(grep -o 'HTTP API on http://127.0.0.1:[0-9]*' "$WORK/n1.log" | tail -n 1 | sed 's/^HTTP API on //')
[[ -n $http ]] || fail "n1 logged no HTTP API address"

declare -A ONE_IN_A PW_ONE_IN_A
for k in $(seq 1 "$KEYS"); do
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" "key$k" "v1-$k" || fail "put key$k"
  [[ $(in_zone_a "key$k") -eq 1 ]] && ONE_IN_A[$k]=1
  [[ $(in_zone_a "pw$k") -eq 1 ]] && PW_ONE_IN_A[$k]=1
done
echo "${#ONE_IN_A[@]} of $KEYS keys have one replica in zone a, the others two"
[[ ${#ONE_IN_A[@]} -gt 0 && ${#ONE_IN_A[@]} -lt $KEYS ]] ||
  fail "expected keys with one and with two replicas in zone a"

# Refusals before anything is sent or written.
expect_status 2 "--r local without a zone" "$KV_BIN/kvget" --node "$(node 1)" --r local key1
grep -q -- "--zone" "$WORK/err" || fail "--r local without a zone: the message does not say --zone"
expect_status 2 "an unknown zone" "$KV_BIN/kvget" --node "$(node 1)" --r local --zone x key1
grep -q "no node of the ring is in zone x: its zones are a, b" "$WORK/err" ||
  fail "unknown zone: $(cat "$WORK/err")"
expect_status 2 "a write to an unknown zone" "$KV_BIN/kvput" --node "$(node 1)" --blind \
  --w local --zone x fresh v
expect_status 1 "the refused write stored nothing" "$KV_BIN/kvget" --node "$(node 1)" fresh

kill_member 4
kill_member 5
for i in 1 2 3; do
  wait_until 20 "n$i sees n4 down" sees "$i" n4 down
  wait_until 20 "n$i sees n5 down" sees "$i" n5 down
done

plain_unreadable=0
plain_pw_refused=0
for k in $(seq 1 "$KEYS"); do
  got=$("$KV_BIN/kvget" --node "$(via "$k")" --r local --zone a "key$k") ||
    fail "zone b down: kvget --r local --zone a key$k"
  [[ "$got" == "v1-$k" ]] || fail "zone b down: local read of key$k gave '$got'"
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" --w local --zone a "key$k" "v2-$k" ||
    fail "zone b down: kvput --w local --zone a key$k"
  got=$("$KV_BIN/kvget" --node "$(via $((k + 1)))" --r local --zone a "key$k") ||
    fail "zone b down: local read of key$k after the local write"
  [[ "$got" == "v2-$k" ]] || fail "the local read after the local write of key$k gave '$got'"
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" --w local --zone a --primaries-only --blind \
    "pw$k" "x" || fail "zone b down: kvput --w local --primaries-only pw$k"

  # The plain quorums, as before: R=2 needs two replicas, which the keys with one in zone a no
  # longer have; so does W=2 counting the key's own replicas only.
  if "$KV_BIN/kvget" --node "$(via "$k")" --r 2 "key$k" > /dev/null 2> "$WORK/err"; then
    [[ -z ${ONE_IN_A[$k]:-} ]] || fail "R=2 read key$k, which has one live replica"
  else
    plain_unreadable=$((plain_unreadable + 1))
    [[ -n ${ONE_IN_A[$k]:-} ]] || fail "R=2 failed for key$k, which has two live replicas"
    grep -q "read quorum not met: 1 of 3 replicas answered (R=2)" "$WORK/err" ||
      fail "R=2 failure message: $(cat "$WORK/err")"
  fi
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" --w 2 --primaries-only --blind "pw$k" y \
    2> /dev/null || plain_pw_refused=$((plain_pw_refused + 1))
done
echo "zone b (n4, n5) killed with SIGKILL: all $KEYS keys read and written at zone a's local quorum;" \
  "at R=2, $plain_unreadable unreadable; at W=2 with --primaries-only, $plain_pw_refused refused"
[[ $plain_unreadable -eq ${#ONE_IN_A[@]} ]] ||
  fail "positive control: $plain_unreadable keys unreadable at R=2, want ${#ONE_IN_A[@]}"
[[ $plain_pw_refused -eq ${#PW_ONE_IN_A[@]} ]] ||
  fail "W=2 --primaries-only refused $plain_pw_refused keys, want ${#PW_ONE_IN_A[@]}"

# Deletes at the local quorum, and the HTTP API's r=local.
for k in 1 2 3; do
  "$KV_BIN/kvput" --quiet --node "$(via "$k")" --delete --w local --zone a "key$k" ||
    fail "kvput --delete --w local key$k"
  expect_status 1 "key$k deleted at the local quorum" \
    "$KV_BIN/kvget" --node "$(via $((k + 1)))" --r local --zone a "key$k"
done
got=$(curl -sS -f "$http/v1/kv/key5?r=local&zone=a") || fail "HTTP GET ?r=local&zone=a"
[[ "$got" == v2-5 ]] || fail "HTTP local read gave '$got'"
curl -sS -f -X PUT --data-binary v3-5 "$http/v1/kv/key5?w=local&zone=a" ||
  fail "HTTP PUT ?w=local&zone=a"
[[ $("$KV_BIN/kvget" --node "$(node 2)" --r local --zone a key5) == v3-5 ]] ||
  fail "the HTTP local write is not seen by a local read"
status=$(curl -sS -o "$WORK/body" -w '%{http_code}' "$http/v1/kv/key5?r=local&zone=b")
[[ $status == 503 ]] && grep -q "local quorum of zone b not met" "$WORK/body" ||
  fail "HTTP local read of the dead zone: $status $(cat "$WORK/body")"

# Zone b's local quorum cannot be met: exit 3, saying which quorum.
expect_status 3 "a local read of the dead zone" "$KV_BIN/kvget" --node "$(node 1)" --r local \
  --zone b key5
grep -q "local quorum of zone b not met for the read: 0 of [12] replicas in zone b answered" \
  "$WORK/err" || fail "local read of zone b: $(cat "$WORK/err")"
expect_status 3 "a local write of the dead zone" "$KV_BIN/kvput" --node "$(node 1)" --blind \
  --w local --zone b key5 v4
grep -q "local quorum of zone b not met for the write: 0 of [12] replicas in zone b acknowledged" \
  "$WORK/err" || fail "local write of zone b: $(cat "$WORK/err")"
echo "zone b's local quorum refused with exit 3, naming it; unknown zones refused with exit 2"
