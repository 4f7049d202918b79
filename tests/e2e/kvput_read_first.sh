#!/usr/bin/env bash
# kvput reads before it writes (issue 14): through the real programs against a real kvnode on
# 127.0.0.1. Four puts of one key read back as one value; a delete reads back as not found (exit
# 1); --blind twice makes two siblings; two writers that read the same versions (the moment a
# read-first kvput has between its read and its write) still make siblings, one value each; a
# read that fails writes nothing and says why, with kvget's exit codes and a hint of --blind.
source "$(dirname "$0")/node_lib.bash"

json() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

start_node "$WORK/data"
echo "kvnode pid $NODE_PID on port $NODE_PORT"

# An overwrite overwrites: four puts, one value, the last.
for v in one two three four; do "$KV_BIN/kvput" --quiet k "$v" || fail "kvput k $v"; done
expect_status 0 "kvget after four puts" "$KV_BIN/kvget" k
[[ $(cat "$WORK/out") == four ]] || fail "after four puts: $(cat "$WORK/out")"
out=$("$KV_BIN/kvget" --json k)
[[ $(json "$out" 'len(d["siblings"])') == 1 ]] || fail "four puts left siblings: $out"

# Values from stdin read first too.
printf 'five' | "$KV_BIN/kvput" --quiet k
[[ $("$KV_BIN/kvget" k) == five ]] || fail "stdin overwrite"

# A delete deletes: kvget exits 1 (not found), and --json shows only the tombstone.
"$KV_BIN/kvput" --quiet --delete k
expect_status 1 "kvget after kvput --delete" "$KV_BIN/kvget" k
grep -q "not found" "$WORK/err" || fail "not-found message: $(cat "$WORK/err")"
expect_status 1 "kvget --json after kvput --delete" "$KV_BIN/kvget" --json k
[[ $(json "$(cat "$WORK/out")" 'd["found"], [s["tombstone"] for s in d["siblings"]]') == "(False, [True])" ]] \
  || fail "after delete: $(cat "$WORK/out")"
# A put after the delete replaces the tombstone: one value again.
"$KV_BIN/kvput" --quiet k again
expect_status 0 "kvget after a put over a tombstone" "$KV_BIN/kvget" k
[[ $(cat "$WORK/out") == again ]] || fail "put over a tombstone: $(cat "$WORK/out")"
# A delete of a key never written: exit 0, and it reads as not found.
expect_status 0 "kvput --delete of a missing key" "$KV_BIN/kvput" --delete never-written
expect_status 1 "kvget of the deleted missing key" "$KV_BIN/kvget" never-written

# --blind twice: two siblings (exit 4), as kvput did before it read first.
"$KV_BIN/kvput" --quiet --blind cart milk
"$KV_BIN/kvput" --quiet --blind cart eggs
expect_status 4 "kvget after two --blind puts" "$KV_BIN/kvget" --json cart
[[ $(json "$(cat "$WORK/out")" 'sorted(s["value"] for s in d["siblings"])') == "['eggs', 'milk']" ]] \
  || fail "blind siblings: $(cat "$WORK/out")"
# A plain kvput then resolves them: it read both, so it replaces both.
"$KV_BIN/kvput" --quiet cart "milk,eggs"
expect_status 0 "kvget after a read-first put over siblings" "$KV_BIN/kvget" cart
[[ $(cat "$WORK/out") == "milk,eggs" ]] || fail "resolved: $(cat "$WORK/out")"
# A blind delete only adds a tombstone beside the value: exit 4.
"$KV_BIN/kvput" --quiet --blind --delete cart
expect_status 4 "kvget after a --blind delete" "$KV_BIN/kvget" cart

# Truly concurrent writers still make siblings: two writers that read the same versions (each
# kvput's read, before either wrote) each replace only what they saw.
"$KV_BIN/kvput" --quiet race start
token=$(json "$("$KV_BIN/kvget" --json race)" 'd["context"]')
"$KV_BIN/kvput" --quiet --context "$token" race from-a
"$KV_BIN/kvput" --quiet --context "$token" race from-b
expect_status 4 "kvget after two concurrent writers" "$KV_BIN/kvget" --json race
[[ $(json "$(cat "$WORK/out")" 'sorted(s["value"] for s in d["siblings"])') == "['from-a', 'from-b']" ]] \
  || fail "concurrent writers: $(cat "$WORK/out")"
# And real concurrent kvputs lose nothing: every value is the last one, or a sibling of it.
pids=()
for i in 1 2 3 4 5 6; do "$KV_BIN/kvput" --quiet burst "w$i" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent kvput failed"; done
"$KV_BIN/kvget" --json burst > "$WORK/burst" || [[ $? == 4 ]] || fail "kvget burst"
[[ $(json "$(cat "$WORK/burst")" 'all(s["value"] in {"w1","w2","w3","w4","w5","w6"} for s in d["siblings"]) and 1 <= len(d["siblings"]) <= 6') == True ]] \
  || fail "burst: $(cat "$WORK/burst")"

# Usage: --blind and --context together, --r with either of them (nothing sent).
expect_status 2 "--blind with --context" "$KV_BIN/kvput" --blind --context "$token" k v
grep -q "not both" "$WORK/err" || fail "--blind --context message: $(cat "$WORK/err")"
expect_status 2 "--r with --blind" "$KV_BIN/kvput" --blind --r 1 k v

# The node down: the read cannot connect; exit 3 as kvget's, the message names the read and
# --blind, and --json gives the error object. (A read quorum not met: tests/e2e/cluster_kill9.sh.)
kill_node TERM
expect_status 3 "kvget with the node down" "$KV_BIN/kvget" k
expect_status 3 "kvput with the node down" "$KV_BIN/kvput" k v
grep -q "reading k before writing it failed" "$WORK/err" || fail "read failure message: $(cat "$WORK/err")"
grep -q -- "--blind" "$WORK/err" || fail "no --blind hint: $(cat "$WORK/err")"
expect_status 3 "kvput --json with the node down" "$KV_BIN/kvput" --json k v
[[ $(json "$(cat "$WORK/out")" 'd["ok"], d["message"].startswith("reading k before")') == "(False, True)" ]] \
  || fail "read failure JSON: $(cat "$WORK/out")"
echo PASS
