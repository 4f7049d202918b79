#!/usr/bin/env bash
# kvnode, kvput and kvget end to end: values from arguments and stdin, binary bytes, JSON, the
# exit codes 0/1/2/3 of every tool, kill -9 and restart, graceful stop with SIGTERM.
source "$(dirname "$0")/node_lib.bash"

DATA="$WORK/data"
start_node "$DATA"
echo "kvnode pid $NODE_PID on port $NODE_PORT"

# Put from an argument, from stdin, and with '-'; get prints the bytes exactly.
"$KV_BIN/kvput" --quiet greeting hello
[[ "$("$KV_BIN/kvget" greeting)" == "hello" ]] || fail "greeting"
printf 'from stdin' | "$KV_BIN/kvput" --quiet piped
[[ "$("$KV_BIN/kvget" piped)" == "from stdin" ]] || fail "piped"
printf 'dash' | "$KV_BIN/kvput" --quiet dashed -
[[ "$("$KV_BIN/kvget" dashed)" == "dash" ]] || fail "dashed"
# No newline is added: byte count is exact.
[[ $("$KV_BIN/kvget" greeting | wc -c) -eq 5 ]] || fail "kvget added bytes"

# Binary bytes round trip (every byte value, NULs included), and an empty value.
head -c 300000 /dev/urandom > "$WORK/random.bin"
for i in $(seq 0 255); do printf "\\$(printf '%03o' "$i")"; done >> "$WORK/random.bin"
"$KV_BIN/kvput" --quiet blob < "$WORK/random.bin"
"$KV_BIN/kvget" blob > "$WORK/blob.out"
cmp "$WORK/random.bin" "$WORK/blob.out" || fail "binary round trip"
: | "$KV_BIN/kvput" --quiet empty
"$KV_BIN/kvget" empty > "$WORK/empty.out" || fail "empty value not found"
[[ ! -s "$WORK/empty.out" ]] || fail "empty value not empty"

# JSON.
out=$("$KV_BIN/kvput" --json j1 v1)
[[ "$out" == '{"ok":true,"op":"put","key":"j1","value_bytes":2,"node":"127.0.0.1:'"$NODE_PORT"'"}' ]] \
  || fail "kvput --json: $out"
# kvget --json: one sibling with its value, clock and dot, and the context token.
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
out=$("$KV_BIN/kvget" --json j1)
[[ $(json_get "$out" 'd["key"], d["found"], len(d["siblings"])') == "('j1', True, 1)" ]] \
  || fail "kvget --json: $out"
[[ $(json_get "$out" 'd["siblings"][0]["value"], d["siblings"][0]["tombstone"]') == "('v1', False)" ]] \
  || fail "kvget --json sibling: $out"
[[ $(json_get "$out" 'len(d["context"]) > 0 and ":" in d["siblings"][0]["dot"]') == True ]] \
  || fail "kvget --json context and dot: $out"
printf '\xff\x00' | "$KV_BIN/kvput" --quiet binval
out=$("$KV_BIN/kvget" --json binval)
[[ $(json_get "$out" 'd["siblings"][0]["value"], d["siblings"][0]["value_base64"]') == "('/wA=', True)" ]] \
  || fail "kvget --json base64: $out"

# Delete with the context of a get (a blind delete would leave the value as a sibling); exit 1
# for a missing key, with a message on stderr.
token=$(json_get "$("$KV_BIN/kvget" --json greeting)" 'd["context"]')
"$KV_BIN/kvput" --quiet --delete --context "$token" greeting
expect_status 1 "kvget after delete" "$KV_BIN/kvget" greeting
grep -q "not found" "$WORK/err" || fail "not-found message"
expect_status 1 "kvget never written" "$KV_BIN/kvget" never-written
expect_status 1 "kvget --json missing" "$KV_BIN/kvget" --json never-written
grep -q '"found":false' "$WORK/out" || fail "kvget --json missing output"

# Exit 2: usage errors, oversized key or value (nothing written).
expect_status 2 "kvget without key" "$KV_BIN/kvget"
expect_status 2 "kvput unknown flag" "$KV_BIN/kvput" --bogus k v
expect_status 2 "kvput --delete with value" "$KV_BIN/kvput" --delete k v
expect_status 2 "kvput with a bad context" "$KV_BIN/kvput" --context 'not*base64' k v
grep -q "kvget printed" "$WORK/err" || fail "bad context message: $(cat "$WORK/err")"
expect_status 2 "kvget --r 0" "$KV_BIN/kvget" --r 0 k
expect_status 2 "bad --node" "$KV_BIN/kvget" --node nonsense k
head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$WORK/big"
expect_status 2 "oversized value from stdin" sh -c "\"$KV_BIN/kvput\" huge < \"$WORK/big\""
grep -q "16 MiB" "$WORK/err" || fail "oversized message: $(cat "$WORK/err")"
expect_status 1 "oversized value not written" "$KV_BIN/kvget" huge
expect_status 2 "oversized key" "$KV_BIN/kvput" "$(head -c 70000 /dev/zero | tr '\0' k)" v
expect_status 0 "value at the limit" sh -c "head -c $((16 * 1024 * 1024)) /dev/zero | \"$KV_BIN/kvput\" --quiet at-limit"
[[ $("$KV_BIN/kvget" at-limit | wc -c) -eq $((16 * 1024 * 1024)) ]] || fail "value at the limit"

# Help and version succeed.
for tool in kvnode kvput kvget kvring; do
  expect_status 0 "$tool --help" "$KV_BIN/$tool" --help
  expect_status 0 "$tool --version" "$KV_BIN/$tool" --version
  grep -q "$tool" "$WORK/out" || fail "$tool --version output"
done

# kvnode: a second node on the same data dir or port cannot start (3); bad flags are usage (2).
expect_status 3 "second kvnode on a locked data dir" "$KV_BIN/kvnode" --listen 127.0.0.1:0 --data-dir "$DATA"
grep -q "data dir" "$WORK/err" || fail "locked data dir message: $(cat "$WORK/err")"
expect_status 3 "kvnode on a port in use" "$KV_BIN/kvnode" --listen "127.0.0.1:$NODE_PORT" --data-dir "$WORK/other"
grep -q "in use" "$WORK/err" || fail "port in use message: $(cat "$WORK/err")"
expect_status 2 "kvnode bad --sync" "$KV_BIN/kvnode" --sync sometimes
expect_status 2 "kvnode bad --listen" "$KV_BIN/kvnode" --listen nowhere

# kill -9, restart on the same data dir: every acknowledged write is there.
for i in $(seq 1 50); do "$KV_BIN/kvput" --quiet "k$i" "v$i"; done
kill_node 9
# Exit 3: nobody listens any more.
expect_status 3 "kvget with the node down" "$KV_BIN/kvget" k1
grep -q "is kvnode running" "$WORK/err" || fail "unreachable message: $(cat "$WORK/err")"
expect_status 3 "kvput with the node down" "$KV_BIN/kvput" k1 v
start_node "$DATA"
grep -q "replayed" "$WORK/node.log" || fail "startup line"
for i in $(seq 1 50); do
  [[ "$("$KV_BIN/kvget" "k$i")" == "v$i" ]] || fail "k$i after kill -9"
done
"$KV_BIN/kvget" blob > "$WORK/blob.out"
cmp "$WORK/random.bin" "$WORK/blob.out" || fail "blob after kill -9"
expect_status 1 "deleted key stays deleted" "$KV_BIN/kvget" greeting

# A config file works like flags.
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "SIGTERM exit status $NODE_STATUS"
grep -q "stopped cleanly" "$WORK/node.log" || fail "no clean stop line"
cat > "$WORK/kvnode.toml" <<TOML
cluster-name = "blue"
sync = "periodic"
sync-period-ms = 5
TOML
start_node "$DATA" 0 --config "$WORK/kvnode.toml"
grep -q "cluster 'blue'" "$WORK/node.log" || fail "config file cluster name"
grep -q "sync periodic" "$WORK/node.log" || fail "config file sync mode"
expect_status 3 "wrong cluster name" "$KV_BIN/kvget" k1
grep -q "cluster 'blue'" "$WORK/err" || fail "wrong cluster message: $(cat "$WORK/err")"
[[ "$("$KV_BIN/kvget" --cluster-name blue k7)" == "v7" ]] || fail "k7 with the right cluster"
kill_node INT
[[ $NODE_STATUS -eq 0 ]] || fail "SIGINT exit status $NODE_STATUS"
echo "PASS"
