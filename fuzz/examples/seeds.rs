//! Writes the committed seed inputs under `fuzz/seeds/<target>/` (replacing the directories),
//! and checks that the seed tokens verify as the fuzz targets expect.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```
//!
//! Everything is made here from the fixture keys (`fuzz/keys/`): nothing is fetched.

use std::fs;
use std::path::{Path, PathBuf};

use auth_fuzz::{AUDIENCE, Family, HS256_SECRET, ISSUER, NOW, OTHER_ISSUER, b64, fixture};
use auth_runtime::{Authority, FixedClock, JwkSet};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let fx = fixture();

    // token: mode byte '0' (even) then the token text; '1' (odd) then structured input.
    let mut token = Seeds::new(&root, "token")?;
    for family in Family::ALL {
        let text = &fx.tokens[family.index()];
        assert!(fx.cached[family.index()].verify(text).is_ok());
        token.add(&format!("valid_{}", family.alg_name()), format!("0{text}"))?;
    }
    let other = Authority::builder()
        .issuer(OTHER_ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock(NOW))
        .signing_key(Family::Ed.signing_key())
        .build()?
        .token("fuzz")
        .jti("fixed")
        .scopes(["orders:read", "orders:write"])
        .issue()?;
    assert!(fx.trusting.verify(&other).is_ok());
    token.add("valid_other_issuer_EdDSA", format!("0{other}"))?;
    let hs = &fx.authorities[Family::Hs.index()];
    let expired = hs
        .token("fuzz")
        .jti("fixed")
        .expires_at(NOW - 3600)
        .issue()?;
    token.add("expired_HS256", format!("0{expired}"))?;
    let elsewhere = hs
        .token("fuzz")
        .jti("fixed")
        .audience("elsewhere")
        .issue()?;
    token.add("other_audience_HS256", format!("0{elsewhere}"))?;
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "exp": NOW + 900, "sub": "fuzz"});
    let payload = serde_json::to_vec(&claims)?;
    let none = auth_fuzz::signing_input(br#"{"alg":"none"}"#, &payload);
    token.add("alg_none", format!("0{none}."))?;
    let nested = hs
        .token("fuzz")
        .jti("fixed")
        .claim("aud", json!([AUDIENCE, "x"]))
        .claim("exp", NOW as f64 + 900.5)
        .not_before(NOW - 10)
        .roles(["admin"])
        .scopes(["a", "b"])
        .claim("scp", json!(["c"]))
        .claim("realm_access", json!({"roles": ["r"]}))
        .claim(
            "deep",
            json!([[[{"a": null, "b": 1e300, "c": "\u{e9}\n"}]]]),
        )
        .issue()?;
    assert!(fx.cached[0].verify(&nested).is_ok());
    token.add("claims_of_every_kind_HS256", format!("0{nested}"))?;
    token.add("structured_all_valid", bytes(b"1", &[0; 64]))?;
    token.add(
        "structured_mixed",
        bytes(
            b"1",
            b"\x01\x02\x03\x04\x05\x06\x07\x08\xff\xfe\xfd\xfc\x10\x20\x30\x40",
        ),
    )?;

    // bearer: header values separated by newlines.
    let mut bearer = Seeds::new(&root, "bearer")?;
    bearer.add("bearer", format!("Bearer {}", fx.tokens[0]))?;
    bearer.add("lower_case_spaces", "bearer   abc.def.ghi  ")?;
    bearer.add("tabs", "\tBEARER\t abc.def.ghi\t")?;
    bearer.add("padding", "Bearer abc==")?;
    bearer.add("basic", "Basic dXNlcjpwYXNz")?;
    bearer.add("two_headers", "Bearer a.b.c\nBearer d.e.f")?;
    bearer.add("empty_token", "Bearer ")?;
    bearer.add("comma", "Bearer a,b")?;

    // jwks: mode byte '0' then the document ('2': RSA keys without `alg` are RS256; '4':
    // mixed key families allowed); '1' then structured input.
    let mut jwks = Seeds::new(&root, "jwks")?;
    let mut all = JwkSet::default();
    for family in [Family::Rs, Family::Es, Family::Ed] {
        let set = fx.authorities[family.index()].jwks();
        all.keys.extend(set.keys);
    }
    jwks.add("rs_es_ed", format!("0{}", all.to_json()))?;
    let ed = fx.public_jwk(Family::Ed).ok_or("Ed25519 JWK")?;
    jwks.add("single_jwk_ed25519", format!("0{ed}"))?;
    let mut rsa = fx.public_jwk(Family::Rs).ok_or("RSA JWK")?;
    if let Some(object) = rsa.as_object_mut() {
        object.remove("alg");
    }
    jwks.add("rsa_without_alg", format!("2{}", json!({"keys": [rsa]})))?;
    let oct =
        json!({"kty": "oct", "alg": "HS256", "kid": Family::Hs.kid(), "k": b64(HS256_SECRET)});
    let es = fx.public_jwk(Family::Es).ok_or("EC JWK")?;
    jwks.add(
        "oct_and_ec_mixed",
        format!("4{}", json!({"keys": [oct, es]})),
    )?;
    let skipped = json!({"keys": [
        {"kty": "RSA", "use": "enc", "kid": "enc-only", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AA"},
        {"kty": "EC", "crv": "P-256", "key_ops": ["sign"], "x": "AA", "y": "AA"},
        ed,
    ]});
    jwks.add("skipped_keys", format!("0{skipped}"))?;
    jwks.add("structured", bytes(b"1", &[0; 48]))?;

    // macro_args: the arguments, optionally `\n---\n` and the annotated function.
    let mut args = Seeds::new(&root, "macro_args")?;
    for (name, text) in [
        ("empty", ""),
        ("role", r#""admin""#),
        ("any", r#"any("admin", "auditor")"#),
        ("all", r#"all("user", "auditor")"#),
        ("unknown_role", r#"any("admin", "amin")"#),
        ("from_claims", "from = req, claims = c"),
        ("crate", "crate = ::auth"),
        ("role_and_crate", r#""admin", crate = my::auth"#),
        ("ident_instead_of_string", "admin"),
        (
            "from_on_method",
            "from = headers\n---\nfn check(&self, headers: &HeaderMap, claims: Claims) -> Result<String, AuthError> { Ok(claims.sub.unwrap_or_default()) }",
        ),
        (
            "generic_handler",
            "\"user\"\n---\n#[requires_scope(\"orders:read\")]\nasync fn generic<S>(State(state): State<S>, claims: Option<Claims>) -> String where S: Clone + Send + Sync + 'static { String::new() }",
        ),
        (
            "claims_attribute",
            "\"user\"\n---\nasync fn custom(#[claims] who: Tenant) -> String { who.tenant }",
        ),
    ] {
        args.add(name, text)?;
    }

    // vocabulary: the content of `[package.metadata.auth]`.
    let mut vocabulary = Seeds::new(&root, "vocabulary")?;
    for (name, text) in [
        (
            "workspace",
            "[roles]\nadmin = [\"user\", \"auditor\"]\nauditor = []\nuser = [\"guest\"]\nguest = []\n",
        ),
        ("cycle", "[roles]\na = [\"b\"]\nb = [\"c\"]\nc = [\"a\"]\n"),
        ("undeclared", "[roles]\na = [\"missing\"]\n"),
        ("case", "[roles]\nAdmin = []\nadmin = [\"Admin\"]\n"),
        ("blank_name", "[roles]\n\" \" = []\n"),
        ("roles_file", "roles-file = \"roles.toml\"\n"),
        ("inline", "roles = { admin = [\"user\"], user = [] }\n"),
        ("typo_probe", "amdin\nadmin\n[roles]\nadmin = []\n"),
    ] {
        vocabulary.add(name, text)?;
    }
    Ok(())
}

fn bytes(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    [prefix, rest].concat()
}

/// The seed directory of one target.
struct Seeds {
    dir: PathBuf,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> std::io::Result<Seeds> {
        let dir = root.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(Seeds { dir })
    }

    fn add(&mut self, name: &str, content: impl AsRef<[u8]>) -> std::io::Result<()> {
        fs::write(self.dir.join(name), content)
    }
}
