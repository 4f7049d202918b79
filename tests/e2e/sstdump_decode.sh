#!/usr/bin/env bash
# kvsstdump --decode on a real node's data directory (issue 17): each key's sibling set with
# clocks and dots, values (bytes as bytes, base64 in JSON when not UTF-8), client deletes marked
# as such and counted apart from engine tombstones; and a file that is not a kv table said so.
source "$(dirname "$0")/node_lib.bash"

DATA="$WORK/data"
start_node "$DATA"
"$KV_BIN/kvput" --quiet plain hello
"$KV_BIN/kvput" --quiet --blind twice one # two blind writes: siblings
"$KV_BIN/kvput" --quiet --blind twice two
printf '\xff\x00' | "$KV_BIN/kvput" --quiet binary
"$KV_BIN/kvput" --quiet gone soon
token=$("$KV_BIN/kvget" --json gone | python3 -c 'import json,sys; print(json.load(sys.stdin)["context"])')
"$KV_BIN/kvput" --quiet --delete --context "$token" gone
kill_node TERM # flushes the memtable to a table
[[ $NODE_STATUS -eq 0 ]] || fail "SIGTERM exit status $NODE_STATUS"

expect_status 0 "kvsstdump --decode" "$KV_BIN/kvsstdump" --decode "$DATA"
out=$(cat "$WORK/out")
grep -q 'values decoded as sibling sets' <<<"$out" || fail "no decode header: $out"
grep -qE '^    \[1\] dot [0-9a-f]{16}:[0-9]+ clock \{\} at [0-9T:.-]+Z value \(5 bytes\) "hello"$' <<<"$out" ||
  fail "plain's version line: $out"
grep -q '\[2\] dot .* value (3 bytes) "two"' <<<"$out" || fail "the second sibling: $out"
grep -qE '\[1\] dot [0-9a-f]{16}:[0-9]+ clock \{[0-9a-f]{16}:[0-9]+\} at .* client delete$' <<<"$out" ||
  fail "the client delete: $out"
grep -q 'value (2 bytes) "\\xff\\x00"' <<<"$out" || fail "binary value: $out"
grep -q 'decoded: 4 sibling sets (1 with siblings, 1 deleted by a client), 5 versions (1 client deletes); 0 engine tombstones' <<<"$out" ||
  fail "counts: $out"

expect_status 0 "kvsstdump --decode --json" "$KV_BIN/kvsstdump" --decode --json "$DATA"
python3 - "$WORK/out" <<'PY' || fail "kvsstdump --decode --json: $(cat "$WORK/out")"
import json, sys
tables = json.load(open(sys.argv[1]))
data = [t for t in tables if "/hints/" not in t["file"]]
entries = {e["key"]: e for t in data for e in t["entries"]}
assert entries["plain"]["siblings"][0]["value"] == "hello", entries["plain"]
assert len(entries["twice"]["siblings"]) == 2
gone = entries["gone"]["siblings"][0]
assert gone["client_delete"] is True and gone["value"] is None, gone
assert gone["clock"] and ":" in gone["dot"], gone
binary = entries["binary"]["siblings"][0]
assert binary["value"] == "/wA=" and binary["value_base64"] is True, binary
decoded = data[0]["decoded"]
assert decoded["as"] == "sibling sets" and decoded["client_deletes"] == 1, decoded
assert decoded["engine_tombstones"] == 0 and decoded["sibling_sets"] == 4, decoded
PY

# Not a table: said so, exit 2 — not "damaged, restore it from a replica".
expect_status 2 "kvsstdump /etc/passwd" "$KV_BIN/kvsstdump" /etc/passwd
grep -q "is not a kv table" "$WORK/err" || fail "not-a-table message: $(cat "$WORK/err")"
grep -q "restore" "$WORK/err" && fail "a foreign file called damaged: $(cat "$WORK/err")"
# A table cut short is damaged (exit 4), even though its magic number is gone too.
table=$(ls "$DATA"/*.sst | head -n 1)
head -c 100 "$table" >"$WORK/cut.sst"
expect_status 4 "a truncated table" "$KV_BIN/kvsstdump" "$WORK/cut.sst"
echo "PASS"
