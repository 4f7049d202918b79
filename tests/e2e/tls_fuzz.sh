#!/usr/bin/env bash
# A bounded fuzz of the handshake and the TLS path (issue 13): against a TLS node, a few hundred
# connections of random bytes, real ClientHellos cut short or with a byte flipped, and random
# frames and bytes after both handshakes (kv_raw_frame fuzz); then the same against a plaintext
# node. The node must stay up and answer a well-formed client afterwards.
source "$(dirname "$0")/node_lib.bash"

RAW="$KV_BIN/../tests/kv_raw_frame"
[[ -x $RAW ]] || fail "missing $RAW (build the kv_raw_frame target)"
command -v openssl >/dev/null || { echo "skip: no openssl command"; exit 0; }
CERTS="$WORK/certs"
"${KV_SOURCE_DIR:-$(dirname "$0")/../..}/scripts/make-certs" "$CERTS" 127.0.0.1:0:peer \
  fuzzer:admin >/dev/null
SEED=${KV_FUZZ_SEED:-$RANDOM}
echo "seed $SEED"

# The node's id is its certificate's CN, whatever address it listens on.
start_node "$WORK/tls" 0 --io-threads 1 --tls-cert "$CERTS/127.0.0.1:0.crt" \
  --tls-key "$CERTS/127.0.0.1:0.key" --tls-ca "$CERTS/ca.crt"
"$RAW" fuzz --node "127.0.0.1:$NODE_PORT" --tls-cert "$CERTS/fuzzer.crt" \
  --tls-key "$CERTS/fuzzer.key" --tls-ca "$CERTS/ca.crt" --iterations "${KV_FUZZ_ITERATIONS:-300}" \
  --seed "$SEED" || fail "the TLS node did not answer a get after the fuzz"
kill -0 "$NODE_PID" || fail "the TLS node died"
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "the TLS node's SIGTERM exit status was $NODE_STATUS"

start_node "$WORK/plain" 0 --io-threads 1
"$RAW" fuzz --node "127.0.0.1:$NODE_PORT" --iterations "${KV_FUZZ_ITERATIONS:-300}" \
  --seed "$SEED" || fail "the plaintext node did not answer a get after the fuzz"
kill_node TERM
[[ $NODE_STATUS -eq 0 ]] || fail "the plaintext node's SIGTERM exit status was $NODE_STATUS"
echo PASS
