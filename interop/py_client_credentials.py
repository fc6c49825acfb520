"""A standard OAuth client (authlib) obtains a client-credentials token from an authority
given nothing but its discovery URL, a client id and a secret; prints the token response.

Usage: python3 py_client_credentials.py DISCOVERY_URL CLIENT_ID CLIENT_SECRET [basic|post]
"""

import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session


def main() -> None:
    discovery_url, client_id, secret = sys.argv[1:4]
    method = sys.argv[4] if len(sys.argv) > 4 else "basic"
    metadata = requests.get(discovery_url, timeout=10).json()
    session = OAuth2Session(
        client_id,
        secret,
        token_endpoint_auth_method=f"client_secret_{method}",
    )
    token = session.fetch_token(
        metadata["token_endpoint"], grant_type="client_credentials", timeout=10
    )
    print(json.dumps(token))


if __name__ == "__main__":
    main()
