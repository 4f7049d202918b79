#!/usr/bin/env bash
# kvbench engine end to end on small numbers: every workload runs and reports the promised JSON
# fields, reads find exactly what the fill wrote, a read on a directory whose data is gone exits 1,
# usage errors exit 2, and nothing but the report reaches stdout (no progress line off a terminal).
set -euo pipefail
: "${KV_BIN:?}"
kvbench=$KV_BIN/kvbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# field JSON NAME: the value of a top-level field of a one-line JSON object.
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

check_fields() {
  for name in workload ops seconds ops_per_sec threads p50_us p99_us p999_us peak_rss_bytes disk_bytes; do
    field "$1" "$name" >/dev/null || fail "no $name in: $1"
  done
}

out=$("$kvbench" engine --dir "$tmp/a" --workload fillrandom --num 3000 --json 2>"$tmp/stderr")
check_fields "$out"
[[ $(field "$out" workload) == fillrandom ]] || fail "workload: $out"
[[ $(field "$out" ops) == 3000 ]] || fail "ops: $out"
[[ $(field "$out" sync) == off ]] || fail "fillrandom should not sync by default: $out"
[[ ! -s $tmp/stderr ]] || fail "stderr not empty off a terminal: $(cat "$tmp/stderr")"
(($(field "$out" disk_bytes) > 3000 * 100)) || fail "disk_bytes too small for 3000 values: $out"

out=$("$kvbench" engine --dir "$tmp/a" --workload readrandom --num 5000 --threads 2 --json)
check_fields "$out"
[[ $(field "$out" found) == 5000 && $(field "$out" not_found) == 0 ]] || fail "readrandom: $out"
[[ $(field "$out" threads) == 2 ]] || fail "threads: $out"

out=$("$kvbench" engine --dir "$tmp/a" --workload readmissing --num 2000 --json)
[[ $(field "$out" found) == 0 && $(field "$out" not_found) == 2000 ]] || fail "readmissing: $out"

out=$("$kvbench" engine --dir "$tmp/s" --workload fillseq --num 2000 --threads 3 --json)
[[ $(field "$out" ops) == 2000 ]] || fail "fillseq: $out"

out=$("$kvbench" engine --dir "$tmp/y" --workload fillsync --num 200 --threads 4 --json)
[[ $(field "$out" sync) == batch ]] || fail "fillsync should sync (batch): $out"

# A read on an empty directory fills it first (untimed), then reads it.
out=$("$kvbench" engine --dir "$tmp/e" --workload readrandom --num 1000 --json)
[[ $(field "$out" found) == 1000 ]] || fail "readrandom on an empty dir: $out"

# The human report names the workload and the percentiles.
"$kvbench" engine --dir "$tmp/h" --workload fillseq --num 500 >"$tmp/human"
grep -q 'fillseq' "$tmp/human" && grep -q 'p99.9' "$tmp/human" || fail "human report: $(cat "$tmp/human")"

# The fill record without the data: every read misses, which is an error (exit 1).
mkdir -p "$tmp/lost"
cp "$tmp/a/kvbench.fill" "$tmp/lost/"
set +e
"$kvbench" engine --dir "$tmp/lost" --workload readrandom --num 100 --json >/dev/null 2>"$tmp/err"
code=$?
set -e
[[ $code == 1 ]] || fail "readrandom with the data gone exited $code, want 1"
grep -q 'missed' "$tmp/err" || fail "no message for lost keys: $(cat "$tmp/err")"

expect_usage() {
  set +e
  "$kvbench" "$@" >/dev/null 2>&1
  local code=$?
  set -e
  [[ $code == 2 ]] || fail "kvbench $* exited $code, want 2"
}
expect_usage
expect_usage engine --workload fillseq
expect_usage engine --dir "$tmp/u" --workload bogus
expect_usage engine --dir "$tmp/u" --workload fillseq --num 1000 --key-size 3
expect_usage engine --dir "$tmp/u" --workload fillseq --threads 0
expect_usage net --workload scan

"$kvbench" --version | grep -q '^kvbench ' || fail "--version"
echo "ok"
