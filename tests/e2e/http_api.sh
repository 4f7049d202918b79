#!/usr/bin/env bash
# The HTTP API (kvnode --http-listen; man kv-http) through curl against a real node: put, get and
# delete; an overwrite overwrites (a PUT without a context reads first) while blind writes make
# siblings, served as 300 with every sibling and resolved with the X-Kv-Context header; 404 and
# 413 (a value refused from its Content-Length, a key past the limit); malformed requests (bad
# percent-encoding, query parameter, context, method) get 400 or 405 with a JSON error; a slow
# client gets 408 and garbage on the port gets 400, each on a closed connection, and the node
# stays alive; keep-alive serves several requests on one connection; HTTP connections count
# toward --max-connections (503 past it); over TLS it is HTTPS
# whose client certificate's role decides (a client certificate may put and get, not read
# /v1/stats: 403; an admin one may); and the Python standard-library client
# (tests/e2e/http_client.py) does the same round trips, over HTTP and HTTPS.
source "$(dirname "$0")/node_lib.bash"
command -v curl >/dev/null || fail "curl is missing (scripts/install-deps installs it)"
command -v python3 >/dev/null || fail "python3 is missing (scripts/install-deps installs it)"
SRC="${KV_SOURCE_DIR:-$(dirname "$0")/../..}"

# call WANT_STATUS DESCRIPTION CURL_ARGS...: one curl request; checks the status, leaves the body
# in $WORK/body and the headers in $WORK/headers.
call() {
  local want=$1 what=$2
  shift 2
  local got
  got=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "${CURL_TLS[@]}" "$@") ||
    fail "$what: curl failed"
  [[ $got == "$want" ]] || fail "$what: HTTP $got, want $want (body: $(head -c 300 "$WORK/body"))"
}
header() { grep -i "^$1:" "$WORK/headers" | tail -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
alive() { call 200 "the node still answers /health after $1" "$BASE/health"; }
CURL_TLS=()

echo "== start a node with its HTTP API on a free port =="
start_node "$WORK/data" 0 --http-listen 127.0.0.1:0 --body-timeout-ms 1000
BASE=$(http_base)
HOSTPORT=${BASE#http://}

echo "== put, get, delete =="
call 204 "PUT greeting" -X PUT --data-binary hello "$BASE/v1/kv/greeting"
call 200 "GET greeting" "$BASE/v1/kv/greeting"
[[ $(cat "$WORK/body") == hello ]] || fail "GET read '$(cat "$WORK/body")', want hello"
[[ -n $(header X-Kv-Context) ]] || fail "GET returned no X-Kv-Context header"
[[ $(header Content-Type) == application/octet-stream ]] || fail "GET's Content-Type is $(header Content-Type)"
# The same value through the native protocol: one store, two ways in.
[[ $("$KV_BIN/kvget" greeting) == hello ]] || fail "kvget does not read what HTTP wrote"
call 204 "PUT overwrites (a PUT without a context reads first)" -X PUT --data-binary world "$BASE/v1/kv/greeting"
call 200 "GET after the overwrite" "$BASE/v1/kv/greeting"
[[ $(cat "$WORK/body") == world ]] || fail "the overwrite read back '$(cat "$WORK/body")', want world (no siblings)"
call 204 "DELETE greeting" -X DELETE "$BASE/v1/kv/greeting"
call 404 "GET after DELETE" "$BASE/v1/kv/greeting"
grep -q '"code":"not_found"' "$WORK/body" || fail "404's body is not the JSON error: $(cat "$WORK/body")"
call 404 "GET of a key never written" "$BASE/v1/kv/never-written"

echo "== binary values and keys with any bytes, percent-encoded =="
head -c 4096 /dev/urandom > "$WORK/blob"
call 204 "PUT binary under a key with '/' and a space" -X PUT --data-binary @"$WORK/blob" "$BASE/v1/kv/a%2Fb%20c"
call 200 "GET the binary value" "$BASE/v1/kv/a%2Fb%20c"
cmp -s "$WORK/blob" "$WORK/body" || fail "the binary value came back different"
[[ $("$KV_BIN/kvget" "a/b c" | head -c 4096 | cmp -s - "$WORK/blob" && echo same) == same ]] ||
  fail "kvget does not read the percent-decoded key 'a/b c'"

echo "== siblings: blind writes make a 300; the context resolves them =="
call 204 "blind PUT 1" -X PUT --data-binary red "$BASE/v1/kv/color?blind=true"
call 204 "blind PUT 2" -X PUT --data-binary blue "$BASE/v1/kv/color?blind=true"
call 300 "GET with siblings" "$BASE/v1/kv/color"
context=$(header X-Kv-Context)
python3 - "$WORK/body" "$context" <<'PY' || fail "the 300 body is not every sibling with its clock"
import json, sys
body = json.load(open(sys.argv[1]))
values = sorted(s["value"] for s in body["siblings"])
assert values == ["blue", "red"], values
assert all("clock" in s and s["tombstone"] is False for s in body["siblings"]), body
assert body["context"] == sys.argv[2], (body["context"], sys.argv[2])
PY
call 204 "PUT with the context resolves" -X PUT -H "X-Kv-Context: $context" --data-binary purple "$BASE/v1/kv/color"
call 200 "GET after resolving" "$BASE/v1/kv/color"
[[ $(cat "$WORK/body") == purple ]] || fail "after resolving read '$(cat "$WORK/body")', want purple"

echo "== 413: a value past 16 MiB (refused from its Content-Length), a key past 64 KiB =="
head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$WORK/big"
call 413 "PUT of 16 MiB + 1" -X PUT --data-binary @"$WORK/big" "$BASE/v1/kv/big"
grep -q "limit of 16777216 bytes; nothing was written" "$WORK/body" || fail "413 does not say the limit: $(cat "$WORK/body")"
call 404 "nothing was written by the refused PUT" "$BASE/v1/kv/big"
head -c $((16 * 1024 * 1024)) /dev/zero > "$WORK/max"
call 204 "PUT of exactly 16 MiB" -X PUT --data-binary @"$WORK/max" "$BASE/v1/kv/max"
call 413 "a key of 64 KiB + 1" "$BASE/v1/kv/$(head -c 65537 /dev/zero | tr '\0' k)"

echo "== malformed requests: 400 or 405, with a JSON error =="
call 400 "a bad percent-encoding" "$BASE/v1/kv/bad%zz"
grep -q '"code":"invalid_argument"' "$WORK/body" || fail "400's body: $(cat "$WORK/body")"
call 400 "an empty key" "$BASE/v1/kv/"
call 400 "r=abc" "$BASE/v1/kv/k?r=abc"
call 400 "an unknown query parameter" "$BASE/v1/kv/k?consistency=all"
call 400 "a context that is not a token" -X PUT -H "X-Kv-Context: not-base64!" --data-binary x "$BASE/v1/kv/k"
call 400 "w on a GET" "$BASE/v1/kv/k?w=1"
call 405 "POST to a key" -X POST --data-binary x "$BASE/v1/kv/k"
[[ $(header Allow) == "GET, PUT, DELETE" ]] || fail "405 without Allow: GET, PUT, DELETE"
call 404 "an unknown path" "$BASE/v2/whatever"
alive "malformed requests"

echo "== ring, stats, health =="
call 200 "GET /v1/ring" "$BASE/v1/ring"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["nodes"][0]["status"]=="up", r' "$WORK/body" ||
  fail "/v1/ring is not the ring JSON: $(cat "$WORK/body")"
"$KV_BIN/kvring" --json > "$WORK/kvring.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert sorted(a)==sorted(b) and sorted(a["nodes"][0])==sorted(b["nodes"][0]), (a, b)' \
  "$WORK/body" "$WORK/kvring.json" || fail "/v1/ring's fields are not kvring --json's"
call 200 "GET /v1/stats" "$BASE/v1/stats"
grep -q '"log_syncs":' "$WORK/body" || fail "/v1/stats is not the stats JSON: $(cat "$WORK/body")"
call 200 "GET /health" "$BASE/health"
[[ $(cat "$WORK/body") == ok ]] || fail "/health said '$(cat "$WORK/body")'"

echo "== keep-alive: two requests, one connection =="
curl -sS -v -o /dev/null -o /dev/null "$BASE/health" "$BASE/v1/kv/color" 2> "$WORK/verbose" ||
  fail "curl with two URLs failed"
grep -q "Re-using existing connection" "$WORK/verbose" || fail "curl did not reuse the connection"

echo "== a slow client gets 408 and a close; garbage gets 400 and a close =="
# raw BYTES SLEEP: sends BYTES on a new connection, waits, then prints what the node answered
# (until it closes; 5 s at most).
raw() {
  exec 3<>"/dev/tcp/127.0.0.1/${HOSTPORT##*:}"
  printf "$1" >&3
  sleep "$2"
  timeout 5 cat <&3 || true
  exec 3<&-
}
raw 'GET /v1/kv/color HTTP/1.1\r\nHost: x\r\n' 2 > "$WORK/slow"
grep -q "^HTTP/1.1 408" "$WORK/slow" || fail "a slow client was not answered 408: $(cat "$WORK/slow")"
grep -q "did not arrive whole within 1000 ms" "$WORK/slow" || fail "408 does not say why"
alive "a slow client"
raw '\x16\x03\x01garbage\x00\xff\r\n\r\n' 0 > "$WORK/garbage"
grep -q "^HTTP/1.1 400" "$WORK/garbage" || fail "garbage was not answered 400: $(cat "$WORK/garbage")"
alive "garbage on the port"
# A connection that sends nothing is not cut by the body timeout (1 s) but by the idle one.
raw '' 2 > "$WORK/idle"
[[ ! -s $WORK/idle ]] || fail "an idle connection got an answer: $(cat "$WORK/idle")"

echo "== the Python standard-library client =="
python3 "$SRC/tests/e2e/http_client.py" "$BASE" > "$WORK/py" 2>&1 || { cat "$WORK/py" >&2; fail "http_client.py failed"; }
tail -n 1 "$WORK/py"

echo "== stop: the node exits 0 =="
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "kvnode exited $NODE_STATUS on SIGTERM"

echo "== --http-listen on a port in use: a clear error naming the flag =="
start_node "$WORK/data2" 0 --http-listen 127.0.0.1:0
BUSY=$(http_base)
"$KV_BIN/kvnode" --listen 127.0.0.1:0 --data-dir "$WORK/data3" --http-listen "${BUSY#http://}" 2> "$WORK/busy" &&
  fail "a second node started on an HTTP port in use"
grep -q -- "--http-listen off" "$WORK/busy" || fail "the bind error does not name the flag: $(cat "$WORK/busy")"
kill_node TERM

echo "== HTTP connections count toward --max-connections: past it, 503 and a close =="
start_node "$WORK/capped" 0 --http-listen 127.0.0.1:0 --max-connections 1
BASE=$(http_base)
exec 4<>"/dev/tcp/127.0.0.1/${BASE##*:}"  # holds the one slot, idle
sleep 0.2
call 503 "a second HTTP connection past --max-connections 1" "$BASE/health"
grep -q "raise --max-connections" "$WORK/body" || fail "the 503 does not say the limit: $(cat "$WORK/body")"
exec 4<&-
# The positive control: with the slot free again the same request is served.
for _ in $(seq 1 50); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/health") == 200 ]] && break
  sleep 0.1
done
call 200 "the same request once the slot is free" "$BASE/health"
kill_node TERM

echo "== over TLS: HTTPS with client certificates, their role applied =="
if ! command -v openssl >/dev/null; then
  echo "skip: no openssl command"
  echo "http_api: ok"
  exit 0
fi
CERTS="$WORK/certs"
"$SRC/scripts/make-certs" "$CERTS" n1:peer app:client ops:admin > /dev/null
start_node "$WORK/tls" 0 --id n1 --http-listen 127.0.0.1:0 --tls-cert "$CERTS/n1.crt" \
  --tls-key "$CERTS/n1.key" --tls-ca "$CERTS/ca.crt"
TLS_BASE=$(http_base)
[[ $TLS_BASE == https://* ]] || fail "the TLS node's HTTP API is not HTTPS: $TLS_BASE"
PORT=${TLS_BASE##*:}
# The node's certificate names n1: curl reaches 127.0.0.1 under that name and checks it.
BASE="https://n1:$PORT"
as() { CURL_TLS=(--resolve "n1:$PORT:127.0.0.1" --cacert "$CERTS/ca.crt" --cert "$CERTS/$1.crt" --key "$CERTS/$1.key"); }
as app
call 204 "HTTPS PUT with a client certificate" -X PUT --data-binary secret "$BASE/v1/kv/s"
call 200 "HTTPS GET with a client certificate" "$BASE/v1/kv/s"
[[ $(cat "$WORK/body") == secret ]] || fail "HTTPS GET read '$(cat "$WORK/body")'"
call 403 "/v1/stats with a client certificate" "$BASE/v1/stats"
grep -q "needs role admin" "$WORK/body" || fail "403 does not say the role: $(cat "$WORK/body")"
call 403 "/metrics with a client certificate" "$BASE/metrics"
grep -q "needs role admin" "$WORK/body" || fail "403 does not say the role: $(cat "$WORK/body")"
as ops
call 200 "/v1/stats with an admin certificate (the positive control)" "$BASE/v1/stats"
call 200 "/metrics with an admin certificate (the positive control)" "$BASE/metrics"
grep -q '^# TYPE kv_requests_total counter$' "$WORK/body" || fail "/metrics over HTTPS: $(head -c 300 "$WORK/body")"
CURL_TLS=(--resolve "n1:$PORT:127.0.0.1" --cacert "$CERTS/ca.crt")
curl -sS -o /dev/null "${CURL_TLS[@]}" "$BASE/health" 2> "$WORK/nocert" &&
  fail "an HTTPS request without a client certificate was served"
status=0
curl -sS -o /dev/null "http://127.0.0.1:$PORT/health" 2> /dev/null || status=$?
[[ $status -ne 0 ]] || fail "plain HTTP was served on the TLS node's HTTP port"
as app
call 200 "the TLS node still answers" "$BASE/health"
python3 "$SRC/tests/e2e/http_client.py" "$BASE" --connect 127.0.0.1 --ca "$CERTS/ca.crt" \
  --cert "$CERTS/app.crt" --key "$CERTS/app.key" > "$WORK/py" 2>&1 ||
  { cat "$WORK/py" >&2; fail "http_client.py over HTTPS failed"; }
tail -n 1 "$WORK/py"
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "the TLS node exited $NODE_STATUS on SIGTERM"
echo "http_api: ok"
