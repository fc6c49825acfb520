#!/usr/bin/env python3
"""Writes hs256_tokens.txt: HS256 tokens whose header or payload TEXT no JSON serializer
would produce (duplicate members, escaped names, non-UTF-8, non-canonical base64url), each
with a VALID signature over exactly that text, so that only the verifier's strictness can
reject them. Used by ../attacks.rs on its HS256 route (secret and clock below).

Run from this directory: python3 make_hs256_tokens.py > hs256_tokens.txt
The output is deterministic (HMAC); re-running gives the same file.
"""
import base64
import hashlib
import hmac

# Must match HS_SECRET, NOW, ISSUER and AUDIENCE in ../attacks.rs.
SECRET = b"attack-suite HS256 fixture secret, test only!"
NOW = 1_700_000_000
ISS = "https://issuer.test"
AUD = "test-audience"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mac(text: str) -> bytes:
    return hmac.new(SECRET, text.encode(), hashlib.sha256).digest()


def over(h: str, p: str) -> str:
    """h.p with a valid signature over exactly that text."""
    return f"{h}.{p}.{b64(mac(f'{h}.{p}'))}"


def tok(header: bytes, payload: bytes) -> str:
    return over(b64(header), b64(payload))


H = b'{"alg":"HS256","kid":"hs"}'


def claims(tail: str = "", head: str = "") -> bytes:
    """A valid claim set at NOW, with raw JSON text inserted at the head and the tail."""
    return (
        "{" + head + f'"iss":"{ISS}","aud":"{AUD}","sub":"mallory","iat":{NOW},"nbf":{NOW},'
        f'"exp":{NOW + 600}' + tail + "}"
    ).encode()


def padded(part: str) -> str:
    return part + "=" * ((4 - len(part) % 4) % 4 or 1)


def standard(part: str) -> str:
    return part.replace("-", "+").replace("_", "/")


def trailing_bits(part: str) -> str:
    assert len(part) % 4 != 0
    value = ALPHABET.index(part[-1])
    assert value | 1 != value
    return part[:-1] + ALPHABET[value | 1]


def friendly(part: str) -> bool:
    """Has both '-' and '_' (standard alphabet differs) and unused trailing bits."""
    return "-" in part and "_" in part and len(part) % 4 != 0 and not ALPHABET.index(part[-1]) & 1


def odd_header() -> str:
    for n in range(200):
        h = b64(('{"alg":"HS256","kid":"hs","x":"' + "h" * n + '???>>>~~~"}').encode())
        if friendly(h):
            return h
    raise SystemExit("no suitable header")


def odd_payload() -> str:
    for n in range(200):
        p = b64(claims(',"x":"' + "p" * n + '???>>>~~~"'))
        if friendly(p):
            return p
    raise SystemExit("no suitable payload")


def odd_signature() -> tuple[str, str, str]:
    for n in range(2000):
        h, p = b64(H), b64(claims(f',"jti":"{n}"'))
        s = b64(mac(f"{h}.{p}"))
        if friendly(s):
            return h, p, s
    raise SystemExit("no suitable signature")


cases = {
    # Controls: the route accepts these, so the rejections below are the oddity's doing.
    "canonical": tok(H, claims(',"roles":["user"]')),
    "canonical_admin": tok(H, claims(',"roles":["admin"]')),
    "escaped_alg_hs256": tok(b'{"alg":"\\u0048S256","kid":"hs"}', claims()),
    "escaped_roles_name_admin": tok(H, claims(',"\\u0072oles":["admin"]')),
    "odd_header_canonical": over(odd_header(), b64(claims())),
    "odd_payload_canonical": over(b64(H), odd_payload()),
    # Duplicate members: a parser keeping either value would be fooled.
    "dup_exp_expired_last": tok(H, claims(',"exp":1')),
    "dup_exp_expired_first": tok(H, claims("", '"exp":1,')),
    "dup_iss": tok(H, claims(',"iss":"https://evil.test"')),
    "dup_aud": tok(H, claims(',"aud":"other"')),
    "dup_sub": tok(H, claims(',"sub":"admin"')),
    "dup_roles_user_then_admin": tok(H, claims(',"roles":["user"],"roles":["admin"]')),
    "dup_roles_admin_then_user": tok(H, claims(',"roles":["admin"],"roles":["user"]')),
    "dup_roles_escaped": tok(H, claims(',"roles":["user"],"\\u0072oles":["admin"]')),
    "dup_exp_escaped": tok(H, claims(',"\\u0065xp":1')),
    "dup_header_alg_then_none": tok(b'{"alg":"HS256","kid":"hs","alg":"none"}', claims()),
    "dup_header_none_then_alg": tok(b'{"alg":"none","kid":"hs","alg":"HS256"}', claims()),
    "dup_header_kid": tok(b'{"alg":"HS256","kid":"other","kid":"hs"}', claims()),
    "dup_header_alg_escaped": tok(b'{"alg":"HS256","kid":"hs","\\u0061lg":"none"}', claims()),
    # Escaped "none".
    "escaped_alg_none": tok(b'{"alg":"\\u006eone","kid":"hs"}', claims()),
    # kid that is not valid UTF-8 / not valid JSON text.
    "kid_invalid_utf8": tok(b'{"alg":"HS256","kid":"\xff\xfe"}', claims()),
    "kid_overlong_utf8": tok(b'{"alg":"HS256","kid":"h\xc0\xafs"}', claims()),
    "kid_utf8_surrogate": tok(b'{"alg":"HS256","kid":"\xed\xa0\x80"}', claims()),
    "kid_lone_surrogate_escape": tok(b'{"alg":"HS256","kid":"\\ud800"}', claims()),
    "kid_raw_nul": tok(b'{"alg":"HS256","kid":"h\x00s"}', claims()),
    "kid_raw_newline": tok(b'{"alg":"HS256","kid":"h\ns"}', claims()),
    # Not JSON objects, or JSON with something around it.
    "header_bom": tok(b"\xef\xbb\xbf" + H, claims()),
    "header_trailing_garbage": tok(H + b"x", claims()),
    "header_two_objects": tok(H + b"{}", claims()),
    "header_not_json": tok(b"alg=HS256", claims()),
    "header_empty": tok(b"", claims()),
    "payload_bom": tok(H, b"\xef\xbb\xbf" + claims()),
    "payload_trailing_garbage": tok(H, claims() + b"x"),
    "payload_two_objects": tok(H, claims() + b"{}"),
    "payload_empty": tok(H, b""),
    "payload_invalid_utf8": tok(H, claims()[:-1] + b',"name":"\xff"}'),
    # RFC 7797 detached, unencoded payload.
    "b64_false_detached": (
        lambda h: f"{h}..{b64(mac(h + '.' + claims().decode()))}"
    )(b64(b'{"alg":"HS256","kid":"hs","b64":false,"crit":["b64"]}')),
    # Non-canonical base64url, each with a valid signature over the odd text.
    "padded_header": over(padded(b64(H)), b64(claims())),
    "padded_payload": over(b64(H), padded(b64(claims()))),
    "standard_alphabet_header": over(standard(odd_header()), b64(claims())),
    "standard_alphabet_payload": over(b64(H), standard(odd_payload())),
    "trailing_bits_header": over(trailing_bits(odd_header()), b64(claims())),
    "trailing_bits_payload": over(b64(H), trailing_bits(odd_payload())),
}
h, p, s = odd_signature()
cases["odd_signature_canonical"] = f"{h}.{p}.{s}"
cases["padded_signature"] = f"{h}.{p}.{padded(s)}"
cases["standard_alphabet_signature"] = f"{h}.{p}.{standard(s)}"
cases["trailing_bits_signature"] = f"{h}.{p}.{trailing_bits(s)}"

for name, token in cases.items():
    print(name, token)
