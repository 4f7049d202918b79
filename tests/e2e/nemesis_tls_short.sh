#!/usr/bin/env bash
# The short nemesis (tests/nemesis/nemesis.sh) with TLS on (issue 13): three real kvnode
# processes, each with a certificate of its own, every connection mutual TLS, 30 s of kill -9,
# SIGSTOP and (where they work) partitions; no acknowledged element may be lost and none may
# appear that was never attempted. nemesis_short.sh runs the positive control; the checker is the
# same.
set -euo pipefail
: "${KV_BIN:?set KV_BIN to the directory of the kv programs}"
NEMESIS="$(dirname "$0")/../nemesis/nemesis.sh"
command -v openssl >/dev/null || { echo "skip: no openssl command"; exit 0; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/kv-nemesis-tls.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
field() { grep -o "\"$2\":[0-9]*" "$1" | head -n 1 | cut -d: -f2; }

started=$(date +%s)
KV_NEMESIS_JSON="$OUT/run.json" bash "$NEMESIS" --tls --seconds 30 --nodes 3 --seed 2 \
  || fail "the secured nemesis run failed (see the table above)"
[[ $(field "$OUT/run.json" lost) -eq 0 ]] || fail "acknowledged writes lost"
[[ $(field "$OUT/run.json" unexpected) -eq 0 ]] || fail "elements that were never attempted"
[[ $(field "$OUT/run.json" acknowledged) -gt 0 ]] || fail "no write was acknowledged"
echo "nemesis_tls_short: passed in $(($(date +%s) - started)) s"
