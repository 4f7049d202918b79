#!/usr/bin/env bash
# kvnode's connection limits against raw sockets (bash's /dev/tcp) on 127.0.0.1, each with short
# limits from its flags: slow bodies are cut off and a 100 KiB put goes through meanwhile; idle
# connections are closed and a new client is served; the connection past the per-address limit is
# refused with a clear message; headers declaring huge bodies do not lock out a normal put.
# Timeouts here only bound waiting.
source "$(dirname "$0")/node_lib.bash"

head -c $((100 << 10)) /dev/zero | tr '\0' 'v' > "$WORK/100k"

# A little-endian fixed32 as printf escapes.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
HANDSHAKE='kvNP\x02\x00\x00\x00\x02kv'
# put_header BODY_BYTES: a PutRequest header (type 5, request id 1) declaring that body.
put_header() { printf '%s\\x05\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00' "$(le32 $((9 + $1)))"; }

# open_fd FD: a handshaken connection on file descriptor FD.
open_fd() { eval "exec $1<>/dev/tcp/127.0.0.1/$NODE_PORT"; printf "$HANDSHAKE" >&"$1"; }
close_fd() { eval "exec $1>&-"; }

# wait_for TEXT COUNT: until the node log has COUNT lines with TEXT (10 s at most).
wait_for() {
  for _ in $(seq 1 200); do
    (($(grep -c -- "$1" "$WORK/node.log" || true) >= $2)) && return 0
    sleep 0.05
  done
  fail "the node did not log '$1' $2 times"
}

# 1. Slowloris: two bodies that never finish. A 100 KiB put goes through while they hang, and
#    both are cut off after the body deadline.
start_node "$WORK/d1" 0 --body-timeout-ms 500
open_fd 5; open_fd 6
for fd in 5 6; do
  printf "$(put_header $((16 << 20)))" >&$fd
  head -c $((200 << 10)) /dev/zero >&$fd
done
expect_status 0 "a 100 KiB put during slow bodies" "$KV_BIN/kvput" --quiet during < "$WORK/100k"
wait_for "did not arrive whole" 2
close_fd 5; close_fd 6
kill_node TERM

# 2. Idle connections: 16 of 16 slots held by idle clients; closed after 1 s, then a client is
#    served.
start_node "$WORK/d2" 0 --max-connections 16 --idle-timeout-s 1
for fd in $(seq 10 25); do open_fd $fd; done
sleep 0.3
expect_status 3 "a client while every slot is held" "$KV_BIN/kvput" --quiet early v
grep -q "connections open" "$WORK/err" || fail "the refusal does not name the limit: $(cat "$WORK/err")"
served=0
for _ in $(seq 1 100); do
  if "$KV_BIN/kvput" --quiet late v 2> /dev/null; then served=1; break; fi
  sleep 0.1
done
((served)) || fail "idle connections were not closed: no client served within 10 s"
for fd in $(seq 10 25); do close_fd $fd; done
kill_node TERM

# 3. Per-address limit: the sixth connection from 127.0.0.1 is refused with the message; the
#    node keeps serving once one goes.
start_node "$WORK/d3" 0 --max-connections-per-address 5
for fd in $(seq 10 14); do open_fd $fd; done
sleep 0.3
expect_status 3 "the sixth connection" "$KV_BIN/kvput" --quiet sixth v
grep -q "too many connections from 127.0.0.1 (limit 5); raise --max-connections-per-address" \
  "$WORK/err" || fail "the refusal is not the clear one: $(cat "$WORK/err")"
close_fd 14
served=0
for _ in $(seq 1 100); do
  if "$KV_BIN/kvput" --quiet fifth v 2> /dev/null; then served=1; break; fi
  sleep 0.1
done
((served)) || fail "no client served after one of the five went"
for fd in $(seq 10 13); do close_fd $fd; done
kill_node TERM

# 4. Headers declaring huge bodies (together just under the default 32 MiB connection share,
#    and no body at all) do not lock out a normal put.
start_node "$WORK/d4" 0 --body-timeout-ms 0
open_fd 5; open_fd 6
for fd in 5 6; do printf "$(put_header $(((16 << 20) - (10 << 10))))" >&$fd; done
sleep 0.3
expect_status 0 "a 100 KiB put beside huge headers" "$KV_BIN/kvput" --quiet normal < "$WORK/100k"
close_fd 5; close_fd 6
kill_node TERM
echo "ok: connection limits"
