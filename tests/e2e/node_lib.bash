# Shared by the e2e scripts (sourced, not a test itself: only *.sh files are tests).
# Needs KV_BIN. Nodes listen on 127.0.0.1 only, are stopped by pid, and their data lives in a
# mktemp -d directory removed on exit.

set -euo pipefail
: "${KV_BIN:?set KV_BIN to the directory of the kv programs}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kv-e2e.XXXXXX")
NODE_PID=""
NODE_PORT=""

cleanup() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -9 "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -f "$WORK/node.log" ]]; then
    echo "--- node log ---" >&2
    tail -n 20 "$WORK/node.log" >&2
  fi
  exit 1
}

# start_node DATA_DIR [PORT] [extra kvnode flags...]: starts kvnode in the background, waits for
# its "listening on" line, and sets NODE_PID and NODE_PORT. PORT 0 (the default) picks a free one.
start_node() {
  local data=$1 port=${2:-0}
  shift 2 || shift $#
  : > "$WORK/node.log"
  "$KV_BIN/kvnode" --listen "127.0.0.1:$port" --data-dir "$data" "$@" 2>> "$WORK/node.log" &
  NODE_PID=$!
  for _ in $(seq 1 200); do
    if line=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/node.log" 2>/dev/null); then
      NODE_PORT=${line##*:}
      export KV_NODE="127.0.0.1:$NODE_PORT"
      return 0
    fi
    kill -0 "$NODE_PID" 2>/dev/null || fail "kvnode exited at start"
    sleep 0.05
  done
  fail "kvnode did not start listening within 10 s"
}

# http_base: the node's HTTP API base URL from its log ("HTTP API on http://127.0.0.1:PORT/").
http_base() {
  local url=""
  for _ in $(seq 1 100); do
    url=$(grep -o 'HTTP API on https\?://127.0.0.1:[0-9]*' "$WORK/node.log" | tail -n 1 |
      sed 's/^HTTP API on //') && [[ -n $url ]] && { echo "$url"; return 0; }
    sleep 0.05
  done
  fail "the node logged no HTTP API address"
}

# kill_node SIGNAL: sends SIGNAL to the node and waits; sets NODE_STATUS to its exit status.
kill_node() {
  kill "-$1" "$NODE_PID"
  NODE_STATUS=0
  wait "$NODE_PID" || NODE_STATUS=$?
  NODE_PID=""
}

# expect_status WANT DESCRIPTION CMD...: runs CMD and checks its exit status.
expect_status() {
  local want=$1 what=$2
  shift 2
  local got=0
  "$@" > "$WORK/out" 2> "$WORK/err" || got=$?
  [[ $got -eq $want ]] || fail "$what: exit $got, want $want (stderr: $(cat "$WORK/err"))"
}
