#!/usr/bin/env bash
# kvbench gossip end to end on small clusters: one JSON object per cluster size with every figure
# measured and within sense, the same figures for the same seed, a text table, nothing on stderr
# off a terminal, and usage errors (a size out of range, a bad loss) exit 2.
set -euo pipefail
: "${KV_BIN:?}"
kvbench=$KV_BIN/kvbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

"$kvbench" gossip --nodes 5,20 --samples 4 --warmup 20 --json >"$tmp/a" 2>"$tmp/stderr"
[[ ! -s $tmp/stderr ]] || fail "stderr not empty off a terminal: $(cat "$tmp/stderr")"
python3 - "$tmp/a" <<'PY' || fail "figures: $(cat "$tmp/a")"
import json, math, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert [r["nodes"] for r in rows] == [5, 20], rows
for r in rows:
    n = r["nodes"]
    for name in ("spread_rounds_median", "spread_rounds_max", "join_rounds",
                 "detection_seconds_median", "detection_seconds_max"):
        assert r[name] is not None and r[name] >= 0, (name, r)
    assert r["spread_rounds_max"] <= 2 * math.log2(n) + 1, r
    assert r["spread_rounds_median"] <= r["spread_rounds_max"], r
    # A node is convicted after its last heartbeat's pause and more: never at once.
    assert 3 <= r["detection_seconds_median"] <= r["detection_seconds_max"] <= 30, r
    assert r["false_downs"] == 0, r
    # Every node starts about one exchange a round; each carries a digest of every node.
    assert 0.9 <= r["exchanges_per_node_per_second"] <= 2, r
    assert r["mean_syn_bytes"] > n * 4, r
    assert r["wire_bytes_per_node_per_second"] > r["payload_bytes_per_node_per_second"] > 0, r
PY

"$kvbench" gossip --nodes 5,20 --samples 4 --warmup 20 --json >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || python3 - "$tmp/a" "$tmp/b" <<'PY' || fail "the same seed gave other figures"
import json, sys
strip = lambda f: [{k: v for k, v in json.loads(l).items() if k not in ("cpu_seconds", "cpu_us_per_node_round")} for l in open(f)]
assert strip(sys.argv[1]) == strip(sys.argv[2])
PY

"$kvbench" gossip --nodes 10 --samples 2 >"$tmp/text"
grep -q "spread rounds" "$tmp/text" || fail "no table: $(cat "$tmp/text")"
grep -qE '^ +10 ' "$tmp/text" || fail "no row for 10 nodes: $(cat "$tmp/text")"

for bad in "--nodes 1" "--nodes 5000" "--nodes x" "--loss 2" "--samples 0"; do
  code=0
  # shellcheck disable=SC2086
  "$kvbench" gossip $bad >/dev/null 2>"$tmp/err" || code=$?
  [[ $code == 2 ]] || fail "kvbench gossip $bad exited $code, not 2"
  [[ -s $tmp/err ]] || fail "kvbench gossip $bad said nothing"
done
echo "kvbench gossip: ok"
