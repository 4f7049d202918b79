#!/usr/bin/env bash
# Balanced token allocation with real processes: n1 starts the cluster (hashed tokens: it has no
# ring to balance against); n2 to n5 join one at a time, each choosing its tokens against the
# ring it learns from n1 (--token-allocation balanced, the default). kvring --json then shows
# every node within 10% of its fair share, as first replica (1/5) and as any of N=3 (3/5).
# A restarted node keeps its tokens: the ring's shares are the same before and after, and it
# does not choose again. A node restarted with --token-allocation hashed keeps its chosen tokens
# too.
source "$(dirname "$0")/node_lib.bash"

CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --ring-delay-ms 1000)
source "$(dirname "$0")/cluster_lib.bash"

shares() {
  "$KV_BIN/kvring" --node "$(node "$1")" --json | python3 -c '
import json, sys
ring = json.load(sys.stdin)
for n in sorted(ring["nodes"], key=lambda n: n["id"]):
    print(n["id"], n["state"], n["primary_ownership"], n["ownership"])'
}
all_normal() { [[ $(shares "$1" | grep -c ' normal ') -eq 5 ]]; }

for i in 1 2 3 4 5; do start_member "$i"; done
for i in 1 2 3 4 5; do wait_until 20 "n$i sees all five normal" all_normal "$i"; done
for i in 2 3 4 5; do
  grep -q 'joining: chose 128 tokens balanced' "$WORK/n$i.log" || fail "n$i did not choose its tokens"
done
grep -q 'joining: chose' "$WORK/n1.log" && fail "n1, which started the cluster, chose tokens"

before=$(shares 1)
echo "$before"
echo "$before" | python3 -c '
import sys
bad = []
for line in sys.stdin:
    node, state, primary, replica = line.split()
    p, r = float(primary) * 5, float(replica) * 5 / 3
    if not (0.9 <= p <= 1.1 and 0.9 <= r <= 1.1):
        bad.append(f"{node}: first replica {p:.3f}, any replica {r:.3f} of its fair share")
if bad:
    sys.exit("out of bounds: " + "; ".join(bad))
' || fail "a node is more than 10% off its fair share"
echo "every node within 10% of its fair share"

# Every node sees the same ring: the chosen tokens travelled in gossip.
for i in 2 3 4 5; do
  [[ "$(shares "$i")" == "$before" ]] || fail "n$i sees another ring: $(shares "$i")"
done

# A restart keeps the tokens, whatever --token-allocation says now.
kill_member 3
CLUSTER_FLAGS=(--gossip-interval-ms 200 --request-timeout-ms 2000 --ring-delay-ms 1000
  --token-allocation hashed)
start_member 3
wait_until 20 "n1 sees n3 up again" sees 1 n3 up
[[ "$(shares 1)" == "$before" ]] || fail "the ring changed with n3's restart: $(shares 1)"
[[ $(grep -c 'joining: chose' "$WORK/n3.log") -eq 1 ]] || fail "n3 chose tokens again on restart"
echo "n3 restarted with the tokens it chose"
echo PASS
