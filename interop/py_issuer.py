#!/usr/bin/env python3
"""A JWT issuer built on PyJWT, for tests/interop.rs (direction: PyJWT signs, we verify).

Listens on 127.0.0.1 with an OS-assigned port and prints, flushed:
    line 1: the port
    line 2: the base URL, which is also the `iss` of every token
Serves:
    GET /.well-known/jwks.json   the public keys (RS256, PS256, ES256, EdDSA/Ed25519), each
                                 with `alg`, `kid` and `use: sig`
    GET /token?alg=RS256&aud=...&sub=...&roles=admin,user
                                 a signed JWT: iss, aud, sub, iat, exp = now + 300, roles
                                 (an array), the key's `kid` in the header
Exits when its standard input closes (the test drops the child) or on SIGTERM.

Needs: pip install -r interop/requirements.txt
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

try:
    import jwt
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError as error:  # pragma: no cover - reported to the Rust test
    print(
        f"PyJWT not installed ({error}): run pip install -r interop/requirements.txt",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(3)


def generate_keys():
    """One private key per algorithm, each with its public JWK."""
    keys = {}
    specs = [
        ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
        ("PS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
        ("ES256", ec.generate_private_key(ec.SECP256R1()), ECAlgorithm),
        ("EdDSA", ed25519.Ed25519PrivateKey.generate(), OKPAlgorithm),
    ]
    for alg, private, algorithm in specs:
        kid = f"py-{alg.lower()}"
        jwk = algorithm.to_jwk(private.public_key(), as_dict=True)
        jwk.update({"alg": alg, "kid": kid, "use": "sig"})
        keys[alg] = {"kid": kid, "private": private, "jwk": jwk}
    return keys


KEYS = generate_keys()
JWKS = json.dumps({"keys": [k["jwk"] for k in KEYS.values()]}).encode()


class Handler(BaseHTTPRequestHandler):
    base_url = ""

    def log_message(self, format, *args):  # noqa: A002 - keep the test output quiet
        pass

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - the http.server naming
        url = urlparse(self.path)
        if url.path == "/.well-known/jwks.json":
            self.reply(200, "application/json", JWKS)
        elif url.path == "/token":
            query = {name: values[-1] for name, values in parse_qs(url.query).items()}
            alg = query.get("alg", "")
            key = KEYS.get(alg)
            if key is None:
                self.reply(400, "text/plain", f"unknown alg {alg!r}\n".encode())
                return
            now = int(time.time())
            roles = [r for r in query.get("roles", "").split(",") if r]
            claims = {
                "iss": self.base_url,
                "aud": query.get("aud", "interop"),
                "sub": query.get("sub", "alice"),
                "iat": now,
                "exp": now + 300,
                "roles": roles,
            }
            token = jwt.encode(claims, key["private"], algorithm=alg, headers={"kid": key["kid"]})
            self.reply(200, "application/jwt", token.encode())
        else:
            self.reply(404, "text/plain", b"not found\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    Handler.base_url = f"http://127.0.0.1:{port}"
    print(port, flush=True)
    print(Handler.base_url, flush=True)

    def stop(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    def watch_stdin():
        # Returns at end of file: the parent closed our standard input or went away.
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
