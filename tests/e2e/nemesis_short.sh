#!/usr/bin/env bash
# The short nemesis (tests/nemesis/nemesis.sh) for CI: three real kvnode processes at N=3 R=W=2,
# 60 s of clients adding to sets by read-modify-write while kill -9, SIGSTOP and (where network
# namespaces and iptables work) partitions hit the nodes; no acknowledged element may be lost and
# none may appear that was never attempted. Then the positive control: 20 s of last-write-wins
# clients on two keys must lose acknowledged elements, or the checker proves nothing.
set -euo pipefail
: "${KV_BIN:?set KV_BIN to the directory of the kv programs}"
NEMESIS="$(dirname "$0")/../nemesis/nemesis.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/kv-nemesis-ci.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
field() { grep -o "\"$2\":[0-9]*" "$1" | head -n 1 | cut -d: -f2; }

started=$(date +%s)
echo "== nemesis: 60 s of faults =="
KV_NEMESIS_JSON="$OUT/run.json" bash "$NEMESIS" --seconds 60 --nodes 3 --seed 1 \
  || fail "the nemesis run failed (see the table above)"
[[ $(field "$OUT/run.json" lost) -eq 0 ]] || fail "acknowledged writes lost"
[[ $(field "$OUT/run.json" unexpected) -eq 0 ]] || fail "elements that were never attempted"
[[ $(field "$OUT/run.json" acknowledged) -gt 0 ]] || fail "no write was acknowledged"

echo "== positive control: last-write-wins clients, 20 s =="
KV_NEMESIS_JSON="$OUT/control.json" bash "$NEMESIS" --control --seconds 20 --nodes 3 --seed 1 \
  || fail "the positive control lost no acknowledged write: the checker cannot fail"
[[ $(field "$OUT/control.json" lost) -gt 0 ]] || fail "the control reported lost = 0"
echo "nemesis_short: passed in $(($(date +%s) - started)) s"
