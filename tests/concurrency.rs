//! Many concurrent requests against `#[protected]` and `#[requires_role("admin")]` axum
//! routes whose verifier takes its keys from a `JwksClient`, while the authority rotates its
//! signing key underneath: every decision right, no 5xx, the verified-token cache within its
//! bounds, and the resident size of the process bounded.
//!
//! The authority serves its JWK Set on a loopback socket; the service verifies against it
//! through the JWKS client (short TTL, unknown-`kid` refetch with a cooldown). 64 tasks send
//! 20 000 requests, a mix of valid user and admin tokens (old and fresh), a user on the admin
//! route, expired tokens, tokens for another audience, forgeries (a stranger's key under the
//! authority's `kid`, a stranger's own `kid`, a valid signature over altered claims), garbage
//! and malformed headers, and tokens of retired keys.
//!
//! Expectations are deterministic; rotations are done so that they are:
//! - A new key is published (`Authority::rotate`) while traffic flows; its tokens are handed
//!   to the request tasks only after a probe request with one of them got a 200 (the service
//!   learnt the key, through its unknown-`kid` refetch or its background refresh). Key sets
//!   only grow until a retirement, and the client's fetches run one after another on its
//!   background task, so from then on the new key is known for good.
//! - A key is retired under the write half of a lock that every request holds the read half of
//!   while in flight: no request is in flight while the authority stops publishing the key and
//!   the service's client drops it. From then on that key's tokens expect 401 (unknown key,
//!   also from a cache that verified them before: it is emptied on key-set change).
//!
//! Run with `cargo test --features full --test concurrency`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth::{
    Algorithm, Authority, CacheConfig, Claims, JwksClient, SigningKey, Verifier, protected,
    requires_role, testing,
};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use common::challenge::{EXPIRED, INSUFFICIENT, INVALID, MALFORMED, NONE, TWO_HEADERS};
use common::{b64, json_part, parts, serve};
use tokio::sync::RwLock;

const REQUESTS: usize = 20_000;
const TASKS: usize = 64;
const AUDIENCE: &str = "orders";
/// Request counts (fractions of [`REQUESTS`], in percent) at which a new key is published, and
/// at which the key before it is retired.
const ROTATE_AT: [usize; 4] = [15, 35, 55, 75];
const RETIRE_AFTER: usize = 10;
/// Requests before the resident size is first measured.
const WARM_UP: usize = REQUESTS / 10;
/// The JWKS client: background refresh every 100 to 250 ms (the authority asks for 300 s),
/// at most one unknown-`kid` refetch per cooldown.
const TTL_MIN: Duration = Duration::from_millis(100);
const TTL_MAX: Duration = Duration::from_millis(250);
const COOLDOWN: Duration = Duration::from_millis(200);
/// The verified-token cache, small so that it is full and evicting all the time.
const CACHE: CacheConfig = CacheConfig {
    max_entries: 256,
    max_bytes: 512 * 1024,
    max_age: Duration::from_secs(300),
};
/// Allowed growth of the resident size between the warm-up and the end.
const RSS_GROWTH_LIMIT: u64 = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

#[protected]
async fn me(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[requires_role("admin")]
async fn admin(claims: Claims) -> String {
    format!("admin {}", claims.sub.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// The authority's JWKS endpoint
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Published {
    authority: Authority,
    hits: Arc<AtomicUsize>,
}

async fn serve_jwks(State(p): State<Published>) -> Response {
    p.hits.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = p.authority.jwks_response().into_parts();
    Response::from_parts(parts, body.into())
}

// ---------------------------------------------------------------------------------------------
// Tokens the request tasks draw from
// ---------------------------------------------------------------------------------------------

/// A token with the identity it carries and the key that signed it.
#[derive(Clone)]
struct Issued {
    token: String,
    sub: String,
    kid: String,
}

/// What the request tasks send. Changed by the rotator only.
struct Book {
    /// Signs with the newest key the service is known to have.
    minter: Authority,
    /// Valid tokens of published keys.
    users: Vec<Issued>,
    admins: Vec<Issued>,
    /// Tokens that must be refused whatever the keys: expired (while their key is published),
    /// another audience, forged.
    expired: Vec<Issued>,
    elsewhere: Vec<String>,
    stranger_known_kid: Vec<String>,
    stranger_own_kid: Vec<String>,
    tampered: Vec<String>,
    /// Tokens of keys the authority retired and the service dropped: valid ones, and expired
    /// ones (the key is looked up before the claims are read, so they are refused as invalid,
    /// not as expired).
    retired: Vec<String>,
}

fn authority_with(issuer: &str, key: &SigningKey) -> Authority {
    Authority::builder()
        .issuer(issuer)
        .audience(AUDIENCE)
        .signing_key(key.clone())
        .build()
        .unwrap()
}

/// `count` valid tokens of `minter`'s key `kid` with `role`, for subjects `{prefix}-{i}`.
fn issue_batch(
    minter: &Authority,
    kid: &str,
    prefix: &str,
    role: &str,
    count: usize,
) -> Vec<Issued> {
    (0..count)
        .map(|i| {
            let sub = format!("{prefix}-{i}");
            Issued {
                token: minter.issue(sub.clone(), [role]).unwrap(),
                sub,
                kid: kid.to_owned(),
            }
        })
        .collect()
}

/// A valid signature over other claims: the header and signature of `token` around a payload
/// that makes its bearer an admin.
fn tamper(token: &str) -> String {
    let (header, _, signature) = parts(token);
    let mut claims = json_part(token, 1);
    claims["roles"] = serde_json::json!(["admin"]);
    let payload = b64(serde_json::to_vec(&claims).unwrap());
    format!("{header}.{payload}.{signature}")
}

impl Book {
    /// Adds the tokens of `key` (a generation number `g` names the subjects).
    fn add_key(&mut self, issuer: &str, key: &SigningKey, g: usize) {
        let minter = authority_with(issuer, key);
        let kid = key.kid().to_owned();
        self.users
            .extend(issue_batch(&minter, &kid, &format!("user-{g}"), "user", 48));
        self.admins.extend(issue_batch(
            &minter,
            &kid,
            &format!("admin-{g}"),
            "admin",
            24,
        ));
        let stranger = SigningKey::generate(Algorithm::ES256).unwrap();
        for i in 0..8 {
            let sub = format!("x-{g}-{i}");
            self.expired.push(Issued {
                token: minter
                    .token(sub.clone())
                    .roles(["admin"])
                    .expires_at(testing::now() - 3_600)
                    .issue()
                    .unwrap(),
                sub: sub.clone(),
                kid: kid.clone(),
            });
            self.elsewhere.push(
                minter
                    .token(sub.clone())
                    .roles(["admin"])
                    .audience("billing")
                    .issue()
                    .unwrap(),
            );
            // A stranger's key under the authority's kid: the key is found, the signature fails.
            self.stranger_known_kid.push(
                authority_with(issuer, &stranger.clone().with_kid(kid.clone()))
                    .issue(sub.clone(), ["admin"])
                    .unwrap(),
            );
            // The stranger's own kid: unknown, so the service asks for a refetch (cooldown).
            self.stranger_own_kid.push(
                authority_with(issuer, &stranger)
                    .issue(sub, ["admin"])
                    .unwrap(),
            );
            self.tampered
                .push(tamper(&self.users[self.users.len() - 1 - i].token));
        }
        self.minter = minter;
    }

    /// Moves the tokens of `kid` to the retired ones.
    fn retire(&mut self, kid: &str) {
        for list in [&mut self.users, &mut self.admins, &mut self.expired] {
            let (gone, kept): (Vec<Issued>, Vec<Issued>) =
                list.drain(..).partition(|t| t.kid == kid);
            *list = kept;
            self.retired.extend(gone.into_iter().map(|t| t.token));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and their expected answers
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    User,
    Admin,
    UserOnAdminRoute,
    Fresh,
    Expired,
    OtherAudience,
    StrangerKnownKid,
    StrangerOwnKid,
    Tampered,
    RetiredKey,
    Garbage,
    NoCredentials,
    Malformed,
    TwoHeaders,
}

/// One request and what must come back.
struct Case {
    kind: Kind,
    path: &'static str,
    authorization: Vec<String>,
    status: u16,
    /// The exact `WWW-Authenticate` (`None`: no header at all).
    challenge: Option<&'static str>,
    body: Option<String>,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<T: Clone>(list: &[T], r: u64) -> Option<T> {
    (!list.is_empty()).then(|| list[(r % list.len() as u64) as usize].clone())
}

/// Request number `n`: its kind and expected answer, given the tokens of the moment.
fn case(n: usize, book: &Book) -> Case {
    let r = splitmix(n as u64);
    let r2 = r >> 8;
    let bearer = |t: &str| vec![format!("Bearer {t}")];
    // Refusals are the same on either route.
    let either = ["/me", "/admin"][(r2 % 2) as usize];
    let refused = |kind, token: Option<String>| {
        token.map(|t| Case {
            kind,
            path: either,
            authorization: bearer(&t),
            status: 401,
            challenge: Some(if kind == Kind::Expired {
                EXPIRED
            } else {
                INVALID
            }),
            body: None,
        })
    };
    let chosen = match r % 100 {
        0..25 => pick(&book.users, r2).map(|t| Case {
            kind: Kind::User,
            path: "/me",
            authorization: bearer(&t.token),
            status: 200,
            challenge: None,
            body: Some(t.sub),
        }),
        25..40 => pick(&book.admins, r2).map(|t| Case {
            kind: Kind::Admin,
            path: "/admin",
            authorization: bearer(&t.token),
            status: 200,
            challenge: None,
            body: Some(format!("admin {}", t.sub)),
        }),
        40..50 => pick(&book.users, r2).map(|t| Case {
            kind: Kind::UserOnAdminRoute,
            path: "/admin",
            authorization: bearer(&t.token),
            status: 403,
            challenge: Some(INSUFFICIENT),
            body: None,
        }),
        50..58 => {
            // A token minted for this request: a new cache entry every time.
            let sub = format!("fresh-{n}");
            let token = book.minter.issue(sub.clone(), ["user"]).unwrap();
            Some(Case {
                kind: Kind::Fresh,
                path: "/me",
                authorization: bearer(&token),
                status: 200,
                challenge: None,
                body: Some(sub),
            })
        }
        58..62 => refused(Kind::Expired, pick(&book.expired, r2).map(|t| t.token)),
        62..65 => refused(Kind::OtherAudience, pick(&book.elsewhere, r2)),
        65..70 => refused(Kind::StrangerKnownKid, pick(&book.stranger_known_kid, r2)),
        70..73 => refused(Kind::StrangerOwnKid, pick(&book.stranger_own_kid, r2)),
        73..78 => refused(Kind::Tampered, pick(&book.tampered, r2)),
        78..86 => refused(Kind::RetiredKey, pick(&book.retired, r2)),
        86..91 => {
            let garbage = [
                "not.a.token",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0",
                "a.b.c.d.e",
                "x",
            ];
            refused(Kind::Garbage, pick(&garbage.map(String::from), r2))
        }
        91..94 => Some(Case {
            kind: Kind::NoCredentials,
            path: either,
            authorization: if r2.is_multiple_of(3) {
                vec!["Basic dXNlcjpwYXNz".into()]
            } else {
                Vec::new()
            },
            status: 401,
            challenge: Some(NONE),
            body: None,
        }),
        94..97 => Some(Case {
            kind: Kind::Malformed,
            path: "/me",
            authorization: vec![
                pick(
                    &["Bearer", "Bearer a b", "Bearer \"quoted\"", "Bearer a,b"],
                    r2,
                )
                .unwrap()
                .into(),
            ],
            status: 400,
            challenge: Some(MALFORMED),
            body: None,
        }),
        _ => pick(&book.users, r2).map(|t| Case {
            kind: Kind::TwoHeaders,
            path: "/me",
            authorization: vec![format!("Bearer {}", t.token); 2],
            status: 400,
            challenge: Some(TWO_HEADERS),
            body: None,
        }),
    };
    // No retired tokens yet: a valid user instead.
    chosen.unwrap_or_else(|| {
        let t = pick(&book.users, r2).unwrap();
        Case {
            kind: Kind::User,
            path: "/me",
            authorization: bearer(&t.token),
            status: 200,
            challenge: None,
            body: Some(t.sub),
        }
    })
}

/// Sends `case` and returns a description of what went wrong, if anything.
async fn check(client: &reqwest::Client, base: &str, case: &Case) -> Result<u16, String> {
    let mut request = client.get(format!("{base}{}", case.path));
    for value in &case.authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("{:?}: {e}", case.kind))?;
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = response
        .text()
        .await
        .map_err(|e| format!("{:?}: {e}", case.kind))?;
    let challenge_ok = match (case.challenge, &challenge) {
        (None, None) => true,
        (Some(want), Some(got)) => got == want,
        _ => false,
    };
    let body_ok = case.body.as_ref().is_none_or(|b| *b == body);
    if status != case.status || !challenge_ok || !body_ok {
        return Err(format!(
            "{:?} {}: got {status} {challenge:?} {body:?}, expected {} {:?} {:?}",
            case.kind, case.path, case.status, case.challenge, case.body
        ));
    }
    Ok(status)
}

/// Resident set size of this process, on Linux.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // 4 KiB pages: x86_64 and the usual aarch64 kernels.
    Some(pages * 4096)
}

async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut attempts = 0;
    while Instant::now() < deadline {
        attempts += 1;
        if done().await {
            return attempts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

// ---------------------------------------------------------------------------------------------
// The test, in phases: start the authority and the service, send the requests while the
// rotator publishes and retires keys, then check and report.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_during_key_rotation() {
    let side = start_authority().await;
    let (jwks, verifier, base) = start_service(&side.issuer).await;
    let book = Arc::new(RwLock::new(first_book(&side.issuer, &side.first_key)));
    let tally = Arc::new(Tally::default());
    let started = Instant::now();

    let tasks = spawn_requests(&book, &base, &tally);
    let finished = Arc::new(AtomicBool::new(false));
    let watcher = watch_cache(&verifier, &finished);
    let rotated = rotate_keys(&side, &jwks, &base, &book, &tally.done).await;

    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    finished.store(true, Ordering::Relaxed);
    let (most_entries, most_bytes) = watcher.await.unwrap();
    let end_rss = resident_bytes();

    let fetches = check_results(&tally, &rotated, &side.published, elapsed, most_entries);
    let growth = check_growth(tally.warm_rss.load(Ordering::Relaxed), end_rss);
    let outcomes = tally.outcomes.lock().unwrap();
    let by_status = |s: u16| count(&outcomes, |(_, status)| *status == s);
    let by_kind = |k: Kind| count(&outcomes, |(kind, _)| *kind == k);
    let kinds: Vec<String> = ALL_KINDS
        .iter()
        .map(|&k| format!("{k:?} {}", by_kind(k)))
        .collect();
    let Rotated {
        probes,
        rotations,
        retirements,
    } = rotated;
    eprintln!(
        "concurrency: {REQUESTS} requests from {TASKS} tasks in {:.1} s ({:.0}/s): 200 {}, 400 {}, \
         401 {}, 403 {}, 5xx 0; {}; {rotations} rotations, {retirements} retirements, {probes} probe \
         requests, {fetches} JWKS fetches; cache at most {most_entries} entries / {most_bytes} bytes (bounds {} / \
         {}); RSS growth after warm-up {growth}",
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64(),
        by_status(200),
        by_status(400),
        by_status(401),
        by_status(403),
        kinds.join(", "),
        CACHE.max_entries,
        CACHE.max_bytes,
    );
}

/// Every kind of request, in the order of the report.
const ALL_KINDS: [Kind; 14] = [
    Kind::User,
    Kind::Admin,
    Kind::UserOnAdminRoute,
    Kind::Fresh,
    Kind::Expired,
    Kind::OtherAudience,
    Kind::StrangerKnownKid,
    Kind::StrangerOwnKid,
    Kind::Tampered,
    Kind::RetiredKey,
    Kind::Garbage,
    Kind::NoCredentials,
    Kind::Malformed,
    Kind::TwoHeaders,
];

/// The authority, serving its JWK Set on loopback.
struct AuthoritySide {
    issuer: String,
    authority: Authority,
    first_key: SigningKey,
    published: Published,
}

async fn start_authority() -> AuthoritySide {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let first_key = SigningKey::generate(Algorithm::ES256).unwrap();
    let authority = Authority::builder()
        .issuer(issuer.clone())
        .audience(AUDIENCE)
        .signing_key(first_key.clone())
        .build()
        .unwrap();
    let published = Published {
        authority: authority.clone(),
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/.well-known/jwks.json", get(serve_jwks))
        .with_state(published.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    AuthoritySide {
        issuer,
        authority,
        first_key,
        published,
    }
}

/// The service: its verifier's keys come from the JWKS client. Returns the client, the
/// verifier and the service's base URL.
async fn start_service(issuer: &str) -> (JwksClient, Verifier, String) {
    let jwks = JwksClient::builder(format!("{issuer}/.well-known/jwks.json"))
        .ttl_bounds(TTL_MIN, TTL_MAX)
        .refetch_cooldown(COOLDOWN)
        .retry_after(Duration::from_millis(50))
        .timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .jwks(jwks.clone())
        .issuer(issuer)
        .audience(AUDIENCE)
        .cache(CACHE)
        .build()
        .unwrap();
    let base = serve(
        Router::new()
            .route("/me", get(me))
            .route("/admin", get(admin))
            .with_state(verifier.clone()),
    )
    .await;
    (jwks, verifier, base)
}

/// The tokens of the first key.
fn first_book(issuer: &str, first_key: &SigningKey) -> Book {
    let mut book = Book {
        minter: authority_with(issuer, first_key),
        users: Vec::new(),
        admins: Vec::new(),
        expired: Vec::new(),
        elsewhere: Vec::new(),
        stranger_known_kid: Vec::new(),
        stranger_own_kid: Vec::new(),
        tampered: Vec::new(),
        retired: Vec::new(),
    };
    book.add_key(issuer, first_key, 0);
    book
}

/// What the request tasks record.
#[derive(Default)]
struct Tally {
    /// The next request number.
    next: AtomicUsize,
    /// Requests answered (right or wrong).
    done: AtomicUsize,
    /// Right answers by kind and status.
    outcomes: std::sync::Mutex<BTreeMap<(Kind, u16), usize>>,
    /// Wrong answers, described.
    failures: std::sync::Mutex<Vec<String>>,
    /// The resident size after [`WARM_UP`] requests.
    warm_rss: AtomicU64,
}

/// The request tasks: [`TASKS`] of them send [`REQUESTS`] requests in all.
fn spawn_requests(
    book: &Arc<RwLock<Book>>,
    base: &str,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::new();
    (0..TASKS)
        .map(|_| {
            let (book, client, base, tally) =
                (book.clone(), client.clone(), base.to_owned(), tally.clone());
            tokio::spawn(async move {
                loop {
                    let n = tally.next.fetch_add(1, Ordering::Relaxed);
                    if n >= REQUESTS {
                        break;
                    }
                    // Held while the request is in flight: a retirement waits for it.
                    let book = book.read().await;
                    let case = case(n, &book);
                    let result = check(&client, &base, &case).await;
                    drop(book);
                    match result {
                        Ok(status) => {
                            *tally
                                .outcomes
                                .lock()
                                .unwrap()
                                .entry((case.kind, status))
                                .or_default() += 1;
                        }
                        Err(failure) => tally.failures.lock().unwrap().push(failure),
                    }
                    if tally.done.fetch_add(1, Ordering::Relaxed) + 1 == WARM_UP {
                        tally
                            .warm_rss
                            .store(resident_bytes().unwrap_or(0), Ordering::Relaxed);
                    }
                }
            })
        })
        .collect()
}

/// The cache watcher: its usage never exceeds the configured bounds. Returns the most entries
/// and bytes it saw, once `finished` is set.
fn watch_cache(
    verifier: &Verifier,
    finished: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(usize, u64)> {
    let (verifier, finished) = (verifier.clone(), finished.clone());
    tokio::spawn(async move {
        let (mut most_entries, mut most_bytes) = (0, 0);
        while !finished.load(Ordering::Relaxed) {
            let stats = verifier.cache_stats();
            let (entries, bytes) = (stats.entries, stats.bytes);
            assert!(
                entries <= CACHE.max_entries && bytes <= CACHE.max_bytes,
                "cache holds {entries} entries, {bytes} bytes; bounds {CACHE:?}"
            );
            most_entries = most_entries.max(entries);
            most_bytes = most_bytes.max(bytes);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (most_entries, most_bytes)
    })
}

/// What the rotator did.
struct Rotated {
    probes: usize,
    rotations: usize,
    retirements: usize,
}

/// The rotator: publishes a new key at each threshold, retires the one before a while later.
async fn rotate_keys(
    side: &AuthoritySide,
    jwks: &JwksClient,
    base: &str,
    book: &RwLock<Book>,
    done: &AtomicUsize,
) -> Rotated {
    let mut keys = vec![side.first_key.clone()];
    let mut rotated = Rotated {
        probes: 0,
        rotations: 0,
        retirements: 0,
    };
    let mut events: Vec<(usize, bool)> = ROTATE_AT
        .iter()
        .flat_map(|&at| [(at, true), (at + RETIRE_AFTER, false)])
        .collect();
    events.sort();
    for (at, is_rotation) in events {
        while done.load(Ordering::Relaxed) < REQUESTS * at / 100 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if is_rotation {
            rotated.probes += publish_new_key(side, base, book, &mut keys).await;
            rotated.rotations += 1;
        } else if retire_old_key(side, jwks, book, &mut keys).await {
            rotated.retirements += 1;
        }
    }
    rotated
}

/// Publishes a new key and hands out its tokens once the service accepts one. Returns the
/// number of probe requests.
async fn publish_new_key(
    side: &AuthoritySide,
    base: &str,
    book: &RwLock<Book>,
    keys: &mut Vec<SigningKey>,
) -> usize {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    side.authority.rotate(key.clone()).unwrap();
    let probe_sub = format!("probe-{}", keys.len());
    let probe = authority_with(&side.issuer, &key)
        .issue(probe_sub.clone(), ["user"])
        .unwrap();
    let probes = eventually("the service learns the new key", async || {
        let reply = common::get(&format!("{base}/me"), &[&format!("Bearer {probe}")]).await;
        assert!(reply.status < 500);
        reply.status == 200 && reply.body == probe_sub
    })
    .await;
    let g = keys.len();
    book.write().await.add_key(&side.issuer, &key, g);
    keys.push(key);
    probes
}

/// Retires the key before the minter's, with nothing in flight while it goes away. Returns
/// whether the authority had it to retire.
async fn retire_old_key(
    side: &AuthoritySide,
    jwks: &JwksClient,
    book: &RwLock<Book>,
    keys: &mut Vec<SigningKey>,
) -> bool {
    let mut book = book.write().await;
    let old = keys.iter().find(|k| k.kid() != book.minter_kid()).unwrap();
    let kid = old.kid().to_owned();
    if !side.authority.retire(&kid) {
        return false;
    }
    eventually("the service drops the retired key", async || {
        jwks.keys().iter().all(|k| k.kid() != Some(kid.as_str()))
    })
    .await;
    book.retire(&kid);
    keys.retain(|k| k.kid() != kid);
    true
}

/// The requests of `outcomes` whose kind and status match.
fn count(outcomes: &BTreeMap<(Kind, u16), usize>, which: impl Fn(&(Kind, u16)) -> bool) -> usize {
    outcomes
        .iter()
        .filter(|(key, _)| which(key))
        .map(|(_, n)| n)
        .sum()
}

/// Every answer right, none 5xx, every rotation and retirement done, the authority not
/// hammered, the cache used. Returns the number of JWKS fetches.
fn check_results(
    tally: &Tally,
    rotated: &Rotated,
    published: &Published,
    elapsed: Duration,
    most_entries: usize,
) -> usize {
    let failures = tally.failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} wrong answers of {REQUESTS}, the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let outcomes = tally.outcomes.lock().unwrap();
    let total: usize = outcomes.values().sum();
    assert_eq!(total, REQUESTS);
    assert!(outcomes.keys().all(|(_, status)| *status < 500));
    assert_eq!(
        (rotated.rotations, rotated.retirements),
        (ROTATE_AT.len(), ROTATE_AT.len())
    );
    assert!(
        count(&outcomes, |(kind, _)| *kind == Kind::RetiredKey) > 0,
        "no retired token was sent"
    );
    // Hundreds of unknown-kid tokens (strangers', retired keys') did not hammer the authority:
    // at most the background refreshes plus one refetch per cooldown.
    let fetches = published.hits.load(Ordering::Relaxed);
    let bound = (elapsed.as_millis() / TTL_MIN.as_millis()
        + elapsed.as_millis() / COOLDOWN.as_millis()
        + 10) as usize;
    assert!(fetches <= bound, "{fetches} JWKS fetches in {elapsed:?}");
    assert!(most_entries > 0, "the cache was never used");
    fetches
}

/// The resident size grew by less than [`RSS_GROWTH_LIMIT`] after the warm-up; returns the
/// growth for the report (`n/a` where it was not measured).
fn check_growth(warm_rss: u64, end_rss: Option<u64>) -> String {
    match (warm_rss, end_rss) {
        (warm, Some(end)) if warm > 0 => {
            let growth = end.saturating_sub(warm);
            assert!(
                growth < RSS_GROWTH_LIMIT,
                "resident size grew by {growth} bytes after the warm-up"
            );
            format!("{:.1} MiB", growth as f64 / (1024.0 * 1024.0))
        }
        _ => "n/a".to_owned(),
    }
}

impl Book {
    fn minter_kid(&self) -> String {
        self.minter.signing_kid()
    }
}
