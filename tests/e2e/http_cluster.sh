#!/usr/bin/env bash
# The HTTP API on a 3-node cluster (N=3, R=W=2), through curl: a PUT through one node's HTTP API
# is read through another's, and a joining node's /health says so until it is normal; with two
# nodes killed, a blind PUT gets 503 saying the write may have been applied (code maybe_applied), a GET
# gets 503 (its read quorum is not met), /health on the survivor says it has not reached the
# cluster, and the survivor still answers. The positive control: the same PUT and GET with
# r=1 and w=1 are served by the survivor alone.
source "$(dirname "$0")/node_lib.bash"
source "$(dirname "$0")/cluster_lib.bash"
command -v curl >/dev/null || fail "curl is missing (scripts/install-deps installs it)"

CLUSTER_FLAGS=(--ring-delay-ms 300 --gossip-interval-ms 200 --io-threads 1 --http-listen 127.0.0.1:0
  --request-timeout-ms 1000)
# http I: node nI's HTTP API base URL, from this start's log line.
http() {
  grep -o 'HTTP API on http://127.0.0.1:[0-9]*' "$WORK/n$1.log" | tail -n 1 | sed 's/^HTTP API on //'
}
# status URL [curl args...]: the HTTP status; the body in $WORK/body.
status() {
  local url=$1
  shift
  curl -sS -o "$WORK/body" -w '%{http_code}' "$@" "$url" || echo "curl-failed"
}

start_member 1
start_member 2 nowait
# A joining node is not yet serving its ranges: /health says so (it joins after a ring delay).
got=$(status "$(http 2)/health")
if [[ $got == 503 ]]; then
  grep -q "joining\|not reached the cluster" "$WORK/body" || fail "n2's 503 /health says: $(cat "$WORK/body")"
fi
wait_until 60 "n2 is normal" is_normal 2
start_member 3
wait_until 30 "n1 sees n3 up" sees 1 n3 up

for i in 1 2 3; do
  [[ $(status "$(http "$i")/health") == 200 ]] || fail "n$i's /health: $(cat "$WORK/body")"
done
[[ $(status "$(http 1)/v1/kv/city" -X PUT --data-binary Lisbon) == 204 ]] || fail "PUT through n1: $(cat "$WORK/body")"
[[ $(status "$(http 3)/v1/kv/city") == 200 && $(cat "$WORK/body") == Lisbon ]] ||
  fail "GET through n3 read '$(cat "$WORK/body")'"
[[ $(status "$(http 2)/v1/kv/city?r=3") == 200 ]] || fail "GET with r=3: $(cat "$WORK/body")"

echo "== two nodes down: quorums not met are 503 with the reason =="
kill_member 2
kill_member 3
got=$(status "$(http 1)/v1/kv/city?blind=true" -X PUT --data-binary Porto)
[[ $got == 503 ]] || fail "a PUT at W=2 with one node up: HTTP $got, want 503 ($(cat "$WORK/body"))"
grep -q '"code":"maybe_applied"' "$WORK/body" || fail "the 503 is not maybe_applied: $(cat "$WORK/body")"
grep -q "may have been applied" "$WORK/body" || fail "the 503 does not say it may have been applied"
got=$(status "$(http 1)/v1/kv/city")
[[ $got == 503 ]] || fail "a GET at R=2 with one node up: HTTP $got, want 503 ($(cat "$WORK/body"))"
# The positive control: at quorums of 1 (the read before the write too) the survivor serves alone, so the 503s above were the quorum.
[[ $(status "$(http 1)/v1/kv/city?r=1&w=1" -X PUT --data-binary Faro) == 204 ]] ||
  fail "PUT with r=1 and w=1 on the survivor: $(cat "$WORK/body")"
[[ $(status "$(http 1)/v1/kv/city?r=1") =~ ^(200|300)$ ]] || fail "GET with r=1 on the survivor: $(cat "$WORK/body")"
wait_until 30 "n1 sees n2 down" sees 1 n2 down
wait_until 30 "n1 sees n3 down" sees 1 n3 down
got=$(status "$(http 1)/health")
[[ $got == 503 ]] || fail "/health on a node that sees no peer: HTTP $got"
grep -q "not reached the cluster" "$WORK/body" || fail "/health's 503 says: $(cat "$WORK/body")"
kill -0 "${PIDS[1]}" || fail "n1 died"
echo "http_cluster: ok"
