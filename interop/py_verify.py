#!/usr/bin/env python3
"""Verifies a JWT with PyJWT against a JWK Set fetched over HTTP, for tests/interop.rs
(direction: we sign, PyJWT verifies).

Usage: py_verify.py verify <jwks_url> <issuer> <audience> <token>

Exit status:
    0  the token verified; its claims are printed as JSON on standard output
    1  the token was rejected; the reason is printed on standard error
    2  usage error, or the JWK Set could not be fetched (not a verdict on the token)
    3  PyJWT or cryptography is not installed

Needs: pip install -r interop/requirements.txt
"""

import json
import sys

try:
    import jwt
    from jwt import PyJWKClient
    from jwt.exceptions import PyJWKClientConnectionError, PyJWTError
    import cryptography  # noqa: F401 - PyJWT needs it for every asymmetric algorithm
except ImportError as error:  # pragma: no cover - reported to the Rust test
    print(
        f"PyJWT not installed ({error}): run pip install -r interop/requirements.txt",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(3)

ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


def main(argv):
    if len(argv) != 6 or argv[1] != "verify":
        print(
            "usage: py_verify.py verify <jwks_url> <issuer> <audience> <token>",
            file=sys.stderr,
        )
        return 2
    _, _, jwks_url, issuer, audience, token = argv
    client = PyJWKClient(jwks_url, cache_keys=False, timeout=10)
    try:
        signing_key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=ALGORITHMS,
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iss", "aud"]},
        )
    except PyJWKClientConnectionError as error:
        print(f"JWKS fetch failed: {error}", file=sys.stderr)
        return 2
    except PyJWTError as error:
        print(f"rejected: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
