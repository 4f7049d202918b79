#!/usr/bin/env bash
# Issue 13's attacks that one real kvnode answers, from an authenticated but hostile peer
# (plaintext loopback: every role allowed), built by kv_attack_frames: a 29-byte put declaring a
# 17 MiB key; Merkle level requests naming distinct peers, then trees too deep for the session
# share, then distinct ranges (the tree cache stays within its share: RSS bounded); a context claiming the node's clock at 2^64-2 (and the
# positive control, a real context); a flood of the largest fake members (capped, applied fast,
# a get meanwhile answered at once). Each time the node refuses, stays up and still serves.
source "$(dirname "$0")/../e2e/node_lib.bash"
RAW="$KV_BIN/../tests/kv_attack_frames"
[[ -x $RAW ]] || fail "no $RAW"

json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$NODE_PID/status"; }
alive() { kill -0 "$NODE_PID" 2>/dev/null || fail "the node died"; }
raw() { "$RAW" --node "127.0.0.1:$NODE_PORT" "$@"; }

start_node "$WORK/data" 0 --memory-budget 64MiB
echo "kvnode pid $NODE_PID on port $NODE_PORT"
for i in $(seq 1 20); do "$KV_BIN/kvput" "key-$i" "value-$i" >/dev/null || fail "put $i"; done
rss0=$(rss_kib)

# 1. The 29-byte request declaring a 17 MiB key.
out=$(raw declared-key) && fail "declared-key accepted: $out"
[[ $out == *"protocol"*"declares 17825792 bytes, but only 3 are left"* ]] || fail "declared-key: $out"
alive
echo "declared key: $out"

# 2. Merkle trees: for peers outside the ring, refused; at depth 20 (24 MiB to build) for a real
#    peer (the node itself), refused for want of room in anti-entropy's session share (64 MiB
#    budget: 1.5 MiB); at depth 14 for 150 distinct ranges, cached within the cache's share
#    (2.9 MiB) and one tree.
out=$(raw merkle 150 attacker --distinct-peers) && fail "distinct peers accepted"
[[ $(grep -c "not a node of this node's ring" <<< "$out") == 150 ]] || fail "merkle peers: $out"
self=$(json "$("$KV_BIN/kvring" --json)" 'd["self"]')
out=$(raw merkle 150 "$self") && fail "depth-20 trees accepted"
[[ $(grep -c "no room for a tree of depth 20" <<< "$out") == 150 ]] || fail "merkle depth 20: $out"
raw merkle 150 "$self" --depth 14 > "$WORK/merkle.out" ||
  fail "merkle ranges: $(tail -2 "$WORK/merkle.out")"
alive
stats=$("$KV_BIN/kvring" stats --json)
share=$(json "$stats" 'd["merkle_cache_share"]')
held=$(json "$stats" 'd["merkle_cache_bytes"]')
rss1=$(rss_kib)
echo "merkle: cache $held bytes of a $share share; RSS $rss0 KiB before, $rss1 KiB after 150 trees"
(( held <= share + 24 * 1024 * 1024 )) || fail "merkle cache holds $held bytes, share $share"
(( held > 0 )) || fail "nothing cached: the depth-14 trees were not built"
# 150 depth-14 trees are 38 MiB, 150 depth-20 ones 3.6 GiB; bounded, the node grows by a few
# trees (the pool builds up to 8).
(( rss1 - rss0 < 400 * 1024 )) || fail "RSS grew from $rss0 to $rss1 KiB"

# 3. A context claiming counter 2^64-2 for the node's clock: refused; the key stays writable, and
#    a context a get returned works (the positive control).
clock=$(json "$("$KV_BIN/kvring" --json)" 'd["nodes"][0]["clock_id"]')
out=$(raw put-context key-1 poisoned "$clock" 18446744073709551614) && fail "poison accepted: $out"
[[ $out == *"the context claims counter 18446744073709551614 for this node's clock, which has issued only"*"forged or from another cluster"* ]] \
  || fail "poisoned context: $out"
got=$("$KV_BIN/kvget" --json key-1) || fail "kvget key-1 after the poison"
[[ $(json "$got" 'd["values"] if "values" in d else [s["value"] for s in d["siblings"]]') == "['value-1']" ]] \
  || fail "key-1 changed: $got"
context=$(json "$got" 'd["context"]')
"$KV_BIN/kvput" --context "$context" key-1 resolved >/dev/null || fail "a real context was refused"
"$KV_BIN/kvput" key-1 again >/dev/null || fail "key-1 is not writable"
echo "poisoned context: refused; key-1 still writable"

# 4. A flood of 4,096 fake members of 4,096 vnodes: capped, applied quickly, a get answered at once
#    after it. (The fakes within the cap do join this node's ring: telling real members from
#    fakes is the job of authentication, not of these limits; so the get may fail, but fast.)
start=$(date +%s%N)
raw gossip 4096 4096 normal 1 > "$WORK/flood.out" || fail "flood: $(cat "$WORK/flood.out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t0=$(date +%s%N)
"$KV_BIN/kvget" key-2 >/dev/null 2>&1 || true
get_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ring=$("$KV_BIN/kvring" --json)
members=$(json "$ring" 'len(d["nodes"])')
vnodes=$(json "$ring" 'sum(n["vnodes"] for n in d["nodes"] if n["state"] != "left")')
echo "flood: applied in $ms ms, then a get in $get_ms ms; $members members, $vnodes vnodes"
(( ms < 3000 )) || fail "the flood took $ms ms to apply"
(( vnodes <= 262144 )) || fail "$vnodes vnodes in the ring"
(( members < 100 )) || fail "$members members"
grep -q "membership: refused a gossip state of node fake" "$WORK/node.log" || fail "no refusal logged"
refusals=$(grep -c "refused a gossip state of node fake100:" "$WORK/node.log" || true)
raw gossip 4096 4096 normal 2 > /dev/null || fail "second flood"
[[ $(grep -c "refused a gossip state of node fake100:" "$WORK/node.log") == "$refusals" ]] \
  || fail "a refusal logged twice"
# MEMBERSHIP holds no more than the table.
python3 - "$WORK/data/MEMBERSHIP" <<'PY' || fail "MEMBERSHIP holds the flood"
import sys
data = open(sys.argv[1], "rb").read()
count = data.count(b"fake")
print(f"MEMBERSHIP: {len(data)} bytes, {count} fake ids")
sys.exit(0 if count < 100 else 1)
PY
(( get_ms < 3000 )) || fail "a get after the flood took $get_ms ms"
alive
"$KV_BIN/kvring" stats >/dev/null || fail "kvring stats after the flood"
echo "PASS"
