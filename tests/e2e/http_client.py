#!/usr/bin/env python3
"""A client of kv's HTTP API in Python's standard library alone (http.client, ssl, json, base64),
as any program in another language would be: put, get, overwrite and delete; siblings as a 300
resolved with the X-Kv-Context header; 404 and 413; a malformed request's JSON error; all on one
keep-alive connection. Run by tests/e2e/http_api.sh against a real node:

    http_client.py http://127.0.0.1:8098
    http_client.py https://n1:8098 --connect 127.0.0.1 --ca ca.crt --cert app.crt --key app.key

Over HTTPS the node's certificate is verified against --ca and its CN must be the URL's host
(kv names nodes by CN, not by DNS: docs/architecture.md, "Security"); --connect is the address
actually reached. Exits 0 and prints "http_client.py: N checks passed" when every check holds.
"""
import argparse
import base64
import http.client
import json
import os
import ssl
import sys
import urllib.parse

CONTEXT = "X-Kv-Context"


class Api:
    def __init__(self, base, connect, ca, cert, key):
        url = urllib.parse.urlsplit(base)
        self.name = url.hostname
        host = connect or url.hostname
        if url.scheme == "https":
            ctx = ssl.create_default_context(cafile=ca)
            ctx.check_hostname = False  # the CN is checked below instead
            ctx.load_cert_chain(cert, key)
            self.conn = http.client.HTTPSConnection(host, url.port, context=ctx, timeout=10)
            self.conn.connect()
            subject = dict(x[0] for x in self.conn.sock.getpeercert()["subject"])
            assert subject["commonName"] == self.name, subject
        else:
            self.conn = http.client.HTTPConnection(host, url.port, timeout=10)
        self.checks = 0

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def expect(self, want, method, path, body=None, headers=None):
        status, got_headers, got_body = self.request(method, path, body, headers)
        if status != want:
            sys.exit(f"{method} {path}: HTTP {status}, want {want}: {got_body[:300]!r}")
        self.checks += 1
        return got_headers, got_body


def key_path(key):
    return "/v1/kv/" + urllib.parse.quote(key, safe="")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("--connect")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    api = Api(args.base, args.connect, args.ca, args.cert, args.key)
    key = "py/" + os.urandom(4).hex()

    # put, get, overwrite (a PUT without a context reads first), delete
    api.expect(204, "PUT", key_path(key), b"one")
    headers, body = api.expect(200, "GET", key_path(key))
    assert body == b"one" and headers.get(CONTEXT), (body, headers)
    api.expect(204, "PUT", key_path(key), b"two")
    _, body = api.expect(200, "GET", key_path(key))
    assert body == b"two", body
    binary = bytes(range(256))
    api.expect(204, "PUT", key_path(key), binary)
    _, body = api.expect(200, "GET", key_path(key))
    assert body == binary, body
    api.expect(204, "DELETE", key_path(key))
    api.expect(404, "GET", key_path(key))

    # siblings: two blind writes, a 300 with both, resolved with the context (a new key: on the
    # deleted one the delete would be a third sibling, as the blind writes do not supersede it)
    key = key + "-siblings"
    api.expect(204, "PUT", key_path(key) + "?blind=true", b"left")
    api.expect(204, "PUT", key_path(key) + "?blind=true", b"right")
    headers, body = api.expect(300, "GET", key_path(key))
    siblings = json.loads(body)
    values = sorted(
        base64.b64decode(s["value"]) if s.get("value_base64") else s["value"].encode()
        for s in siblings["siblings"]
        if not s["tombstone"]
    )
    assert values == [b"left", b"right"], siblings
    assert siblings["context"] == headers[CONTEXT], (siblings, headers)
    api.expect(204, "PUT", key_path(key), b"both", {CONTEXT: headers[CONTEXT]})
    _, body = api.expect(200, "GET", key_path(key) + "?r=1")
    assert body == b"both", body

    # errors: a JSON body with the reason and a code
    _, body = api.expect(413, "GET", "/v1/kv/" + "k" * (64 * 1024 + 1))
    assert json.loads(body)["code"] == "invalid_argument", body
    _, body = api.expect(400, "PUT", key_path(key), b"x", {CONTEXT: "%%%"})
    assert "X-Kv-Context" in json.loads(body)["error"], body
    api.expect(405, "PATCH", key_path(key), b"x")
    # a 413 or 405 with an unread body closes the connection: reconnect for the rest
    api.conn.close()

    _, body = api.expect(200, "GET", "/health")
    assert body == b"ok\n", body
    _, body = api.expect(200, "GET", "/v1/ring")
    assert json.loads(body)["nodes"], body
    api.expect(204, "DELETE", key_path(key))
    print(f"http_client.py: {api.checks} checks passed")


if __name__ == "__main__":
    main()
