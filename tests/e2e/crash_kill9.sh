#!/usr/bin/env bash
# Crash test: a writer puts keys through a kvnode with --sync batch and logs every
# acknowledgement; kvnode is killed with SIGKILL at random moments, restarted, and every
# acknowledged key must read back with its last acknowledged value (or a later attempted one: a
# write cut off before its answer may still have landed). Checked after every restart, so a loss
# cannot be hidden by a later write. Prints cycles, acknowledged, missing (must be 0) and wrong
# (must be 0). KV_CRASH_TLS=1 runs it with TLS on: the node with a certificate of its own, the
# writer with a client certificate (scripts/make-certs into the test's directory).
source "$(dirname "$0")/node_lib.bash"

WRITER="$KV_BIN/../tests/kv_crash_writer"
[[ -x "$WRITER" ]] || fail "missing $WRITER (build the kv_crash_writer target)"
CYCLES=${KV_CRASH_CYCLES:-50}
SEED=${KV_CRASH_SEED:-20261125}
RANDOM=$SEED
echo "seed $SEED, $CYCLES cycles"

TLS_FLAGS=()
if [[ ${KV_CRASH_TLS:-0} == 1 ]]; then
  certs="$WORK/certs"
  "${KV_SOURCE_DIR:-$(dirname "$0")/../..}/scripts/make-certs" "$certs" crash:peer writer:client \
    >/dev/null
  TLS_FLAGS=(--tls-cert "$certs/crash.crt" --tls-key "$certs/crash.key" --tls-ca "$certs/ca.crt")
  export KV_TLS_CERT="$certs/writer.crt" KV_TLS_KEY="$certs/writer.key" KV_TLS_CA="$certs/ca.crt"
  echo "with TLS"
fi

DATA="$WORK/data"
LOG="$WORK/acks.log"
: > "$LOG"
start_node "$DATA" 0 --sync batch "${TLS_FLAGS[@]}"
PORT=$NODE_PORT  # later restarts reuse it (kvnode binds with SO_REUSEADDR)
WRITER_PID=""
stop_writer() {
  if [[ -n "$WRITER_PID" ]]; then
    kill -9 "$WRITER_PID" 2>/dev/null || true
    wait "$WRITER_PID" 2>/dev/null || true
    WRITER_PID=""
  fi
}
trap 'stop_writer; cleanup' EXIT

total_missing=0
total_wrong=0
for cycle in $(seq 1 "$CYCLES"); do
  "$WRITER" write --node "127.0.0.1:$PORT" --log "$LOG" --threads 8 --keys 32 \
    --seq-base $((cycle * 100000000)) --seed $((SEED + cycle)) &
  WRITER_PID=$!
  # 20 to 400 ms of writing, then SIGKILL mid-flight.
  sleep "0.$(printf '%03d' $((20 + RANDOM % 380)))"
  kill_node 9
  stop_writer
  start_node "$DATA" "$PORT" --sync batch "${TLS_FLAGS[@]}"
  result=$("$WRITER" check --node "127.0.0.1:$PORT" --log "$LOG" 2> "$WORK/check.err") || true
  missing=$(sed -n 's/.*missing=\([0-9]*\).*/\1/p' <<< "$result")
  wrong=$(sed -n 's/.*wrong=\([0-9]*\).*/\1/p' <<< "$result")
  [[ -n "$missing" && -n "$wrong" ]] || fail "cycle $cycle: checker failed: $(cat "$WORK/check.err")"
  if (( missing > 0 || wrong > 0 )); then
    cat "$WORK/check.err" >&2
    total_missing=$((total_missing + missing))
    total_wrong=$((total_wrong + wrong))
    echo "cycle $cycle: $result" >&2
  fi
done
acknowledged=$(grep -c '^K ' "$LOG" || true)
echo "cycles=$CYCLES acknowledged=$acknowledged final: $result"
echo "cycles=$CYCLES acknowledged=$acknowledged missing=$total_missing wrong=$total_wrong"
(( acknowledged > 0 )) || fail "no write was ever acknowledged"
(( total_missing == 0 && total_wrong == 0 )) || fail "acknowledged writes lost or wrong"
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "SIGTERM exit status $NODE_STATUS"
echo "PASS"
