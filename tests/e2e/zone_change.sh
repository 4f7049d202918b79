#!/usr/bin/env bash
# kvnode --zone (issue 16): a bad zone is a usage error (exit 2) on the command line and in the
# config file; a node that holds data refuses to start in another zone than the one it ran in, or
# with none (exit 3, saying what to do), and starts again in its own.
source "$(dirname "$0")/node_lib.bash"

expect_status 2 "an empty zone" "$KV_BIN/kvnode" --zone "" --check-config
grep -q "zone is empty" "$WORK/err" || fail "empty zone: $(cat "$WORK/err")"
expect_status 2 "a zone with a space" "$KV_BIN/kvnode" --zone "rack 1" --check-config
grep -q "printable ASCII" "$WORK/err" || fail "zone with a space: $(cat "$WORK/err")"
expect_status 2 "a 65-byte zone" "$KV_BIN/kvnode" --zone "$(printf 'z%.0s' $(seq 65))" --check-config
grep -q "at most 64" "$WORK/err" || fail "long zone: $(cat "$WORK/err")"
printf 'zone = "eu-west-1a"\n' > "$WORK/good.toml"
expect_status 0 "zone in the config file" "$KV_BIN/kvnode" --config "$WORK/good.toml" --check-config
printf 'zone = "a b"\n' > "$WORK/bad.toml"
expect_status 2 "a zone with a space in the config file" \
  "$KV_BIN/kvnode" --config "$WORK/bad.toml" --check-config
echo "bad zones refused with exit 2; a good one in the config file accepted"

start_node "$WORK/data" 0 --zone rack-1
"$KV_BIN/kvput" --quiet k v || fail "put"
[[ "$("$KV_BIN/kvring" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][0]["zone"])')" == rack-1 ]] ||
  fail "kvring does not show zone rack-1"
port=$NODE_PORT
kill_node TERM

for other in "--zone rack-2" ""; do
  got=0
  # shellcheck disable=SC2086
  "$KV_BIN/kvnode" --listen "127.0.0.1:$port" --data-dir "$WORK/data" $other 2> "$WORK/restart.log" || got=$?
  [[ $got -eq 3 ]] || fail "restarted with '${other:-no zone}': exit $got, want 3"
  grep -q "last ran in zone rack-1" "$WORK/restart.log" && grep -q "start it with --zone rack-1" "$WORK/restart.log" ||
    fail "restarted with '${other:-no zone}': $(cat "$WORK/restart.log")"
done
echo "restarted in another zone or none: exit 3 ($(grep -o 'last ran in.*' "$WORK/restart.log" | head -c 200))"

start_node "$WORK/data" "$port" --zone rack-1
[[ "$("$KV_BIN/kvget" k)" == v ]] || fail "the data is not there after a restart in its zone"
kill_node TERM
echo "restarted in its own zone: serves its data"
