#!/usr/bin/env bash
# kvbench net end to end against a real kvnode on a free 127.0.0.1 port: put writes every key,
# get then finds every one of them, the JSON report has the promised fields (the server CPU per
# operation among them), the YCSB-style workloads a, b, c (with --load, zipfian keys, per-type
# figures), and a node that is not there is exit 3 with a message that says what to do.
source "$(dirname "$0")/node_lib.bash"

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

start_node "$WORK/data" 0 --sync batch

out=$("$KV_BIN/kvbench" net --workload put --num 3000 --concurrency 8 --json 2>"$WORK/stderr")
for name in workload ops seconds ops_per_sec concurrency p50_us p99_us p999_us; do
  field "$out" "$name" >/dev/null || fail "no $name in: $out"
done
[[ $(field "$out" ops) == 3000 && $(field "$out" concurrency) == 8 ]] || fail "put: $out"
# What the puts cost the node: its CPU time grew (one node on the ring, nothing left out).
[[ $(field "$out" server_cpu_nodes) == 1 ]] || fail "put: server_cpu_nodes: $out"
python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["server_cpu_us_per_op"] > 0 else 1)' \
  "$out" || fail "put: server_cpu_us_per_op: $out"
python3 -c 'import json,sys; sys.exit("server_cpu_note" in json.loads(sys.argv[1]))' "$out" \
  || fail "put: a server_cpu_note with every node counted: $out"
[[ ! -s $WORK/stderr ]] || fail "stderr not empty off a terminal: $(cat "$WORK/stderr")"

out=$("$KV_BIN/kvbench" net --node "$KV_NODE" --workload get --num 3000 --concurrency 4 --json)
[[ $(field "$out" found) == 3000 && $(field "$out" not_found) == 0 ]] || fail "get: $out"
"$KV_BIN/kvbench" net --workload get --num 500 --concurrency 2 >"$WORK/human"
grep -qE '^  server CPU: [0-9]+\.[0-9] µs/op \(user\+system, 1 node\)$' "$WORK/human" \
  || fail "get: no server CPU line: $(cat "$WORK/human")"

# The keys are the ones kvbench engine uses: key 42 is 42 zero-padded with a trailing 0.
expect_status 0 "kvget of a key kvbench put" "$KV_BIN/kvget" 0000000000000420
[[ $(wc -c <"$WORK/out") == 100 ]] || fail "value of key 42 is not 100 bytes"

# Gets over a larger key space than was put miss keys: exit 1 (the report is still printed).
expect_status 1 "get of keys never put" "$KV_BIN/kvbench" net --workload get --num 6000 \
  --concurrency 2 --json
(($(field "$(cat "$WORK/out")" not_found) > 0)) || fail "no misses reported: $(cat "$WORK/out")"
grep -q 'missed' "$WORK/err" || fail "no message for the misses: $(cat "$WORK/err")"

# YCSB-style workloads over the key space put wrote: every get finds its key; figures per type.
sub() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]])' "$1" "$2" "$3"; }
out=$("$KV_BIN/kvbench" net --workload a --keys 3000 --num 2000 --distribution zipfian \
  --concurrency 4 --json)
[[ $(field "$out" ops) == 2000 && $(field "$out" not_found) == 0 ]] || fail "a: $out"
[[ $(field "$out" distribution) == zipfian ]] || fail "a distribution: $out"
field "$out" siblings >/dev/null || fail "a: no siblings count: $out"
reads=$(sub "$out" read ops) updates=$(sub "$out" update ops)
((reads + updates == 2000 && reads > 700 && updates > 700)) || fail "a mix: $out"
for name in ops_per_sec p50_us p99_us p999_us; do
  sub "$out" update "$name" >/dev/null || fail "a: no update.$name in: $out"
done
out=$("$KV_BIN/kvbench" net --workload c --keys 3000 --num 1000 --r 1 --concurrency 2 --json)
[[ $(sub "$out" read ops) == 1000 && $(sub "$out" update ops) == 0 ]] || fail "c: $out"
# --load writes a fresh key space first (another key size: other keys), then runs b on it.
out=$("$KV_BIN/kvbench" net --workload b --keys 500 --key-size 20 --num 1000 --load --w 1 \
  --concurrency 2 --json)
[[ $(field "$out" load_ops) == 500 && $(field "$out" not_found) == 0 ]] || fail "b --load: $out"
# A workload over keys never loaded misses them: exit 1.
expect_status 1 "a over an unloaded key space" "$KV_BIN/kvbench" net --workload a --keys 100 \
  --key-size 24 --num 50 --concurrency 1
grep -q 'load it first' "$WORK/err" || fail "no hint to load: $(cat "$WORK/err")"
expect_status 2 "bad distribution" "$KV_BIN/kvbench" net --workload a --distribution latest

kill_node TERM
[[ $NODE_STATUS == 0 ]] || fail "kvnode exited $NODE_STATUS on SIGTERM"

expect_status 3 "put to a stopped node" "$KV_BIN/kvbench" net --workload put --num 10
grep -q 'kvnode' "$WORK/err" || fail "no hint in: $(cat "$WORK/err")"
expect_status 2 "bad --node" "$KV_BIN/kvbench" net --node nonsense --workload put --num 10
echo ok
