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
    // Header rules: with a valid HS256 signature, each must be refused (`b64: true` passes).
    let claims_payload = serde_json::to_vec(&claims)?;
    for (name, header) in [
        ("header_crit_null", json!({"alg": "HS256", "crit": null})),
        (
            "header_crit_b64",
            json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
        ),
        ("header_b64_false", json!({"alg": "HS256", "b64": false})),
        ("header_b64_true", json!({"alg": "HS256", "b64": true})),
        ("header_enc", json!({"alg": "HS256", "enc": "A256GCM"})),
        ("header_typ_jwt", json!({"alg": "HS256", "typ": "JWT"})),
    ] {
        let input = auth_fuzz::signing_input(&serde_json::to_vec(&header)?, &claims_payload);
        let signature = fx.independent.sign(Family::Hs, input.as_bytes());
        let text = format!("{input}.{}", b64(&signature));
        let verdict = fx.cached[Family::Hs.index()].verify(&text);
        assert_eq!(
            verdict.is_ok(),
            name.ends_with("true") || name.ends_with("jwt"),
            "{name}"
        );
        token.add(name, format!("0{text}"))?;
    }
    // The two-issuer verifier requires `typ` at+jwt: a valid EdDSA token of the other issuer
    // with `typ` JWT is refused.
    let other_claims = json!({"iss": OTHER_ISSUER, "aud": AUDIENCE, "exp": NOW + 900});
    for (name, typ) in [
        ("trusting_typ_jwt", "JWT"),
        ("trusting_typ_application", "Application/AT+JWT"),
    ] {
        let header = json!({"alg": "EdDSA", "typ": typ});
        let input = auth_fuzz::signing_input(
            &serde_json::to_vec(&header)?,
            &serde_json::to_vec(&other_claims)?,
        );
        let signature = fx.independent.sign(Family::Ed, input.as_bytes());
        let text = format!("{input}.{}", b64(&signature));
        assert_eq!(fx.trusting.verify(&text).is_ok(), typ != "JWT", "{name}");
        token.add(name, format!("0{text}"))?;
    }
    // A header that is a JSON array, validly signed: RFC 7515 section 4 requires an object.
    let input = auth_fuzz::signing_input(br#"["HS256"]"#, &claims_payload);
    let signature = fx.independent.sign(Family::Hs, input.as_bytes());
    token.add(
        "finding_header_json_array",
        format!("0{input}.{}", b64(&signature)),
    )?;
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
    // One seed per key-validation rule: each JWK must be refused.
    let with = |mut jwk: serde_json::Value, changes: serde_json::Value| {
        if let (Some(o), Some(c)) = (jwk.as_object_mut(), changes.as_object()) {
            for (k, v) in c {
                o.insert(k.clone(), v.clone());
            }
        }
        jwk
    };
    let member = |jwk: &serde_json::Value, name: &str| -> Vec<u8> {
        jwk.get(name)
            .and_then(|v| v.as_str())
            .and_then(|t| auth_fuzz::b64_decode(t).ok())
            .unwrap_or_default()
    };
    let ed = fx.public_jwk(Family::Ed).ok_or("Ed25519 JWK")?;
    let es = fx.public_jwk(Family::Es).ok_or("EC JWK")?;
    let rs = fx.public_jwk(Family::Rs).ok_or("RSA JWK")?;
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut y_is_p_plus_one = [0xffu8; 32];
    y_is_p_plus_one[0] = 0xee;
    y_is_p_plus_one[31] = 0x7f;
    let order8 = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";
    let order8: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&order8[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let mut y_plus_one = member(&es, "y");
    if let Some(last) = y_plus_one.last_mut() {
        *last ^= 1;
    }
    let p256_prime = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    let p256_prime: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&p256_prime[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let n = member(&rs, "n");
    let mut even = n.clone();
    if let Some(last) = even.last_mut() {
        *last &= !1;
    }
    // `"k": null` (a private member, null) and a set that is a JSON array.
    jwks.add(
        "finding_private_k_null",
        format!(
            "0{}",
            json!({"keys": [with(ed.clone(), json!({"k": null}))]})
        ),
    )?;
    jwks.add("finding_set_json_array", "0[[]]")?;
    let mut large: Vec<u8> = n.iter().cycle().take(8200 / 8 + 1).copied().collect();
    large[0] = 1;
    for (name, jwk) in [
        ("rule_oct_in_public_set", oct.clone()),
        (
            "rule_private_d",
            with(ed.clone(), json!({"d": b64(&[7; 32])})),
        ),
        ("rule_private_null_p", with(rs.clone(), json!({"p": null}))),
        ("rule_use_enc", with(es.clone(), json!({"use": "enc"}))),
        (
            "rule_key_ops_sign",
            with(es.clone(), json!({"key_ops": ["sign"]})),
        ),
        (
            "rule_ed_identity",
            with(ed.clone(), json!({"x": b64(&identity)})),
        ),
        (
            "rule_ed_non_canonical",
            with(ed.clone(), json!({"x": b64(&y_is_p_plus_one)})),
        ),
        (
            "rule_ed_order_8",
            with(ed.clone(), json!({"x": b64(&order8)})),
        ),
        (
            "rule_ec_off_curve",
            with(es.clone(), json!({"y": b64(&y_plus_one)})),
        ),
        (
            "rule_ec_x_is_p",
            with(es.clone(), json!({"x": b64(&p256_prime)})),
        ),
        (
            "rule_ec_short_x",
            with(es.clone(), json!({"x": b64(&member(&es, "x")[1..])})),
        ),
        (
            "rule_ec_p256_es384",
            with(es.clone(), json!({"alg": "ES384"})),
        ),
        (
            "rule_ec_p384_es256",
            with(es.clone(), json!({"crv": "P-384"})),
        ),
        ("rule_rsa_even", with(rs.clone(), json!({"n": b64(&even)}))),
        (
            "rule_rsa_8201_bits",
            with(rs.clone(), json!({"n": b64(&large)})),
        ),
        ("rule_rsa_e_1", with(rs.clone(), json!({"e": "AQ"}))),
        ("rule_rsa_e_even", with(rs.clone(), json!({"e": "AQAA"}))),
        ("rule_rsa_e_2_32", with(rs.clone(), json!({"e": "AQAAAAA"}))),
        (
            "rule_rsa_alg_es256",
            with(rs.clone(), json!({"alg": "ES256"})),
        ),
        (
            "rule_okp_alg_rs256",
            with(ed.clone(), json!({"alg": "RS256"})),
        ),
    ] {
        let refused = auth_runtime::VerifyingKey::from_jwk(&jwk).is_err();
        if !refused {
            eprintln!("note: {name} is accepted by the runtime (a finding of the jwks target)");
        }
        jwks.add(name, format!("0{}", json!({"keys": [jwk, ed]})))?;
    }
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
