#!/usr/bin/env bash
# TLS and roles against real kvnode processes (issue 13): a 3-node cluster with certificates from
# scripts/make-certs serves puts and gets to a client certificate; every request outside a
# certificate's role is refused with a clear error, the node stays up and the data is unchanged,
# and the same request with the right role's certificate is served (the positive control); a
# certificate from another CA, an expired one and none at all are refused at the TLS handshake;
# a plaintext client against a TLS node, and a TLS client against a plaintext node, are told
# what is wrong; a node's id must be its certificate's CN; and a node on a non-loopback address
# without TLS refuses to start (before binding: nothing here listens beyond 127.0.0.1).
source "$(dirname "$0")/node_lib.bash"
source "$(dirname "$0")/cluster_lib.bash"

RAW="$KV_BIN/../tests/kv_raw_frame"
[[ -x $RAW ]] || fail "missing $RAW (build the kv_raw_frame target)"
command -v openssl >/dev/null || { echo "skip: no openssl command"; exit 0; }
MAKE_CERTS="${KV_SOURCE_DIR:-$(dirname "$0")/../..}/scripts/make-certs"
CERTS="$WORK/certs"
"$MAKE_CERTS" "$CERTS" n1:peer n2:peer n3:peer admin:admin app:client >/dev/null

CLUSTER_TLS_DIR=$CERTS
CLUSTER_FLAGS=(--ring-delay-ms 300 --gossip-interval-ms 200 --io-threads 1)
export KV_TLS_CERT="$CERTS/admin.crt" KV_TLS_KEY="$CERTS/admin.key" KV_TLS_CA="$CERTS/ca.crt"
for i in 1 2 3; do start_member "$i"; done
wait_until 30 "n1 sees three nodes up" sees 1 n3 up

creds() { echo --tls-cert "$CERTS/$1.crt" --tls-key "$CERTS/$1.key" --tls-ca "$CERTS/ca.crt"; }
as() {  # as CERT CMD...: runs a kv tool with that certificate
  local who=$1
  shift
  KV_TLS_CERT="$CERTS/$who.crt" KV_TLS_KEY="$CERTS/$who.key" "$@"
}

echo "== a client certificate puts and gets through the TLS cluster =="
expect_status 0 "kvput with a client certificate" as app "$KV_BIN/kvput" --node "$(node 1)" k v1
expect_status 0 "kvget with a client certificate" as app "$KV_BIN/kvget" --node "$(node 3)" k
[[ $(cat "$WORK/out") == v1 ]] || fail "kvget read '$(cat "$WORK/out")', want v1"

# raw WHO TYPE [flags...]: one hand-made request to n1 with WHO's certificate; its answer line.
raw() {
  local who=$1 type=$2
  shift 2
  # shellcheck disable=SC2046
  "$RAW" send --node "$(node 1)" $(creds "$who") --type "$type" "$@" 2>&1 || true
}

echo "== requests outside the role are refused; the node stays up; nothing changes =="
for type in LeaveRequest CleanupRequest StatsRequest MetricsRequest RepairRequest LeafKeysRequest \
  MerkleLevelRequest ReplicaReadRequest ReplicaWriteRequest GossipSyn GossipAck2; do
  out=$(raw app "$type" --key k --value forged --from n2)
  [[ $out == "answer Error permission denied: this connection's certificate has role client; $type needs role "* ]] ||
    fail "client certificate, $type: $out"
done
for type in ReplicaReadRequest ReplicaWriteRequest GossipSyn GossipAck2 LeafKeysRequest; do
  out=$(raw admin "$type" --key k --value forged --from n2)
  [[ $out == *"certificate has role admin; $type needs role peer"* ]] || fail "admin, $type: $out"
done
for type in LeaveRequest CleanupRequest StatsRequest MetricsRequest RepairRequest; do
  out=$(raw n2 "$type" --status-only)
  [[ $out == *"certificate has role peer; $type needs role admin"* ]] || fail "peer, $type: $out"
done
# A peer may not speak for another node in the gossip it starts.
out=$(raw n2 GossipSyn --from n1)
[[ $out == *"names node 'n2'; a GossipSyn from 'n1' is refused"* ]] || fail "forged GossipSyn: $out"
kill -0 "${PIDS[1]}" || fail "n1 died"
expect_status 0 "kvget after the refusals" as app "$KV_BIN/kvget" --node "$(node 1)" k
[[ $(cat "$WORK/out") == v1 ]] || fail "k changed to '$(cat "$WORK/out")' after refused requests"
[[ $(ring_field 1 n1 state) == normal ]] || fail "n1 is no longer normal"
[[ $("$KV_BIN/kvring" --node "$(node 1)" --json | grep -o '"id"' | wc -l) -eq 3 ]] ||
  fail "the ring changed"

echo "== a refusal is logged once per connection =="
before=$(grep -c "further refusals on this connection" "$WORK/n1.log" || true)
out=$("$RAW" send --node "$(node 1)" $(creds app) --type StatsRequest --repeat 5 2>&1)
[[ $(grep -c "needs role admin" <<<"$out") -eq 5 ]] || fail "five refusals expected: $out"
after=$(grep -c "further refusals on this connection" "$WORK/n1.log" || true)
[[ $((after - before)) -eq 1 ]] || fail "logged $((after - before)) times, want once"

echo "== positive control: the right role is served =="
out=$(raw admin LeaveRequest --status-only)
[[ $out == "answer LeaveResponse" ]] || fail "admin LeaveRequest (status): $out"
out=$(raw admin CleanupRequest --status-only)
[[ $out == "answer CleanupResponse" ]] || fail "admin CleanupRequest (status): $out"
out=$(raw admin StatsRequest)
[[ $out == "answer StatsResponse" ]] || fail "admin StatsRequest: $out"
out=$(raw admin RepairRequest)
[[ $out == "answer RepairResponse" ]] || fail "admin RepairRequest: $out"
out=$(raw admin GetRequest --key k)
[[ $out == "answer GetResponse" ]] || fail "admin GetRequest: $out"
out=$(raw n2 ReplicaReadRequest --key k)
[[ $out == "answer ReplicaReadResponse" ]] || fail "peer ReplicaReadRequest: $out"
out=$(raw n2 ReplicaWriteRequest --key other --value planted-by-a-peer)
[[ $out == "answer ReplicaWriteResponse" ]] || fail "peer ReplicaWriteRequest: $out"
out=$(raw n2 GossipSyn --from n2)
[[ $out == "answer GossipAck" ]] || fail "peer GossipSyn: $out"
out=$(raw n2 GossipAck2)
[[ $out == "answer GossipDone" ]] || fail "peer GossipAck2: $out"
out=$(raw n2 LeafKeysRequest)
[[ $out != *"needs role"* && $out == answer* ]] || fail "peer LeafKeysRequest: $out"
out=$(raw n2 MerkleLevelRequest)
[[ $out != *"needs role"* && $out == answer* ]] || fail "peer MerkleLevelRequest: $out"
out=$(raw n2 PutRequest --key fwd --value forwarded)
[[ $out == "answer PutResponse" ]] || fail "peer PutRequest (a forwarded write): $out"
expect_status 0 "kvring stats with an admin certificate" "$KV_BIN/kvring" --node "$(node 1)" stats
expect_status 5 "kvring stats with a client certificate" as app "$KV_BIN/kvring" --node "$(node 1)" stats
grep -q "StatsRequest needs role admin" "$WORK/err" || fail "kvring stats said: $(cat "$WORK/err")"
# An operator on a TLS cluster reads the metrics with kvring and an admin certificate.
expect_status 0 "kvring metrics with an admin certificate" "$KV_BIN/kvring" --node "$(node 1)" metrics
grep -q '^kv_requests_total{op="get",outcome="ok"} ' "$WORK/out" ||
  fail "kvring metrics printed no get count: $(head -c 300 "$WORK/out")"
expect_status 5 "kvring metrics with a client certificate" as app "$KV_BIN/kvring" --node "$(node 1)" metrics
grep -q "MetricsRequest needs role admin" "$WORK/err" || fail "kvring metrics said: $(cat "$WORK/err")"

# s_client WHO...: a TLS connection with openssl's client (which, unlike the kv tools, does not
# check its own certificate first), sending the kv handshake; prints what it saw.
s_client() {
  (printf 'kvNP\002\000\000\000\002kv'; sleep 1) |
    timeout 10 openssl s_client -connect "$(node 1)" -CAfile "$CERTS/ca.crt" -quiet "$@" 2>&1 || true
}
refusals() { grep -c "closing connection from" "$WORK/n1.log" || true; }

echo "== no certificate, another CA's, an expired one: refused at the TLS handshake =="
before=$(refusals)
s_client >/dev/null
wait_until 5 "n1 logs the refusal of a client without a certificate" \
  grep -q "peer did not return a certificate\|certificate required" "$WORK/n1.log"
"$MAKE_CERTS" "$WORK/other" intruder:admin >/dev/null
s_client -cert "$WORK/other/intruder.crt" -key "$WORK/other/intruder.key" >/dev/null
wait_until 5 "n1 logs the refusal of another CA's certificate" \
  grep -q "the peer's certificate was refused: unable to get local issuer certificate" "$WORK/n1.log"
# An expired certificate of the right CA: openssl ca can backdate one.
db="$WORK/ca-db"
mkdir -p "$db"
: >"$db/index.txt"
echo 01 >"$db/serial"
cat >"$db/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = p
unique_subject = no
[p]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
CNF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$db/old.key" \
  -out "$db/old.csr" -subj "/O=kv/OU=admin/CN=old" 2>/dev/null
openssl ca -batch -config "$db/ca.cnf" -cert "$CERTS/ca.crt" -keyfile "$CERTS/ca.key" \
  -in "$db/old.csr" -out "$db/old.crt" -startdate 20200101000000Z -enddate 20200201000000Z \
  -notext 2>/dev/null || fail "openssl ca could not make an expired certificate"
s_client -cert "$db/old.crt" -key "$db/old.key" >/dev/null
wait_until 5 "n1 logs the refusal of an expired certificate" \
  grep -q "the peer's certificate was refused: certificate has expired" "$WORK/n1.log"
(($(refusals) >= before + 3)) || fail "n1 did not close the three connections"
# The kv tools refuse such credentials before connecting, and say why.
expect_status 2 "kvget with an expired certificate" \
  "$KV_BIN/kvget" --node "$(node 1)" --tls-cert "$db/old.crt" --tls-key "$db/old.key" k
grep -q "certificate has expired" "$WORK/err" || fail "kvget said: $(cat "$WORK/err")"
kill -0 "${PIDS[1]}" || fail "n1 died"

echo "== a plaintext client against a TLS node =="
expect_status 3 "kvget without TLS" env -u KV_TLS_CERT -u KV_TLS_KEY -u KV_TLS_CA \
  "$KV_BIN/kvget" --node "$(node 1)" k
grep -q "speaks TLS only: give --tls-cert, --tls-key and --tls-ca" "$WORK/err" ||
  fail "plaintext kvget said: $(cat "$WORK/err")"
expect_status 2 "kvget with a partial set of TLS files" env -u KV_TLS_KEY -u KV_TLS_CA \
  "$KV_BIN/kvget" --node "$(node 1)" k
grep -q "missing: give --tls-cert, --tls-key and --tls-ca together" "$WORK/err" ||
  fail "partial credentials: $(cat "$WORK/err")"

echo "== a refusal at the connection limit travels inside TLS =="
start_node "$WORK/limited" 0 --id n3 --max-connections-per-address 1 $(creds n3)
# One connection held open (TLS up, no kv handshake yet) takes the one place.
sleep 5 | openssl s_client -connect "127.0.0.1:$NODE_PORT" -cert "$CERTS/app.crt" \
  -key "$CERTS/app.key" -CAfile "$CERTS/ca.crt" -quiet >/dev/null 2>&1 &
holder=$!
sleep 1  # s_client's TLS handshake is done well within it
expect_status 3 "kvget past the per-address limit" as app "$KV_BIN/kvget" --node "127.0.0.1:$NODE_PORT" k
grep -q "too many connections from 127.0.0.1 (limit 1)" "$WORK/err" ||
  fail "kvget past the limit said: $(cat "$WORK/err")"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
kill_node TERM

echo "== a TLS client against a plaintext node =="
start_node "$WORK/plain" 0
expect_status 3 "kvget with TLS against a plaintext node" as app "$KV_BIN/kvget" \
  --node "127.0.0.1:$NODE_PORT" k
grep -q "does not speak TLS" "$WORK/err" || fail "TLS kvget said: $(cat "$WORK/err")"
kill_node TERM

echo "== a node's id is its certificate's CN =="
expect_status 3 "kvnode --id n9 with n3's certificate" "$KV_BIN/kvnode" --id n9 \
  --listen 127.0.0.1:0 --data-dir "$WORK/n9" $(creds n3)
grep -q "not the node its certificate names ('n3'" "$WORK/err" || fail "kvnode said: $(cat "$WORK/err")"
expect_status 3 "kvnode with a client certificate" "$KV_BIN/kvnode" --listen 127.0.0.1:0 \
  --data-dir "$WORK/n9" $(creds app)
grep -q "a node needs one of role peer" "$WORK/err" || fail "kvnode said: $(cat "$WORK/err")"

echo "== safe by default: no TLS on a non-loopback address =="
expect_status 2 "kvnode --listen 0.0.0.0 without TLS" "$KV_BIN/kvnode" --listen 0.0.0.0:0 \
  --advertise 127.0.0.1:1 --data-dir "$WORK/open"
grep -q "add --tls-cert FILE --tls-key FILE --tls-ca FILE" "$WORK/err" ||
  fail "kvnode said: $(cat "$WORK/err")"
[[ ! -e "$WORK/open" ]] || fail "kvnode created its data dir before refusing"
echo PASS
