//! The attack suite: forged, malformed and hostile tokens and `Authorization`
//! headers, sent over a loopback socket to real `#[protected]` and `#[requires_role("admin")]`
//! axum handlers.
//!
//! The suite is one table of cases, one line each. Each case is one request and names what the
//! HTTP error contract (docs/design.md; `AuthError::www_authenticate`) requires for it: the
//! exact status, the exact `WWW-Authenticate` challenge, the exact JSON body (client-safe
//! text only: nothing about keys or which check failed), and whether the handler body ran (a
//! counter in every handler). Accepted controls sit beside the attacks they belong to, so that
//! a rejection is known to come from the attack, not from a broken route or key.
//!
//! One server holds every route (one verifier per route: ES256, P-384, Ed25519, RSA only,
//! several keys, HS256 and ES256 on a clock the test sets, a JWKS client); a second one plays
//! both the authority's JWKS endpoint and the attacker's key server for `jku` / `x5u`, and
//! counts the requests it gets: the attacker's side must get none.
//!
//! HS256 tokens whose header or payload text no JSON serializer writes (duplicate members,
//! escaped names, invalid UTF-8, non-canonical base64url), each validly signed over exactly
//! that text, are fixtures: `tests/attacks/hs256_tokens.txt`, written by
//! `tests/attacks/make_hs256_tokens.py`.
//!
//! Run with `cargo test --features full --test attacks`.
#![cfg(all(feature = "axum", feature = "jwks"))]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use auth::testing::{self, AUDIENCE, ISSUER, with_member};
use auth::{
    Algorithm, Authority, Claims, Clock, JwksClient, KeyError, SigningKey, Verifier, VerifyingKey,
    protected, requires_role,
};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{b64, parts, pem_body, sign, unb64, unhex};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The RSA test key of the runtime's security-floor suite (public on purpose: test only).
const RSA_PRIVATE_PEM: &str = include_str!("../auth-runtime/tests/fixtures/rsa_2048_pkcs8.pem");
/// Its public half, SubjectPublicKeyInfo.
const RSA_SPKI_PEM: &str = include_str!("../auth-runtime/tests/fixtures/rsa_2048_spki.pem");
/// Its public half, PKCS#1.
const RSA_PKCS1_PEM: &str =
    include_str!("../auth-runtime/tests/fixtures/rsa_2048_pkcs1_public.pem");

/// `name token` lines, HS256 by [`HS_SECRET`] at [`NOW`] (see the generator beside it).
const HS_TOKENS: &str = include_str!("attacks/hs256_tokens.txt");
/// The fixtures' HMAC secret; the generator holds the same.
const HS_SECRET: &[u8] = b"attack-suite HS256 fixture secret, test only!";
/// "Now" of the routes on the test's clock, and of the fixtures.
const NOW: u64 = 1_700_000_000;
/// The default leeway, which the clocked routes use.
const LEEWAY: u64 = 60;
/// The default token length cap (8 KiB).
const CAP: usize = 8 * 1024;

/// Curve orders, big-endian.
const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const P384_N: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

/// SubjectPublicKeyInfo prefixes: P-256 (before the 65-byte point), Ed25519 (before `x`).
const P256_SPKI_PREFIX: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
const ED25519_SPKI_PREFIX: &str = "302a300506032b6570032100";

// ---------------------------------------------------------------------------------------------
// The protected handlers
// ---------------------------------------------------------------------------------------------

/// How many times any handler body ran.
static RAN: AtomicUsize = AtomicUsize::new(0);

#[protected]
async fn me(claims: Claims) -> String {
    RAN.fetch_add(1, Ordering::SeqCst);
    format!("me:{}", claims.sub.unwrap_or_default())
}

// Attribute order does not matter; in this order both macros are invoked by name.
#[requires_role("admin")]
#[protected]
async fn admin(claims: Claims) -> String {
    RAN.fetch_add(1, Ordering::SeqCst);
    format!("admin:{}", claims.sub.unwrap_or_default())
}

fn routes(verifier: Verifier) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .with_state(verifier)
}

/// A clock the test sets before each case.
#[derive(Debug, Clone)]
struct TestClock(Arc<AtomicU64>);

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Which route (verifier and handler) a case calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// ES256, one key with a kid, system clock: the main target.
    Es,
    /// The same verifier, `#[requires_role("admin")]`.
    EsAdmin,
    /// ES256, ES384, EdDSA and RS256 keys, each with its kid.
    Multi,
    /// The RSA public key only, without kid.
    Rsa,
    /// Ed25519 only.
    Ed,
    /// P-384 only.
    Es384,
    /// HS256 (the fixtures' secret, kid `hs`) on the test clock.
    Hs,
    /// The same verifier, admin route.
    HsAdmin,
    /// The main ES256 key on the test clock.
    Clock,
    /// The main ES256 key, fetched from a JWK Set by a `JwksClient`.
    Jwks,
    /// A `JwksClient`'s JWK Set with good keys (ES256, Ed25519) beside keys no honest public
    /// set holds: an `oct` secret, small-order and non-canonical Ed25519 points, an off-curve
    /// EC point, weak RSA parameters, private members, other uses.
    Tainted,
    /// The same verifier, admin route.
    TaintedAdmin,
}

impl At {
    fn path(self) -> &'static str {
        match self {
            At::Es => "/es256/me",
            At::EsAdmin => "/es256/admin",
            At::Multi => "/multi/me",
            At::Rsa => "/rsa/me",
            At::Ed => "/ed/me",
            At::Es384 => "/es384/me",
            At::Hs => "/hs/me",
            At::HsAdmin => "/hs/admin",
            At::Clock => "/clock/me",
            At::Jwks => "/jwks/me",
            At::Tainted => "/tainted/me",
            At::TaintedAdmin => "/tainted/admin",
        }
    }

    fn is_admin(self) -> bool {
        matches!(self, At::EsAdmin | At::HsAdmin | At::TaintedAdmin)
    }
}

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

/// What the contract requires for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200: the handler body ran once.
    Pass,
    /// 401, `Bearer realm="api"` without an error code: no (Bearer) credentials.
    NoCredentials,
    /// 400 `invalid_request`: a malformed Authorization header.
    BadHeader,
    /// 400 `invalid_request`: more than one Authorization header.
    TwoHeaders,
    /// 401 `invalid_token`.
    BadToken,
    /// 401 `invalid_token`, "the access token expired".
    Expired,
    /// 403 `insufficient_scope`.
    Forbidden,
    /// 431 from the HTTP server itself, before any handler: a header too large to read.
    HeaderTooLarge,
}

impl Expect {
    /// Status, exact challenge and exact JSON body.
    fn contract(self) -> (u16, Option<String>, Option<Value>) {
        let with_code = |code: &str, description: &str| {
            (
                Some(format!(
                    r#"Bearer realm="api", error="{code}", error_description="{description}""#
                )),
                Some(json!({"error": code, "error_description": description})),
            )
        };
        let (status, (challenge, body)) = match self {
            Expect::Pass => (200, (None, None)),
            Expect::HeaderTooLarge => (431, (None, None)),
            Expect::NoCredentials => (
                401,
                (
                    Some(r#"Bearer realm="api""#.to_owned()),
                    Some(json!({
                        "error": "unauthorized",
                        "error_description": "authentication required",
                    })),
                ),
            ),
            Expect::BadHeader => (
                400,
                with_code("invalid_request", "the Authorization header is malformed"),
            ),
            Expect::TwoHeaders => (
                400,
                with_code(
                    "invalid_request",
                    "the request has more than one Authorization header",
                ),
            ),
            Expect::BadToken => (
                401,
                with_code("invalid_token", "the access token is invalid"),
            ),
            Expect::Expired => (401, with_code("invalid_token", "the access token expired")),
            Expect::Forbidden => (
                403,
                with_code(
                    "insufficient_scope",
                    "the access token does not grant this operation",
                ),
            ),
        };
        (status, challenge, body)
    }
}

/// What a request carries: `Authorization` headers (none, one or several, raw bytes), other
/// headers, a query string.
#[derive(Debug, Clone, Default)]
struct Auth {
    authorization: Vec<Vec<u8>>,
    other: Vec<(&'static str, String)>,
    query: String,
}

fn no_header() -> Auth {
    Auth::default()
}

fn bearer(token: &str) -> Auth {
    raw(common::bearer(token))
}

fn raw(value: impl AsRef<[u8]>) -> Auth {
    headers([value])
}

fn headers<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(values: I) -> Auth {
    Auth {
        authorization: values.into_iter().map(|v| v.as_ref().to_vec()).collect(),
        ..Auth::default()
    }
}

/// No `Authorization` header, but another header with `value`.
fn other_header(name: &'static str, value: String) -> Auth {
    Auth {
        other: vec![(name, value)],
        ..Auth::default()
    }
}

/// No `Authorization` header, but a query string.
fn query(query: String) -> Auth {
    Auth {
        query,
        ..Auth::default()
    }
}

/// One request of the suite.
struct Case {
    category: &'static str,
    name: String,
    at: At,
    auth: Auth,
    /// The test clock during this case (read by the `Hs`, `HsAdmin` and `Clock` routes).
    clock: u64,
    expect: Expect,
}

/// The table, filled one line per case.
#[derive(Default)]
struct Table {
    category: &'static str,
    cases: Vec<Case>,
}

impl Table {
    fn category(&mut self, category: &'static str) {
        self.category = category;
    }

    fn add(&mut self, name: impl Into<String>, at: At, auth: Auth, expect: Expect) {
        self.add_at(NOW, name, at, auth, expect);
    }

    fn add_at(&mut self, clock: u64, name: impl Into<String>, at: At, auth: Auth, expect: Expect) {
        self.cases.push(Case {
            category: self.category,
            name: name.into(),
            at,
            auth,
            clock,
            expect,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Token helpers
// ---------------------------------------------------------------------------------------------

/// A `PUBLIC KEY` PEM document around `der`, 64 columns, with a trailing newline.
fn public_pem(der: &[u8]) -> String {
    let text = STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// The header an honest issuer writes for `key`.
fn header_of(key: &SigningKey) -> Value {
    json!({"alg": key.algorithm().name(), "kid": key.kid(), "typ": "at+jwt"})
}

/// Valid claims issued at `now`, expiring ten minutes later, role `user`.
fn claims_at(now: u64) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": ["user"],
    })
}

/// `part` with its last character's unused low bits set: the same bytes to a lenient decoder.
fn with_trailing_bits(part: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert_ne!(part.len() % 4, 0, "a full quantum has no unused bits");
    let last = *part.as_bytes().last().expect("non-empty");
    let value = ALPHABET.iter().position(|c| *c == last).expect("base64url");
    // An ES256 signature (64 bytes, 86 characters) leaves 4 unused bits: set the lowest.
    let changed = ALPHABET[value ^ 1] as char;
    format!("{}{changed}", &part[..part.len() - 1])
}

/// An ECDSA `r || s` signature as an ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let integer = |x: &[u8]| {
        let start = x.iter().position(|b| *b != 0).unwrap_or(x.len() - 1);
        let mut body = x[start..].to_vec();
        if body[0] & 0x80 != 0 {
            body.insert(0, 0);
        }
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    };
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [integer(r), integer(s)].concat();
    assert!(body.len() < 128, "short-form DER length");
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// The HS256 fixtures by name.
fn hs_fixtures() -> HashMap<&'static str, &'static str> {
    HS_TOKENS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_once(' ').expect("`name token` lines"))
        .collect()
}

/// The keys of the suite.
struct Keys {
    /// The victim's ES256 key: main, clocked and JWKS routes.
    es: SigningKey,
    es384: SigningKey,
    ed: SigningKey,
    rsa: SigningKey,
    hs: SigningKey,
    /// The attacker's own ES256 key.
    attacker: SigningKey,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            es: SigningKey::generate(Algorithm::ES256).unwrap(),
            es384: SigningKey::generate(Algorithm::ES384).unwrap(),
            ed: SigningKey::generate(Algorithm::EdDSA).unwrap(),
            rsa: SigningKey::from_pem(RSA_PRIVATE_PEM.as_bytes(), Algorithm::RS256).unwrap(),
            hs: SigningKey::hmac(HS_SECRET, Algorithm::HS256)
                .unwrap()
                .with_kid("hs"),
            attacker: SigningKey::generate(Algorithm::ES256).unwrap(),
        }
    }

    fn jwk(key: &SigningKey) -> Value {
        serde_json::to_value(key.public_jwk().expect("asymmetric key")).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

/// Requests the key server got: on the authority's JWKS URL, and anywhere else (the attacker's
/// `jku` / `x5u` URLs).
#[derive(Default)]
struct Hits {
    legit: AtomicUsize,
    tainted: AtomicUsize,
    evil: AtomicUsize,
}

#[derive(Clone)]
struct KeyServer {
    hits: Arc<Hits>,
    legit_jwks: Arc<String>,
    tainted_jwks: Arc<String>,
    evil_jwks: Arc<String>,
}

async fn legit_jwks(State(s): State<KeyServer>) -> String {
    s.hits.legit.fetch_add(1, Ordering::SeqCst);
    s.legit_jwks.to_string()
}

async fn tainted_jwks(State(s): State<KeyServer>) -> String {
    s.hits.tainted.fetch_add(1, Ordering::SeqCst);
    s.tainted_jwks.to_string()
}

async fn evil_anything(State(s): State<KeyServer>) -> String {
    s.hits.evil.fetch_add(1, Ordering::SeqCst);
    s.evil_jwks.to_string()
}

/// The JWKS / attacker server; returns its base URL.
async fn key_server(keys: &Keys, hits: Arc<Hits>) -> String {
    let authority = Authority::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .signing_key(keys.es.clone())
        .build()
        .unwrap();
    let evil = json!({"keys": [Keys::jwk(&keys.attacker)]});
    let state = KeyServer {
        hits,
        legit_jwks: Arc::new(authority.jwks().to_json()),
        tainted_jwks: Arc::new(tainted_jwks_document(keys).to_string()),
        evil_jwks: Arc::new(evil.to_string()),
    };
    common::serve(
        Router::new()
            .route("/legit/jwks.json", get(legit_jwks))
            .route("/tainted/jwks.json", get(tainted_jwks))
            .fallback(evil_anything)
            .with_state(state),
    )
    .await
}

/// The protected service with every route; returns its base URL.
async fn service(keys: &Keys, clock: &TestClock, key_server: &str) -> String {
    let trusting = |key: VerifyingKey| {
        Verifier::builder()
            .key(key)
            .issuer(ISSUER)
            .audience(AUDIENCE)
    };
    let es = trusting(keys.es.verifying_key()).build().unwrap();
    let multi = trusting(keys.es.verifying_key())
        .key(keys.es384.verifying_key())
        .key(keys.ed.verifying_key())
        .key(keys.rsa.verifying_key())
        .build()
        .unwrap();
    let rsa_public = VerifyingKey::from_pem(RSA_SPKI_PEM.as_bytes(), Algorithm::RS256).unwrap();
    assert_eq!(rsa_public.kid(), None, "the RSA route's key has no kid");
    let rsa = trusting(rsa_public).build().unwrap();
    let ed = trusting(keys.ed.verifying_key()).build().unwrap();
    let es384 = trusting(keys.es384.verifying_key()).build().unwrap();
    let hs = trusting(keys.hs.verifying_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    let clocked = trusting(keys.es.verifying_key())
        .clock(clock.clone())
        .build()
        .unwrap();
    let client = JwksClient::builder(format!("{key_server}/legit/jwks.json"))
        .timeout(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let jwks = Verifier::builder()
        .jwks(client)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let tainted_client = JwksClient::builder(format!("{key_server}/tainted/jwks.json"))
        .timeout(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    // The good keys are in; every bad one was refused, for its own reason.
    let refused: Vec<(Option<String>, KeyError)> = tainted_client
        .keys()
        .refused()
        .iter()
        .map(|r| (r.kid.clone(), r.reason.clone()))
        .collect();
    assert_eq!(refused, tainted_refusals(), "the tainted set's refusals");
    assert_eq!(tainted_client.keys().len(), 2, "the two good keys");
    let tainted = Verifier::builder()
        .jwks(tainted_client)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    common::serve(
        Router::new()
            .nest("/es256", routes(es))
            .nest("/multi", routes(multi))
            .nest("/rsa", routes(rsa))
            .nest("/ed", routes(ed))
            .nest("/es384", routes(es384))
            .nest("/hs", routes(hs))
            .nest("/clock", routes(clocked))
            .nest("/jwks", routes(jwks))
            .nest("/tainted", routes(tainted)),
    )
    .await
}

/// A response as the client saw it.
struct Reply {
    status: u16,
    challenge: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn send(client: &reqwest::Client, url: &str, auth: &Auth) -> Result<Reply, String> {
    let mut request = client.get(format!("{url}{}", auth.query));
    for value in &auth.authorization {
        let value = HeaderValue::from_bytes(value)
            .map_err(|e| format!("the header cannot be sent: {e}"))?;
        request = request.header(AUTHORIZATION, value);
    }
    for (name, value) in &auth.other {
        request = request.header(*name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("no response: {e}"))?;
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let status = response.status().as_u16();
    let challenge = text(WWW_AUTHENTICATE);
    let content_type = text(CONTENT_TYPE);
    let body = response.text().await.map_err(|e| format!("no body: {e}"))?;
    Ok(Reply {
        status,
        challenge,
        content_type,
        body,
    })
}

/// Runs one case; `Err` says how the server broke the contract.
async fn run(client: &reqwest::Client, base: &str, case: &Case, hits: &Hits) -> Result<(), String> {
    let before = RAN.load(Ordering::SeqCst);
    let reply = send(client, &format!("{base}{}", case.at.path()), &case.auth).await?;
    let ran = RAN.load(Ordering::SeqCst) - before;
    let (status, challenge, body) = case.expect.contract();
    let mut problems = Vec::new();
    if reply.status != status {
        problems.push(format!("status {} instead of {status}", reply.status));
    }
    if reply.challenge != challenge {
        problems.push(format!(
            "WWW-Authenticate {:?} instead of {challenge:?}",
            reply.challenge
        ));
    }
    match (&body, case.expect) {
        (Some(expected), _) => {
            let actual: Option<Value> = serde_json::from_str(&reply.body).ok();
            if actual.as_ref() != Some(expected) {
                problems.push(format!("body {:?} instead of {expected}", reply.body));
            }
            if reply.content_type.as_deref() != Some("application/json") {
                problems.push(format!("content-type {:?}", reply.content_type));
            }
        }
        (None, Expect::Pass) => {
            let prefix = if case.at.is_admin() { "admin:" } else { "me:" };
            if !reply.body.starts_with(prefix) {
                problems.push(format!("body {:?}, not the handler's", reply.body));
            }
        }
        (None, _) => {
            if !reply.body.is_empty() {
                problems.push(format!("body {:?} instead of none", reply.body));
            }
        }
    }
    let should_run = usize::from(case.expect == Expect::Pass);
    if ran != should_run {
        problems.push(format!(
            "the handler body ran {ran} times, not {should_run}"
        ));
    }
    let evil = hits.evil.load(Ordering::SeqCst);
    if evil != 0 {
        problems.push(format!("the attacker's key server got {evil} requests"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

// ---------------------------------------------------------------------------------------------
// The cases, by category (one line per case: these functions are not reformatted)
// ---------------------------------------------------------------------------------------------

/// Everything a category needs to mint its tokens.
struct World<'a> {
    keys: &'a Keys,
    /// Base URL of the key server (for `jku` / `x5u`).
    key_server: &'a str,
    /// The system clock's now, for the system-clock routes.
    now: u64,
    hs: HashMap<&'static str, &'static str>,
}

impl World<'_> {
    /// A valid token for the main ES256 key with `claims`.
    fn es(&self, claims: &Value) -> String {
        sign(&self.keys.es, &header_of(&self.keys.es), claims)
    }

    /// The main key's signature under an arbitrary header, over valid claims.
    fn es_with_header(&self, header: &Value) -> String {
        sign(&self.keys.es, header, &self.claims())
    }

    /// Valid claims on the system clock.
    fn claims(&self) -> Value {
        claims_at(self.now)
    }

    /// Valid claims with one member changed or removed.
    fn claims_with(&self, name: &str, member: Option<Value>) -> Value {
        with_member(self.claims(), name, member)
    }

    fn fixture(&self, name: &str) -> &'static str {
        self.hs
            .get(name)
            .unwrap_or_else(|| panic!("no HS256 fixture {name}"))
    }
}

#[rustfmt::skip]
fn alg_none(t: &mut Table, w: &World<'_>) {
    t.category("alg none");
    let valid = w.es(&w.claims());
    let admin = w.es(&w.claims_with("roles", Some(json!(["admin"]))));
    t.add("control: the valid ES256 token", At::Es, bearer(&valid), Expect::Pass);
    t.add("control: the valid admin token", At::EsAdmin, bearer(&admin), Expect::Pass);
    let (_, payload, signature) = parts(&valid);
    let (_, admin_payload, admin_signature) = parts(&admin);
    let kid = w.keys.es.kid();
    for name in ["none", "None", "NONE", "nOnE", "NoNe", "nONE", "noNE"] {
        for (what, header) in [
            ("alone", json!({"alg": name})),
            ("with the victim's kid", json!({"alg": name, "kid": kid, "typ": "JWT"})),
        ] {
            let h = b64(header.to_string());
            for (sig_name, sig) in [("empty signature", ""), ("copied signature", signature)] {
                t.add(format!("alg {name:?} {what}, {sig_name}"), At::Es, bearer(&format!("{h}.{payload}.{sig}")), Expect::BadToken);
            }
            t.add(format!("alg {name:?} {what}, admin claims, copied signature"), At::EsAdmin, bearer(&format!("{h}.{admin_payload}.{admin_signature}")), Expect::BadToken);
        }
    }
    let h = b64(r#"{"alg":"none"}"#);
    t.add("alg none, two parts (no signature dot)", At::Es, bearer(&format!("{h}.{payload}")), Expect::BadToken);
    t.add("alg none, signature \"AA\"", At::Es, bearer(&format!("{h}.{payload}.AA")), Expect::BadToken);
    t.add("alg \"none \" (trailing space)", At::Es, bearer(&format!("{}.{payload}.", b64(r#"{"alg":"none "}"#))), Expect::BadToken);
    t.add("alg \"nonе\" (Cyrillic e)", At::Es, bearer(&format!("{}.{payload}.", b64(r#"{"alg":"nonе"}"#))), Expect::BadToken);
    // Against the other verifier kinds, with each one's own valid signature copied.
    let hs = w.fixture("canonical");
    let (_, hp, hsig) = parts(hs);
    let none_hs = b64(r#"{"alg":"none","kid":"hs"}"#);
    t.add("control: the HS256 fixture token", At::Hs, bearer(hs), Expect::Pass);
    t.add("alg none on the HS256 route, empty signature", At::Hs, bearer(&format!("{none_hs}.{hp}.")), Expect::BadToken);
    t.add("alg none on the HS256 route, copied signature", At::Hs, bearer(&format!("{none_hs}.{hp}.{hsig}")), Expect::BadToken);
    let rsa = sign(&w.keys.rsa, &header_of(&w.keys.rsa), &w.claims());
    let (_, rp, rsig) = parts(&rsa);
    t.add("control: the RS256 token", At::Rsa, bearer(&rsa), Expect::Pass);
    t.add("alg none on the RSA route, empty signature", At::Rsa, bearer(&format!("{}.{rp}.", b64(r#"{"alg":"none"}"#))), Expect::BadToken);
    t.add("alg NONE on the RSA route, copied signature", At::Rsa, bearer(&format!("{}.{rp}.{rsig}", b64(r#"{"alg":"NONE"}"#))), Expect::BadToken);
}

#[rustfmt::skip]
fn truncated_signatures(t: &mut Table, w: &World<'_>) {
    t.category("empty and truncated signatures");
    let k = w.keys;
    let tokens = [
        ("ES256", At::Es, w.es(&w.claims())),
        ("RS256", At::Rsa, sign(&k.rsa, &header_of(&k.rsa), &w.claims())),
        ("EdDSA", At::Ed, sign(&k.ed, &header_of(&k.ed), &w.claims())),
        ("ES384", At::Es384, sign(&k.es384, &header_of(&k.es384), &w.claims())),
        ("HS256", At::Hs, w.fixture("canonical").to_owned()),
    ];
    let other_payload = b64(w.claims_with("sub", Some(json!("mallory"))).to_string());
    for (alg, at, token) in tokens {
        let (h, p, s) = parts(&token);
        let bytes = unb64(s);
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0x01;
        let mut last_flipped = bytes.clone();
        *last_flipped.last_mut().unwrap() ^= 0x80;
        t.add(format!("{alg} control"), at, bearer(&token), Expect::Pass);
        t.add(format!("{alg} empty signature"), at, bearer(&format!("{h}.{p}.")), Expect::BadToken);
        t.add(format!("{alg} last character dropped"), at, bearer(&format!("{h}.{p}.{}", &s[..s.len() - 1])), Expect::BadToken);
        t.add(format!("{alg} half the characters dropped"), at, bearer(&format!("{h}.{p}.{}", &s[..s.len() / 2])), Expect::BadToken);
        t.add(format!("{alg} half the bytes dropped, re-encoded"), at, bearer(&format!("{h}.{p}.{}", b64(&bytes[..bytes.len() / 2]))), Expect::BadToken);
        t.add(format!("{alg} one bit flipped in the middle"), at, bearer(&format!("{h}.{p}.{}", b64(&flipped))), Expect::BadToken);
        t.add(format!("{alg} top bit of the last byte flipped"), at, bearer(&format!("{h}.{p}.{}", b64(&last_flipped))), Expect::BadToken);
        t.add(format!("{alg} one zero byte"), at, bearer(&format!("{h}.{p}.AA")), Expect::BadToken);
        t.add(format!("{alg} zeros of the right length"), at, bearer(&format!("{h}.{p}.{}", b64(vec![0u8; bytes.len()]))), Expect::BadToken);
        t.add(format!("{alg} signature of another payload"), at, bearer(&format!("{h}.{other_payload}.{s}")), Expect::BadToken);
    }
}

/// The HMAC secrets an attacker can derive from a public key, by textual form: (family, form,
/// secret). Each form is first checked to load as the very key the route trusts.
#[rustfmt::skip]
fn secrets_of_public_keys(keys: &Keys) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    // RSA, from the same fixture files as the RSA route's key.
    let spki = pem_body(RSA_SPKI_PEM);
    let pkcs1 = pem_body(RSA_PKCS1_PEM);
    let jwk = Keys::jwk(&keys.rsa);
    let n = jwk["n"].as_str().unwrap().to_owned();
    assert!(VerifyingKey::from_der(&spki, Algorithm::RS256).is_ok(), "RSA SPKI DER");
    assert!(VerifyingKey::from_der(&pkcs1, Algorithm::RS256).is_ok(), "RSA PKCS#1 DER");
    assert!(VerifyingKey::from_pem(RSA_PKCS1_PEM.as_bytes(), Algorithm::RS256).is_ok(), "RSA PKCS#1 PEM");
    assert!(VerifyingKey::from_jwk(&jwk).is_ok(), "RSA JWK");
    let n_bytes = unb64(&n);
    assert!(spki.windows(n_bytes.len()).any(|w| w == n_bytes), "the JWK's n is the fixture's");
    let rsa: Vec<(&str, Vec<u8>)> = vec![
        ("SPKI PEM", RSA_SPKI_PEM.as_bytes().to_vec()),
        ("SPKI PEM without trailing newline", RSA_SPKI_PEM.trim_end().as_bytes().to_vec()),
        ("SPKI PEM with CRLF", RSA_SPKI_PEM.replace('\n', "\r\n").into_bytes()),
        ("PKCS#1 PEM", RSA_PKCS1_PEM.as_bytes().to_vec()),
        ("PKCS#1 PEM without trailing newline", RSA_PKCS1_PEM.trim_end().as_bytes().to_vec()),
        ("SPKI DER", spki.clone()),
        ("PKCS#1 DER", pkcs1),
        ("SPKI DER in base64", STANDARD.encode(&spki).into_bytes()),
        ("SPKI DER in base64url", b64(&spki).into_bytes()),
        ("JWK JSON", jwk.to_string().into_bytes()),
        ("JWK JSON, pretty", serde_json::to_string_pretty(&jwk).unwrap().into_bytes()),
        ("n bytes", unb64(&n)),
        ("n base64url text", n.into_bytes()),
    ];
    out.extend(rsa.into_iter().map(|(form, secret)| ("RSA", form, secret)));
    // P-256: SPKI built from the JWK's point, and checked to load as the same key.
    let jwk = Keys::jwk(&keys.es);
    let (x, y) = (unb64(jwk["x"].as_str().unwrap()), unb64(jwk["y"].as_str().unwrap()));
    let point = [&[4u8][..], &x, &y].concat();
    let spki = [unhex(P256_SPKI_PREFIX), point.clone()].concat();
    let pem = public_pem(&spki);
    assert!(VerifyingKey::from_der(&spki, Algorithm::ES256).is_ok(), "P-256 SPKI");
    assert!(VerifyingKey::from_pem(pem.as_bytes(), Algorithm::ES256).is_ok(), "P-256 PEM");
    let ec: Vec<(&str, Vec<u8>)> = vec![
        ("SPKI PEM", pem.clone().into_bytes()),
        ("SPKI PEM without trailing newline", pem.trim_end().as_bytes().to_vec()),
        ("SPKI DER", spki.clone()),
        ("SPKI DER in base64", STANDARD.encode(&spki).into_bytes()),
        ("JWK JSON", jwk.to_string().into_bytes()),
        ("uncompressed point", point),
        ("x || y", [x.clone(), y].concat()),
        ("x bytes", x),
        ("x base64url text", jwk["x"].as_str().unwrap().as_bytes().to_vec()),
    ];
    out.extend(ec.into_iter().map(|(form, secret)| ("ES256", form, secret)));
    // Ed25519.
    let jwk = Keys::jwk(&keys.ed);
    let x = unb64(jwk["x"].as_str().unwrap());
    let spki = [unhex(ED25519_SPKI_PREFIX), x.clone()].concat();
    let pem = public_pem(&spki);
    assert!(VerifyingKey::from_der(&spki, Algorithm::EdDSA).is_ok(), "Ed25519 SPKI");
    assert!(VerifyingKey::from_pem(pem.as_bytes(), Algorithm::EdDSA).is_ok(), "Ed25519 PEM");
    let ed: Vec<(&str, Vec<u8>)> = vec![
        ("SPKI PEM", pem.clone().into_bytes()),
        ("SPKI PEM without trailing newline", pem.trim_end().as_bytes().to_vec()),
        ("SPKI DER", spki.clone()),
        ("SPKI DER in base64", STANDARD.encode(&spki).into_bytes()),
        ("JWK JSON", jwk.to_string().into_bytes()),
        ("x bytes", x),
        ("x base64url text", jwk["x"].as_str().unwrap().as_bytes().to_vec()),
    ];
    out.extend(ed.into_iter().map(|(form, secret)| ("EdDSA", form, secret)));
    out
}

#[rustfmt::skip]
fn key_confusion(t: &mut Table, w: &World<'_>) {
    t.category("HS/asymmetric key confusion");
    let k = w.keys;
    t.add("control: RS256 token on the RSA-only route", At::Rsa, bearer(&sign(&k.rsa, &header_of(&k.rsa), &w.claims())), Expect::Pass);
    t.add("control: EdDSA token on the Ed25519-only route", At::Ed, bearer(&sign(&k.ed, &header_of(&k.ed), &w.claims())), Expect::Pass);
    for (family, form, secret) in secrets_of_public_keys(k) {
        let (at, victim_kid) = match family {
            "RSA" => (At::Rsa, k.rsa.kid()),
            "ES256" => (At::Es, k.es.kid()),
            _ => (At::Ed, k.ed.kid()),
        };
        for hs in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            // Our signer refuses a secret shorter than the hash: that variant is not mounted.
            let Ok(attacker) = SigningKey::hmac(&secret, hs) else { continue };
            let name = hs.name();
            t.add(format!("{name} keyed with the {family} {form}, no kid"), at, bearer(&sign(&attacker, &json!({"alg": name, "typ": "JWT"}), &w.claims())), Expect::BadToken);
            t.add(format!("{name} keyed with the {family} {form}, victim kid"), at, bearer(&sign(&attacker, &json!({"alg": name, "kid": victim_kid}), &w.claims())), Expect::BadToken);
        }
        // The same MAC under a header that names the key's own algorithm.
        let mac = sign(&SigningKey::hmac(&secret, Algorithm::HS256).unwrap(), &json!({"alg": "HS256"}), &w.claims());
        let (_, p, s) = parts(&mac);
        let own = b64(json!({"alg": family, "kid": victim_kid}).to_string());
        t.add(format!("HS256 MAC keyed with the {family} {form}, re-headed as {family}"), at, bearer(&format!("{own}.{p}.{s}")), Expect::BadToken);
    }
    let attacker = SigningKey::hmac(RSA_SPKI_PEM.as_bytes(), Algorithm::HS256).unwrap();
    t.add("HS256 keyed with the RSA SPKI PEM, RSA kid, several-keys route", At::Multi, bearer(&sign(&attacker, &json!({"alg": "HS256", "kid": k.rsa.kid()}), &w.claims())), Expect::BadToken);
    let attacker = SigningKey::hmac(Keys::jwk(&k.es).to_string().as_bytes(), Algorithm::HS256).unwrap();
    t.add("HS256 keyed with the JWK JSON, victim kid, JWKS route", At::Jwks, bearer(&sign(&attacker, &json!({"alg": "HS256", "kid": k.es.kid()}), &w.claims())), Expect::BadToken);
}

#[rustfmt::skip]
fn embedded_keys(t: &mut Table, w: &World<'_>) {
    t.category("embedded keys: jwk, jku, x5u, x5c");
    let k = w.keys;
    let attacker_jwk = Keys::jwk(&k.attacker);
    let (x, y) = (unb64(attacker_jwk["x"].as_str().unwrap()), unb64(attacker_jwk["y"].as_str().unwrap()));
    let attacker_spki = [unhex(P256_SPKI_PREFIX), vec![4], x, y].concat();
    let jku = format!("{}/evil/jwks.json", w.key_server);
    let x5u = format!("{}/evil/cert.pem", w.key_server);
    let members = [
        ("jwk", "jwk", json!(attacker_jwk)),
        ("jku", "jku", json!(jku)),
        ("x5u", "x5u", json!(x5u)),
        ("x5c", "x5c (garbage)", json!([STANDARD.encode(b"attacker certificate, DER")])),
        ("x5c", "x5c (the attacker's SPKI)", json!([STANDARD.encode(&attacker_spki)])),
    ];
    t.add("control: the victim's token on the JWKS route", At::Jwks, bearer(&w.es(&w.claims())), Expect::Pass);
    for (member, label, value) in &members {
        for (what, kid) in [("no kid", None), ("the victim's kid", Some(k.es.kid())), ("the attacker's kid", Some(k.attacker.kid()))] {
            let mut header = json!({"alg": "ES256", *member: value});
            if let Some(kid) = kid {
                header = with_member(header, "kid", Some(json!(kid)));
            }
            let token = sign(&k.attacker, &header, &w.claims());
            t.add(format!("{label} header, signed by the attacker, {what}"), At::Es, bearer(&token), Expect::BadToken);
            t.add(format!("{label} header, signed by the attacker, {what}, JWKS route"), At::Jwks, bearer(&token), Expect::BadToken);
        }
        // The victim's own token with the member: ignored, so accepted, and nothing fetched.
        t.add(format!("control: {label} header on the victim's own token"), At::Es, bearer(&w.es_with_header(&json!({"alg": "ES256", "kid": k.es.kid(), *member: value}))), Expect::Pass);
    }
    let all = json!({"alg": "ES256", "kid": k.attacker.kid(), "jwk": attacker_jwk, "jku": jku, "x5u": x5u, "x5c": [STANDARD.encode(&attacker_spki)]});
    let token = sign(&k.attacker, &all, &w.claims());
    t.add("jwk + jku + x5u + x5c at once", At::Es, bearer(&token), Expect::BadToken);
    t.add("jwk + jku + x5u + x5c at once, JWKS route", At::Jwks, bearer(&token), Expect::BadToken);
    let hs = SigningKey::hmac(HS_SECRET, Algorithm::HS256).unwrap();
    t.add("HS256 with an embedded oct jwk", At::Es, bearer(&sign(&hs, &json!({"alg": "HS256", "kid": k.es.kid(), "jwk": {"kty": "oct", "k": b64(HS_SECRET)}}), &w.claims())), Expect::BadToken);
}

#[rustfmt::skip]
fn kid_injection(t: &mut Table, w: &World<'_>) {
    t.category("kid injection");
    let k = w.keys;
    let kid = k.es.kid();
    // Signed by the victim's own key: only the kid lookup can reject these.
    let with_kid = |kid: Value| bearer(&w.es_with_header(&json!({"alg": "ES256", "kid": kid})));
    t.add("control: the real kid", At::Es, with_kid(json!(kid)), Expect::Pass);
    t.add("control: no kid, one key", At::Es, bearer(&w.es_with_header(&json!({"alg": "ES256"}))), Expect::Pass);
    let hostile: Vec<(&str, String)> = vec![
        ("path traversal ../../dev/null", "../../dev/null".into()),
        ("path traversal to /etc/passwd", "../../../../../../etc/passwd".into()),
        ("absolute path", "/dev/null".into()),
        ("file URL", "file:///dev/null".into()),
        ("URL", "https://attacker.example/key.pem".into()),
        ("SQL ' OR 1=1 --", "' OR 1=1 --".into()),
        ("SQL ' OR '1'='1", "' OR '1'='1".into()),
        ("SQL DROP TABLE", "1; DROP TABLE keys; --".into()),
        ("SQL after the real kid", format!("{kid}' OR '1'='1")),
        ("wildcard *", "*".into()),
        ("LIKE %", "%".into()),
        ("empty", String::new()),
        ("space", " ".into()),
        ("NUL", "\u{0}".into()),
        ("real kid + NUL", format!("{kid}\u{0}")),
        ("real kid + NUL + path", format!("{kid}\u{0}../../dev/null")),
        ("newline", "\n".into()),
        ("CRLF header injection", "x\r\nX-Injected: 1".into()),
        ("tab", "\t".into()),
        ("ANSI escape", "\u{1b}[2J".into()),
        ("right-to-left override", "\u{202e}".into()),
        ("emoji", "🔑".into()),
        ("real kid + space", format!("{kid} ")),
        ("space + real kid", format!(" {kid}")),
        ("real kid upper-cased", kid.to_uppercase()),
        ("real kid as a path", format!("{kid}/../{kid}")),
        ("../ + real kid", format!("../{kid}")),
        ("100 KiB (over the length cap)", "k".repeat(100 * 1024)),
    ];
    for (what, hostile) in hostile {
        t.add(format!("kid {what}"), At::Es, with_kid(json!(hostile)), Expect::BadToken);
    }
    for (what, value) in [("number", json!(1)), ("float", json!(1.5)), ("true", json!(true)), ("object", json!({"path": "../../dev/null"})), ("empty object", json!({})), ("array of the real kid", json!([kid])), ("empty array", json!([]))] {
        t.add(format!("kid of the wrong type: {what}"), At::Es, with_kid(value), Expect::BadToken);
    }
    // Non-UTF-8 and non-JSON text in the kid (HS256 fixtures, validly signed).
    for name in ["kid_invalid_utf8", "kid_overlong_utf8", "kid_utf8_surrogate", "kid_lone_surrogate_escape", "kid_raw_nul", "kid_raw_newline"] {
        t.add(format!("fixture {name}"), At::Hs, bearer(w.fixture(name)), Expect::BadToken);
    }
    // A kid naming a key of another algorithm.
    let claims = w.claims();
    t.add("control: ES256 token on the several-keys route", At::Multi, bearer(&sign(&k.es, &header_of(&k.es), &claims)), Expect::Pass);
    t.add("control: EdDSA token on the several-keys route", At::Multi, bearer(&sign(&k.ed, &header_of(&k.ed), &claims)), Expect::Pass);
    for (what, other) in [("EdDSA", &k.ed), ("ES384", &k.es384), ("RS256", &k.rsa)] {
        t.add(format!("ES256 signature, kid of the {what} key"), At::Multi, bearer(&sign(&k.es, &json!({"alg": "ES256", "kid": other.kid()}), &claims)), Expect::BadToken);
        t.add(format!("ES256 signature, alg and kid of the {what} key"), At::Multi, bearer(&sign(&k.es, &json!({"alg": other.algorithm().name(), "kid": other.kid()}), &claims)), Expect::BadToken);
    }
    t.add("no kid on the several-keys route", At::Multi, bearer(&sign(&k.es, &json!({"alg": "ES256"}), &claims)), Expect::BadToken);
}

#[rustfmt::skip]
fn psychic_signatures(t: &mut Table, w: &World<'_>) {
    t.category("ECDSA psychic signatures (CVE-2022-21449)");
    let k = w.keys;
    for (curve, at, key, order) in [("P-256", At::Es, &k.es, P256_N), ("P-384", At::Es384, &k.es384, P384_N)] {
        let token = sign(key, &header_of(key), &w.claims());
        let (h, p, s) = parts(&token);
        let sig = unb64(s);
        let half = sig.len() / 2;
        let (r, s) = sig.split_at(half);
        let zero = vec![0u8; half];
        let n = unhex(order);
        let mut one = vec![0u8; half];
        one[half - 1] = 1;
        let ff = vec![0xffu8; half];
        let variants: Vec<(&str, Vec<u8>)> = vec![
            ("r = s = 0", [&zero[..], &zero].concat()),
            ("r = 0", [&zero[..], s].concat()),
            ("s = 0", [r, &zero[..]].concat()),
            ("r = s = n", [&n[..], &n].concat()),
            ("r = n", [&n[..], s].concat()),
            ("s = n", [r, &n[..]].concat()),
            ("r = 0, s = n", [&zero[..], &n].concat()),
            ("r = s = 1", [&one[..], &one].concat()),
            ("r = s = 2^k - 1", [&ff[..], &ff].concat()),
            ("all-zero 64 bytes", vec![0u8; 64]),
            ("all-zero 96 bytes", vec![0u8; 96]),
            ("one byte short", sig[..sig.len() - 1].to_vec()),
            ("one zero byte longer", [&sig[..], &[0]].concat()),
            ("r only", r.to_vec()),
            ("twice the signature", [&sig[..], &sig].concat()),
            ("the valid signature DER-encoded", der_signature(&sig)),
            ("r = s = 0, DER-encoded", vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]),
        ];
        t.add(format!("{curve} control"), at, bearer(&token), Expect::Pass);
        for (what, bytes) in variants {
            t.add(format!("{curve} {what}"), at, bearer(&format!("{h}.{p}.{}", b64(bytes))), Expect::BadToken);
        }
    }
    t.add("a P-384 signature for the P-256 key", At::Es, bearer(&sign(&k.es384, &json!({"alg": "ES256", "kid": k.es.kid()}), &w.claims())), Expect::BadToken);
}

#[rustfmt::skip]
fn claim_types(t: &mut Table, w: &World<'_>) {
    t.category("claims: wrong JSON type, missing, duplicated");
    let exp = w.now + 600;
    let cases: Vec<(&str, &str, Option<Value>, Expect)> = vec![
        ("exp as a string", "exp", Some(json!(exp.to_string())), Expect::BadToken),
        ("control: exp as a float (RFC 7519 allows fractions)", "exp", Some(json!(exp as f64 + 0.5)), Expect::Pass),
        ("exp as a float, past", "exp", Some(json!((w.now - 3600) as f64 + 0.5)), Expect::Expired),
        ("exp negative", "exp", Some(json!(-1)), Expect::BadToken),
        ("exp zero", "exp", Some(json!(0)), Expect::Expired),
        ("control: exp u64::MAX (far future, no overflow)", "exp", Some(json!(u64::MAX)), Expect::Pass),
        ("exp 1e300", "exp", Some(json!(1e300)), Expect::BadToken),
        ("exp true", "exp", Some(json!(true)), Expect::BadToken),
        ("exp null", "exp", Some(json!(null)), Expect::BadToken),
        ("exp array", "exp", Some(json!([exp])), Expect::BadToken),
        ("exp object", "exp", Some(json!({"value": exp})), Expect::BadToken),
        ("nbf as a string", "nbf", Some(json!("0")), Expect::BadToken),
        ("nbf false", "nbf", Some(json!(false)), Expect::BadToken),
        ("nbf negative", "nbf", Some(json!(-1)), Expect::BadToken),
        ("iat as a string", "iat", Some(json!("0")), Expect::BadToken),
        ("iat array", "iat", Some(json!([1])), Expect::BadToken),
        ("iss number", "iss", Some(json!(1)), Expect::BadToken),
        ("iss array", "iss", Some(json!([ISSUER])), Expect::BadToken),
        ("iss null", "iss", Some(json!(null)), Expect::BadToken),
        ("aud object", "aud", Some(json!({"aud": AUDIENCE})), Expect::BadToken),
        ("aud number", "aud", Some(json!(42)), Expect::BadToken),
        ("aud array with a number", "aud", Some(json!([AUDIENCE, 1])), Expect::BadToken),
        ("aud true", "aud", Some(json!(true)), Expect::BadToken),
        ("aud null", "aud", Some(json!(null)), Expect::BadToken),
        ("sub number", "sub", Some(json!(7)), Expect::BadToken),
        ("sub object", "sub", Some(json!({})), Expect::BadToken),
        ("sub null", "sub", Some(json!(null)), Expect::BadToken),
        ("jti number", "jti", Some(json!(5)), Expect::BadToken),
        ("roles object", "roles", Some(json!({"admin": true})), Expect::BadToken),
        ("roles number", "roles", Some(json!(5)), Expect::BadToken),
        ("roles with a number", "roles", Some(json!(["user", 1])), Expect::BadToken),
        ("scope array", "scope", Some(json!(["read"])), Expect::BadToken),
        ("exp missing", "exp", None, Expect::BadToken),
        ("iss missing", "iss", None, Expect::BadToken),
        ("aud missing", "aud", None, Expect::BadToken),
        ("aud empty array", "aud", Some(json!([])), Expect::BadToken),
        ("control: sub missing (optional)", "sub", None, Expect::Pass),
        ("control: nbf missing (optional)", "nbf", None, Expect::Pass),
    ];
    for (what, name, member, expect) in cases {
        t.add(what, At::Es, bearer(&w.es(&w.claims_with(name, member))), expect);
    }
    t.add("no claims at all", At::Es, bearer(&w.es(&json!({}))), Expect::BadToken);
    for (what, payload) in [("array", json!([])), ("null", json!(null)), ("string", json!("claims")), ("number", json!(1))] {
        t.add(format!("payload is a JSON {what}"), At::Es, bearer(&w.es(&payload)), Expect::BadToken);
    }
    // Duplicates and escaped names (HS256 fixtures, validly signed over the raw text).
    for name in ["dup_exp_expired_last", "dup_exp_expired_first", "dup_exp_escaped", "dup_iss", "dup_aud", "dup_sub", "payload_bom", "payload_trailing_garbage", "payload_two_objects", "payload_empty", "payload_invalid_utf8"] {
        t.add(format!("fixture {name}"), At::Hs, bearer(w.fixture(name)), Expect::BadToken);
    }
}

#[rustfmt::skip]
fn time(t: &mut Table, w: &World<'_>) {
    t.category("exp, nbf, iat at the leeway edges");
    let k = w.keys;
    let es = |claims: &Value| bearer(&sign(&k.es, &header_of(&k.es), claims));
    let exp = NOW + 600;
    let token = es(&claims_at(NOW));
    // In this order: the accepted token is cached, and the cache must not outlive exp + leeway.
    t.add_at(NOW, "control: valid at issue time", At::Clock, token.clone(), Expect::Pass);
    t.add_at(exp - 1, "one second before exp", At::Clock, token.clone(), Expect::Pass);
    t.add_at(exp, "at exp, inside the leeway", At::Clock, token.clone(), Expect::Pass);
    t.add_at(exp + LEEWAY - 1, "exp + leeway - 1 (last accepted second)", At::Clock, token.clone(), Expect::Pass);
    t.add_at(exp + LEEWAY, "exp + leeway (first refused second, cached before)", At::Clock, token.clone(), Expect::Expired);
    t.add_at(exp + LEEWAY + 1, "exp + leeway + 1", At::Clock, token.clone(), Expect::Expired);
    t.add_at(exp + LEEWAY + 86_400, "a day after exp", At::Clock, token, Expect::Expired);
    let fresh = es(&with_member(claims_at(NOW), "jti", Some(json!("never-cached"))));
    t.add_at(exp + LEEWAY, "exp + leeway, never cached", At::Clock, fresh, Expect::Expired);
    let later = NOW + 1000;
    let long = with_member(claims_at(NOW), "exp", Some(json!(NOW + 5000)));
    let nbf = es(&with_member(long.clone(), "nbf", Some(json!(later))));
    t.add_at(later - LEEWAY - 1, "nbf - leeway - 1 (last refused second)", At::Clock, nbf.clone(), Expect::BadToken);
    t.add_at(later - LEEWAY, "nbf - leeway (first accepted second)", At::Clock, nbf, Expect::Pass);
    t.add_at(NOW, "nbf a day ahead", At::Clock, es(&with_member(long.clone(), "nbf", Some(json!(NOW + 86_400)))), Expect::BadToken);
    let iat = es(&with_member(with_member(long, "iat", Some(json!(later))), "nbf", None));
    t.add_at(later - LEEWAY - 1, "iat - leeway - 1 (issued in the future)", At::Clock, iat.clone(), Expect::BadToken);
    t.add_at(later - LEEWAY, "iat - leeway (first accepted second)", At::Clock, iat, Expect::Pass);
    // On the system clock.
    let now = w.now;
    t.add("expired an hour ago", At::Es, bearer(&w.es(&w.claims_with("exp", Some(json!(now - 3600))))), Expect::Expired);
    t.add("nbf in an hour", At::Es, bearer(&w.es(&w.claims_with("nbf", Some(json!(now + 3600))))), Expect::BadToken);
    t.add("iat in an hour", At::Es, bearer(&w.es(&w.claims_with("iat", Some(json!(now + 3600))))), Expect::BadToken);
    t.add("expired admin token on the admin route (401, not 403)", At::EsAdmin, bearer(&w.es(&with_member(w.claims_with("exp", Some(json!(now - 3600))), "roles", Some(json!(["admin"]))))), Expect::Expired);
}

#[rustfmt::skip]
fn issuer_audience(t: &mut Table, w: &World<'_>) {
    t.category("issuer and audience");
    for iss in ["https://evil.test", "https://issuer.test/", "HTTPS://ISSUER.TEST", "https://issuer.test ", ""] {
        t.add(format!("iss {iss:?}"), At::Es, bearer(&w.es(&w.claims_with("iss", Some(json!(iss))))), Expect::BadToken);
    }
    for (what, aud, expect) in [
        ("another audience", json!("other"), Expect::BadToken),
        ("our audience in another case", json!("Test-Audience"), Expect::BadToken),
        ("empty audience", json!(""), Expect::BadToken),
        ("audience array without ours", json!(["x", "y"]), Expect::BadToken),
        ("audience array of near misses", json!(["test", "audience", "test-audience "]), Expect::BadToken),
        ("control: audience array with ours", json!(["other", AUDIENCE]), Expect::Pass),
    ] {
        t.add(what, At::Es, bearer(&w.es(&w.claims_with("aud", Some(aud)))), expect);
    }
    t.add("admin token for another audience on the admin route", At::EsAdmin, bearer(&w.es(&with_member(w.claims_with("aud", Some(json!("billing"))), "roles", Some(json!(["admin"]))))), Expect::BadToken);
    // Another key signing as the issuer, for our audience, under the victim's kid.
    let forged = sign(&w.keys.attacker, &json!({"alg": "ES256", "kid": w.keys.es.kid()}), &w.claims());
    t.add("another key signing as the issuer, victim kid", At::Es, bearer(&forged), Expect::BadToken);
    t.add("another key signing as the issuer, victim kid, JWKS route", At::Jwks, bearer(&forged), Expect::BadToken);
}

#[rustfmt::skip]
fn shapes(t: &mut Table, w: &World<'_>) {
    t.category("JWE, non-JWS shapes, header members");
    let token = w.es(&w.claims());
    let (h, p, s) = parts(&token);
    let jwe = format!("{}.ZW5jcnlwdGVkLWtleQ.aXY.Y2lwaGVydGV4dA.dGFn", b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#));
    let jwe_dir = format!("{}..aXY.Y2lwaGVydGV4dA.dGFn", b64(r#"{"alg":"dir","enc":"A128GCM"}"#));
    let general = json!({"payload": p, "signatures": [{"protected": h, "signature": s}]}).to_string();
    let flattened = json!({"payload": p, "protected": h, "signature": s}).to_string();
    let shapes: Vec<(&str, String, Expect)> = vec![
        ("JWE, five parts", jwe, Expect::BadToken),
        ("JWE dir, empty encrypted key", jwe_dir, Expect::BadToken),
        ("the valid token + two more parts", format!("{token}.dGFn.dGFn"), Expect::BadToken),
        ("two parts", format!("{h}.{p}"), Expect::BadToken),
        ("four parts", format!("{h}.{p}.{s}.{s}"), Expect::BadToken),
        ("trailing dot", format!("{h}.{p}.{s}."), Expect::BadToken),
        ("leading dot", format!(".{h}.{p}.{s}"), Expect::BadToken),
        ("empty payload part", format!("{h}..{s}"), Expect::BadToken),
        ("empty header part", format!(".{p}.{s}"), Expect::BadToken),
        ("no dots", format!("{h}{p}{s}"), Expect::BadToken),
        ("header only", h.to_owned(), Expect::BadToken),
        ("many dots", "a.b.c.d.e.f.g.h.i.j".to_owned(), Expect::BadToken),
        ("dots only", "....".to_owned(), Expect::BadToken),
        ("one dot", ".".to_owned(), Expect::BadToken),
        ("two dots", "..".to_owned(), Expect::BadToken),
        ("parts swapped", format!("{p}.{h}.{s}"), Expect::BadToken),
        ("JSON serialization (general), raw", general.clone(), Expect::BadHeader),
        ("JSON serialization (flattened), raw", flattened, Expect::BadHeader),
        ("JSON serialization, base64url as one part", b64(&general), Expect::BadToken),
    ];
    for (what, token, expect) in shapes {
        t.add(what, At::Es, bearer(&token), expect);
    }
    let kid = w.keys.es.kid();
    let headers: Vec<(&str, Value)> = vec![
        ("enc in a three-part token", json!({"alg": "ES256", "kid": kid, "enc": "A256GCM"})),
        ("enc null", json!({"alg": "ES256", "kid": kid, "enc": null})),
        ("b64 false", json!({"alg": "ES256", "kid": kid, "b64": false})),
        ("b64 false, crit [b64]", json!({"alg": "ES256", "kid": kid, "b64": false, "crit": ["b64"]})),
        ("crit with an unknown extension", json!({"alg": "ES256", "kid": kid, "crit": ["urn:x"], "urn:x": 1})),
        ("crit naming a registered member", json!({"alg": "ES256", "kid": kid, "crit": ["exp"], "exp": 1})),
        ("crit empty list", json!({"alg": "ES256", "kid": kid, "crit": []})),
        ("crit null", json!({"alg": "ES256", "kid": kid, "crit": null})),
        ("crit as a string", json!({"alg": "ES256", "kid": kid, "crit": "urn:x"})),
        ("crit object", json!({"alg": "ES256", "kid": kid, "crit": {}})),
        ("alg as a number", json!({"alg": 256, "kid": kid})),
        ("alg as an array", json!({"alg": ["ES256"], "kid": kid})),
        ("alg null", json!({"alg": null, "kid": kid})),
        ("alg as an object", json!({"alg": {"name": "ES256"}, "kid": kid})),
        ("alg missing", json!({"kid": kid})),
        ("alg empty", json!({"alg": "", "kid": kid})),
        ("alg lower-case es256", json!({"alg": "es256", "kid": kid})),
        ("alg ES256 + space", json!({"alg": "ES256 ", "kid": kid})),
        ("alg ES256 + NUL", json!({"alg": "ES256\u{0}", "kid": kid})),
        ("alg unknown ES512", json!({"alg": "ES512", "kid": kid})),
        ("alg of a JWE", json!({"alg": "RSA-OAEP", "kid": kid})),
        ("header is an array", json!([{"alg": "ES256", "kid": kid}])),
        ("header is a string", json!("ES256")),
        ("header is null", json!(null)),
        ("header is a number", json!(1)),
        ("header is an empty object", json!({})),
    ];
    for (what, header) in headers {
        t.add(what, At::Es, bearer(&w.es_with_header(&header)), Expect::BadToken);
    }
    for name in ["dup_header_alg_then_none", "dup_header_none_then_alg", "dup_header_kid", "dup_header_alg_escaped", "escaped_alg_none", "header_bom", "header_trailing_garbage", "header_two_objects", "header_not_json", "header_empty", "b64_false_detached"] {
        t.add(format!("fixture {name}"), At::Hs, bearer(w.fixture(name)), Expect::BadToken);
    }
    t.add("control: fixture escaped_alg_hs256 (\\u0048S256 is HS256)", At::Hs, bearer(w.fixture("escaped_alg_hs256")), Expect::Pass);
}

/// A token signed by the main key, with padding in the header and claims, exactly `len`
/// bytes long.
fn token_of_length(w: &World<'_>, len: usize) -> String {
    let es = &w.keys.es;
    // Unpadded base64url of n bytes: ceil(4n / 3) characters. An ES256 signature: 86.
    let encoded = |bytes: usize| (4 * bytes).div_ceil(3);
    let json_len = |v: &Value| serde_json::to_vec(v).unwrap().len();
    for extra in 0..4 {
        let header = with_member(header_of(es), "x", Some(json!("h".repeat(extra))));
        let base = w.claims_with("pad", Some(json!("")));
        let fixed = encoded(json_len(&header)) + 1 + 1 + 86;
        let Some(room) = len.checked_sub(fixed) else {
            continue;
        };
        // The payload JSON grows by one byte per padding character.
        let Some(pad) = (0..=room).find(|pad| encoded(json_len(&base) + pad) == room) else {
            continue;
        };
        let token = sign(
            es,
            &header,
            &w.claims_with("pad", Some(json!("p".repeat(pad)))),
        );
        assert_eq!(token.len(), len);
        return token;
    }
    panic!("no token of {len} bytes");
}

#[rustfmt::skip]
fn oversized(t: &mut Table, w: &World<'_>) {
    t.category("oversized tokens and headers");
    let v = w.es(&w.claims());
    t.add("control: a valid token of exactly the cap", At::Es, bearer(&token_of_length(w, CAP)), Expect::Pass);
    t.add("control: a valid token one byte under the cap", At::Es, bearer(&token_of_length(w, CAP - 1)), Expect::Pass);
    t.add("a valid token one byte over the cap", At::Es, bearer(&token_of_length(w, CAP + 1)), Expect::BadToken);
    t.add("a valid token twice the cap", At::Es, bearer(&token_of_length(w, 2 * CAP)), Expect::BadToken);
    t.add("cap + 1 bytes of A", At::Es, bearer(&"A".repeat(CAP + 1)), Expect::BadToken);
    t.add("cap + 1 dots", At::Es, bearer(&".".repeat(CAP + 1)), Expect::BadToken);
    t.add("100 KiB token of three parts", At::Es, bearer(&format!("{}.{}.{}", "A".repeat(50_000), "B".repeat(50_000), "C")), Expect::BadToken);
    t.add("100 KiB token on the admin route", At::EsAdmin, bearer(&"A".repeat(100 * 1024)), Expect::BadToken);
    t.add("the valid token after 100 KiB of spaces", At::Es, raw(format!("Bearer {}{v}", " ".repeat(100 * 1024))), Expect::Pass);
    t.add("1 MiB header (refused by the HTTP server, not a 5xx)", At::Es, bearer(&"A".repeat(1024 * 1024)), Expect::HeaderTooLarge);
    t.add("control: after the 1 MiB header the server still answers", At::Es, bearer(&v), Expect::Pass);
    t.add("fifty Authorization headers", At::Es, headers(vec![common::bearer(&v); 50]), Expect::TwoHeaders);
}

#[rustfmt::skip]
fn base64url(t: &mut Table, w: &World<'_>) {
    t.category("invalid base64url, strictness");
    // A signature with `-` or `_`, so that the standard alphabet differs from it.
    let token = (0..).map(|i| w.es(&w.claims_with("jti", Some(json!(format!("b64-{i}")))))).find(|t| parts(t).2.contains(['-', '_'])).unwrap();
    let (h, p, s) = parts(&token);
    t.add("control: a valid token with - or _ in its signature", At::Es, bearer(&token), Expect::Pass);
    let odd: Vec<(&str, String, Expect)> = vec![
        ("signature with == padding", format!("{h}.{p}.{s}=="), Expect::BadToken),
        ("signature with = padding", format!("{h}.{p}.{s}="), Expect::BadToken),
        ("header with = padding (a mid-token =)", format!("{h}==.{p}.{s}"), Expect::BadHeader),
        ("signature with non-canonical trailing bits", format!("{h}.{p}.{}", with_trailing_bits(s)), Expect::BadToken),
        ("signature in the standard alphabet", format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")), Expect::BadToken),
        ("+ in the header", format!("+{}.{p}.{s}", &h[1..]), Expect::BadToken),
        ("/ in the payload", format!("{h}./{}.{s}", &p[1..]), Expect::BadToken),
        ("~ in the signature", format!("{h}.{p}.~{}", &s[1..]), Expect::BadToken),
        ("space inside the payload", format!("{h}.{} {}.{s}", &p[..4], &p[4..]), Expect::BadHeader),
        ("percent-encoded character", format!("{h}.{p}.%41{}", &s[1..]), Expect::BadHeader),
        ("header of length 1 mod 4", format!("{h}A.{p}.{s}"), Expect::BadToken),
    ];
    for (what, token, expect) in odd {
        t.add(what, At::Es, bearer(&token), expect);
    }
    // Each odd text validly signed over itself: only strict decoding can reject it.
    for (name, expect) in [
        ("odd_header_canonical", Expect::Pass),
        ("odd_payload_canonical", Expect::Pass),
        ("odd_signature_canonical", Expect::Pass),
        ("padded_header", Expect::BadHeader),
        ("padded_payload", Expect::BadHeader),
        ("padded_signature", Expect::BadToken),
        ("standard_alphabet_header", Expect::BadToken),
        ("standard_alphabet_payload", Expect::BadToken),
        ("standard_alphabet_signature", Expect::BadToken),
        ("trailing_bits_header", Expect::BadToken),
        ("trailing_bits_payload", Expect::BadToken),
        ("trailing_bits_signature", Expect::BadToken),
    ] {
        let label = if expect == Expect::Pass { "control: fixture" } else { "fixture" };
        t.add(format!("{label} {name}"), At::Hs, bearer(w.fixture(name)), expect);
    }
}

#[rustfmt::skip]
fn authorization_header(t: &mut Table, w: &World<'_>) {
    t.category("Authorization header edge cases");
    let v = w.es(&w.claims());
    let other = w.es(&w.claims_with("sub", Some(json!("bob"))));
    let cases: Vec<(&str, Auth, Expect)> = vec![
        ("control: Bearer <token>", bearer(&v), Expect::Pass),
        ("no Authorization header", no_header(), Expect::NoCredentials),
        ("lower-case bearer (schemes are case-insensitive)", raw(format!("bearer {v}")), Expect::Pass),
        ("upper-case BEARER", raw(format!("BEARER {v}")), Expect::Pass),
        ("two spaces after Bearer", raw(format!("Bearer  {v}")), Expect::Pass),
        ("trailing spaces after the token", raw(format!("Bearer {v}   ")), Expect::Pass),
        ("trailing tab after the token", raw(format!("Bearer {v}\t")), Expect::Pass),
        ("header only Bearer", raw("Bearer"), Expect::BadHeader),
        ("Bearer and a space", raw("Bearer "), Expect::BadHeader),
        ("Bearer and two spaces", raw("Bearer  "), Expect::BadHeader),
        ("Bearer, space, tab", raw("Bearer \t"), Expect::BadHeader),
        ("tab between scheme and token (no Bearer scheme then)", raw(format!("Bearer\t{v}")), Expect::NoCredentials),
        ("no space between scheme and token", raw(format!("Bearer{v}")), Expect::NoCredentials),
        ("the token without a scheme", raw(&v), Expect::NoCredentials),
        ("Basic credentials", raw("Basic dXNlcjpwYXNz"), Expect::NoCredentials),
        ("Basic with the token", raw(format!("Basic {v}")), Expect::NoCredentials),
        ("Token scheme", raw(format!("Token {v}")), Expect::NoCredentials),
        ("JWT scheme", raw(format!("JWT {v}")), Expect::NoCredentials),
        ("DPoP scheme", raw(format!("DPoP {v}")), Expect::NoCredentials),
        ("empty header", raw(""), Expect::NoCredentials),
        ("token in the access_token query parameter only", query(format!("?access_token={v}")), Expect::NoCredentials),
        ("token in a cookie only", other_header("cookie", format!("access_token={v}")), Expect::NoCredentials),
        ("token in Proxy-Authorization only", other_header("proxy-authorization", common::bearer(&v)), Expect::NoCredentials),
        ("token in X-Forwarded-Authorization only", other_header("x-forwarded-authorization", common::bearer(&v)), Expect::NoCredentials),
        ("two identical Bearer headers", headers([common::bearer(&v), common::bearer(&v)]), Expect::TwoHeaders),
        ("two different Bearer headers", headers([common::bearer(&v), common::bearer(&other)]), Expect::TwoHeaders),
        ("Bearer and Basic headers", headers([common::bearer(&v), "Basic dXNlcjpwYXNz".to_owned()]), Expect::TwoHeaders),
        ("Bearer and an empty header", headers([common::bearer(&v), String::new()]), Expect::TwoHeaders),
        ("a bad and a good Bearer header", headers(["Bearer x.y.z".to_owned(), common::bearer(&v)]), Expect::TwoHeaders),
        ("comma-separated Bearer list", raw(format!("Bearer {v}, Bearer {other}")), Expect::BadHeader),
        ("comma-separated Bearer and Basic", raw(format!("Bearer {v}, Basic dXNlcjpwYXNz")), Expect::BadHeader),
        ("comma-separated tokens", raw(format!("Bearer {v},{other}")), Expect::BadHeader),
        ("two tokens after one Bearer", raw(format!("Bearer {v} {other}")), Expect::BadHeader),
        ("token in quotes", raw(format!("Bearer \"{v}\"")), Expect::BadHeader),
        ("auth-param syntax", raw(format!("Bearer token=\"{v}\"")), Expect::BadHeader),
        ("realm parameter", raw("Bearer realm=\"api\""), Expect::BadHeader),
        ("padding only", raw("Bearer ==="), Expect::BadHeader),
        ("non-ASCII (UTF-8 é) before the token", raw(format!("Bearer é{v}")), Expect::BadHeader),
        ("non-ASCII byte 0xff after the token", raw([format!("Bearer {v}").as_bytes(), b"\xff"].concat()), Expect::BadHeader),
        ("non-ASCII byte 0x80 inside the token", raw([format!("Bearer {}", &v[..10]).as_bytes(), b"\x80", &v.as_bytes()[10..]].concat()), Expect::BadHeader),
        ("non-ASCII in the scheme", raw(format!("Bearér {v}")), Expect::NoCredentials),
        ("tab inside the token", raw(format!("Bearer {}\t{}", &v[..10], &v[10..])), Expect::BadHeader),
        ("valid token + padding =", raw(format!("Bearer {v}=")), Expect::BadToken),
    ];
    for (what, auth, expect) in cases {
        t.add(what, At::Es, auth, expect);
    }
    t.add("no Authorization header, admin route", At::EsAdmin, no_header(), Expect::NoCredentials);
    t.add("Basic credentials, admin route", At::EsAdmin, raw("Basic YWRtaW46YWRtaW4="), Expect::NoCredentials);
    t.add("header only Bearer, admin route", At::EsAdmin, raw("Bearer"), Expect::BadHeader);
    t.add("two headers, admin route", At::EsAdmin, headers([common::bearer(&v), common::bearer(&v)]), Expect::TwoHeaders);
}

#[rustfmt::skip]
fn role_escalation(t: &mut Table, w: &World<'_>) {
    t.category("role escalation");
    let roles = |value: Option<Value>| bearer(&w.es(&w.claims_with("roles", value)));
    let claim = |name: &str, value: Value| bearer(&w.es(&with_member(w.claims_with("roles", None), name, Some(value))));
    let cases: Vec<(&str, Auth, Expect)> = vec![
        ("control: roles [admin]", roles(Some(json!(["admin"]))), Expect::Pass),
        ("control: roles [user, admin]", roles(Some(json!(["user", "admin"]))), Expect::Pass),
        ("control: roles \"admin\" as a string (documented: one role)", roles(Some(json!("admin"))), Expect::Pass),
        ("roles [user]", roles(Some(json!(["user"]))), Expect::Forbidden),
        ("roles [user, auditor] (implied by admin, not implying it)", roles(Some(json!(["user", "auditor"]))), Expect::Forbidden),
        ("roles []", roles(Some(json!([]))), Expect::Forbidden),
        ("no roles claim", roles(None), Expect::Forbidden),
        ("roles null", roles(Some(json!(null))), Expect::Forbidden),
        ("roles \"user admin\" as one string", roles(Some(json!("user admin"))), Expect::Forbidden),
        ("roles \"user,admin\" as one string", roles(Some(json!("user,admin"))), Expect::Forbidden),
        ("roles [Admin]", roles(Some(json!(["Admin"]))), Expect::Forbidden),
        ("roles [ADMIN]", roles(Some(json!(["ADMIN"]))), Expect::Forbidden),
        ("roles [\"admin \"]", roles(Some(json!(["admin "]))), Expect::Forbidden),
        ("roles [\" admin\"]", roles(Some(json!([" admin"]))), Expect::Forbidden),
        ("roles [admin + NUL]", roles(Some(json!(["admin\u{0}"]))), Expect::Forbidden),
        ("roles [admin with a Cyrillic а]", roles(Some(json!(["аdmin"]))), Expect::Forbidden),
        ("roles [*]", roles(Some(json!(["*"]))), Expect::Forbidden),
        ("roles [[admin]]", roles(Some(json!([["admin"]]))), Expect::BadToken),
        ("roles [{name: admin}]", roles(Some(json!([{"name": "admin"}]))), Expect::BadToken),
        ("roles {admin: true}", roles(Some(json!({"admin": true}))), Expect::BadToken),
        ("roles true", roles(Some(json!(true))), Expect::BadToken),
        ("role: [admin]", claim("role", json!(["admin"])), Expect::Forbidden),
        ("Roles: [admin]", claim("Roles", json!(["admin"])), Expect::Forbidden),
        ("groups: [admin]", claim("groups", json!(["admin"])), Expect::Forbidden),
        ("permissions: [admin]", claim("permissions", json!(["admin"])), Expect::Forbidden),
        ("realm_access.roles: [admin] (Keycloak, not configured)", claim("realm_access", json!({"roles": ["admin"]})), Expect::Forbidden),
        ("namespaced roles claim (not configured)", claim("https://example.com/roles", json!(["admin"])), Expect::Forbidden),
        ("scope: admin", claim("scope", json!("admin")), Expect::Forbidden),
        ("scp: [admin]", claim("scp", json!(["admin"])), Expect::Forbidden),
        ("is_admin: true", claim("is_admin", json!(true)), Expect::Forbidden),
    ];
    for (what, auth, expect) in cases {
        t.add(what, At::EsAdmin, auth, expect);
    }
    t.add("control: the user token on the role-free route", At::Es, roles(Some(json!(["user"]))), Expect::Pass);
    let forged = sign(&w.keys.attacker, &json!({"alg": "ES256", "kid": w.keys.es.kid()}), &w.claims_with("roles", Some(json!(["admin"]))));
    t.add("admin token signed by another key (401, not 403)", At::EsAdmin, bearer(&forged), Expect::BadToken);
    // Duplicate and escaped roles claims (HS256 fixtures, validly signed).
    for (name, expect) in [
        ("canonical_admin", Expect::Pass),
        ("escaped_roles_name_admin", Expect::Pass),
        ("canonical", Expect::Forbidden),
        ("dup_roles_user_then_admin", Expect::BadToken),
        ("dup_roles_admin_then_user", Expect::BadToken),
        ("dup_roles_escaped", Expect::BadToken),
    ] {
        let label = if expect == Expect::Pass { "control: fixture" } else { "fixture" };
        t.add(format!("{label} {name}"), At::HsAdmin, bearer(w.fixture(name)), expect);
    }
}

/// The secret of the `oct` key published in the tainted JWK Set.
const LEAKED_SECRET: &[u8] = b"a secret someone published in a JWK Set";

/// `y = 1` (the identity) and `y = p + 1` (the identity spelled beyond the field).
fn ed25519_identity(canonical: bool) -> [u8; 32] {
    if canonical {
        let mut y = [0u8; 32];
        y[0] = 1;
        y
    } else {
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        y
    }
}

/// The tainted JWK Set: the good ES256 and Ed25519 keys beside one key per refusal rule.
fn tainted_jwks_document(keys: &Keys) -> Value {
    let rsa = Keys::jwk(&keys.rsa);
    let mut n = unb64(rsa["n"].as_str().unwrap());
    *n.last_mut().unwrap() ^= 1;
    let es = Keys::jwk(&keys.es);
    let ed = Keys::jwk(&keys.ed);
    let with = |base: &Value, kid: &str, member: &str, value: Value| {
        let mut jwk = base.clone();
        jwk["kid"] = json!(kid);
        jwk[member] = value;
        jwk
    };
    let mut huge = vec![0xffu8; 2048];
    huge[0] = 0x80;
    json!({"keys": [
        es,
        ed,
        {"kty": "oct", "alg": "HS256", "kid": "leaked-oct", "k": b64(LEAKED_SECRET)},
        {"kty": "OKP", "crv": "Ed25519", "kid": "small-order", "x": b64(ed25519_identity(true))},
        {"kty": "OKP", "crv": "Ed25519", "kid": "non-canonical", "x": b64(ed25519_identity(false))},
        {"kty": "EC", "crv": "P-256", "kid": "off-curve", "x": b64([1u8; 32]), "y": b64([1u8; 32])},
        with(&es, "curve-mismatch", "alg", json!("ES384")),
        with(&rsa, "rsa-even", "n", json!(b64(&n))),
        with(&rsa, "rsa-huge", "n", json!(b64(&huge))),
        with(&rsa, "rsa-e1", "e", json!(b64([1u8]))),
        with(&rsa, "rsa-private", "d", json!(b64([7u8; 256]))),
        with(&ed, "for-encryption", "use", json!("enc")),
        with(&ed, "sign-only", "key_ops", json!(["sign"])),
    ]})
}

/// What the JWKS client must refuse in the tainted set, in order.
fn tainted_refusals() -> Vec<(Option<String>, KeyError)> {
    let kid = |k: &str| Some(k.to_owned());
    vec![
        (kid("leaked-oct"), KeyError::SymmetricKeyInPublicSet),
        (kid("small-order"), KeyError::SmallOrderPoint),
        (kid("non-canonical"), KeyError::NonCanonicalPoint),
        (
            kid("off-curve"),
            KeyError::PointNotOnCurve { curve: "P-256" },
        ),
        (
            kid("curve-mismatch"),
            KeyError::WrongAlgorithm {
                alg: "ES384",
                reason: "the JWK's curve is not the algorithm's curve".into(),
            },
        ),
        (kid("rsa-even"), KeyError::RsaModulusEven),
        (
            kid("rsa-huge"),
            KeyError::RsaKeyTooLarge {
                bits: 16_384,
                max: 8192,
            },
        ),
        (kid("rsa-e1"), KeyError::RsaExponent),
        (kid("rsa-private"), KeyError::PrivateMember("d")),
        (
            kid("for-encryption"),
            KeyError::UnusableJwk("key is for use `enc`".into()),
        ),
        (
            kid("sign-only"),
            KeyError::UnusableJwk("key_ops does not include `verify`".into()),
        ),
    ]
}

/// `header.claims.signature` with the given signature bytes.
fn with_signature(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string()),
        b64(claims.to_string()),
        b64(signature)
    )
}

#[rustfmt::skip]
fn key_validation(t: &mut Table, w: &World<'_>) {
    t.category("keys a public set must not lend");
    let admin = w.claims_with("roles", Some(json!(["admin"])));
    let leaked = SigningKey::hmac(LEAKED_SECRET, Algorithm::HS256).unwrap().with_kid("leaked-oct");
    let hs = |header: Value| bearer(&sign(&leaked, &header, &admin));
    // R = the identity, S = 0: verifies for every message under a small-order key.
    let mut universal = [0u8; 64];
    universal[0] = 1;
    let forged = |kid: Option<&str>| {
        let mut header = json!({"alg": "EdDSA", "typ": "at+jwt"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        bearer(&with_signature(&header, &admin, &universal))
    };
    let rsa_as = |kid: &str| bearer(&sign(&w.keys.rsa, &json!({"alg": "RS256", "kid": kid}), &admin));
    let es_as = |alg: &str, kid: &str| bearer(&sign(&w.keys.es, &json!({"alg": alg, "kid": kid}), &admin));
    let ed_kid = w.keys.ed.kid().to_owned();
    let cases: Vec<(&str, At, Auth, Expect)> = vec![
        ("control: the good ES256 key, admin", At::TaintedAdmin, bearer(&w.es(&admin)), Expect::Pass),
        ("control: the good Ed25519 key", At::Tainted, bearer(&sign(&w.keys.ed, &header_of(&w.keys.ed), &w.claims())), Expect::Pass),
        ("control: the good Ed25519 key, admin", At::TaintedAdmin, bearer(&sign(&w.keys.ed, &header_of(&w.keys.ed), &admin)), Expect::Pass),
        ("HS256 signed with the published oct key, its kid", At::TaintedAdmin, hs(json!({"alg": "HS256", "kid": "leaked-oct"})), Expect::BadToken),
        ("HS256 signed with the published oct key, no kid", At::TaintedAdmin, hs(json!({"alg": "HS256"})), Expect::BadToken),
        ("HS256 signed with the published oct key, the good ES256 kid", At::TaintedAdmin, hs(json!({"alg": "HS256", "kid": w.keys.es.kid()})), Expect::BadToken),
        ("EdDSA universal forgery, small-order key's kid", At::TaintedAdmin, forged(Some("small-order")), Expect::BadToken),
        ("EdDSA universal forgery, non-canonical identity's kid", At::TaintedAdmin, forged(Some("non-canonical")), Expect::BadToken),
        ("EdDSA universal forgery, the good Ed25519 kid", At::TaintedAdmin, forged(Some(&ed_kid)), Expect::BadToken),
        ("EdDSA universal forgery, no kid", At::TaintedAdmin, forged(None), Expect::BadToken),
        ("EdDSA universal forgery, on the Ed25519-only route", At::Ed, forged(None), Expect::BadToken),
        ("ES256 naming the off-curve key", At::TaintedAdmin, es_as("ES256", "off-curve"), Expect::BadToken),
        ("ES384 naming the P-256 key bound to ES384", At::TaintedAdmin, es_as("ES384", "curve-mismatch"), Expect::BadToken),
        ("RS256 naming the even-modulus key", At::TaintedAdmin, rsa_as("rsa-even"), Expect::BadToken),
        ("RS256 naming the 16384-bit key", At::TaintedAdmin, rsa_as("rsa-huge"), Expect::BadToken),
        ("RS256 naming the e = 1 key", At::TaintedAdmin, rsa_as("rsa-e1"), Expect::BadToken),
        ("RS256 naming the real key published with d", At::TaintedAdmin, rsa_as("rsa-private"), Expect::BadToken),
        ("EdDSA naming the good key published for encryption", At::TaintedAdmin, bearer(&sign(&w.keys.ed, &json!({"alg": "EdDSA", "kid": "for-encryption"}), &admin)), Expect::BadToken),
        ("EdDSA naming the good key published for signing only", At::TaintedAdmin, bearer(&sign(&w.keys.ed, &json!({"alg": "EdDSA", "kid": "sign-only"}), &admin)), Expect::BadToken),
    ];
    for (name, at, auth, expect) in cases {
        t.add(name, at, auth, expect);
    }
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn attack_suite() {
    let keys = Keys::new();
    let hits = Arc::new(Hits::default());
    let key_server = key_server(&keys, hits.clone()).await;
    let clock = TestClock(Arc::new(AtomicU64::new(NOW)));
    let base = service(&keys, &clock, &key_server).await;

    let world = World {
        keys: &keys,
        key_server: &key_server,
        now: testing::now(),
        hs: hs_fixtures(),
    };
    let mut table = Table::default();
    alg_none(&mut table, &world);
    truncated_signatures(&mut table, &world);
    key_confusion(&mut table, &world);
    embedded_keys(&mut table, &world);
    kid_injection(&mut table, &world);
    psychic_signatures(&mut table, &world);
    claim_types(&mut table, &world);
    time(&mut table, &world);
    issuer_audience(&mut table, &world);
    shapes(&mut table, &world);
    oversized(&mut table, &world);
    base64url(&mut table, &world);
    authorization_header(&mut table, &world);
    role_escalation(&mut table, &world);
    key_validation(&mut table, &world);

    // Every fixture has a case.
    let named: HashSet<&str> = table
        .cases
        .iter()
        .filter_map(|c| c.name.split_once("fixture ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    let unused: Vec<&&str> = world
        .hs
        .keys()
        .filter(|name| !named.contains(**name))
        .collect();
    assert!(unused.is_empty(), "fixtures without a case: {unused:?}");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut failures = Vec::new();
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &table.cases {
        *by_category.entry(case.category).or_default() += 1;
        clock.0.store(case.clock, Ordering::SeqCst);
        if let Err(problem) = run(&client, &base, case, &hits).await {
            failures.push(format!(
                "[{}] {} ({}): {problem}",
                case.category,
                case.name,
                case.at.path()
            ));
        }
    }

    // Nothing fetched the attacker's jku / x5u, not even in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        hits.evil.load(Ordering::SeqCst),
        0,
        "the attacker's key server was called"
    );
    // The counters count: the JWKS route fetched its keys, and the attacker's server answers.
    assert!(hits.legit.load(Ordering::SeqCst) >= 1);
    let evil = client
        .get(format!("{key_server}/evil/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 200);
    assert_eq!(hits.evil.load(Ordering::SeqCst), 1);

    let n = table.cases.len();
    eprintln!("attack suite, cases by category:");
    for (category, count) in &by_category {
        eprintln!("  {count:4}  {category}");
    }
    eprintln!("attack suite: {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases broke the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
