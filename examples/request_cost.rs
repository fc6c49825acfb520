//! The server and client `scripts/request-cost.sh` and `scripts/flood.sh` measure: an axum
//! service whose open route (`/open`) and protected routes (`/auth`: `#[protected]` with shared
//! claims, `/copy`: with owned claims, `/role`: `#[requires_role("admin")]`) run the same
//! handler body, and a keep-alive client
//! that sends one kind of request again and again and checks every status.
//!
//! ```sh
//! cargo run --release --example request_cost -- prepare /tmp/rc RS256 1300   # keys and tokens
//! cargo run --release --example request_cost -- serve /tmp/rc 127.0.0.1:18200
//! cargo run --release --example request_cost -- send 127.0.0.1:18200 /auth /tmp/rc/valid 1300 200
//! ```
//!
//! `prepare` writes `jwks.json` (the public key the service trusts) and one file of tokens per
//! kind of request (one token per line; a file with one line sends that token every time).
//! `send` reuses one connection, cycles through the file's tokens and fails on any other status
//! than the expected one, so a measurement can never count the wrong path.

use std::error::Error;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use auth::{Algorithm, Authority, Claims, SigningKey, Verifier, protected, requires_role};
use axum::Router;
use axum::routing::get;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const ISSUER: &str = "https://issuer.request-cost.invalid";
const AUDIENCE: &str = "request-cost";
const DAY: u64 = 24 * 3600;

/// The one handler body of every route, so that routes differ only by their authentication.
fn reply() -> &'static str {
    "ok"
}

async fn open() -> &'static str {
    reply()
}

/// The claims shared with the verifier's cache: nothing copied on a hit.
#[protected]
async fn protected(_claims: Arc<Claims>) -> &'static str {
    reply()
}

/// The claims owned by the handler: copied out of the cache on a hit.
#[protected]
async fn protected_owned(_claims: Claims) -> &'static str {
    reply()
}

#[requires_role("admin")]
async fn admin(_claims: Arc<Claims>) -> &'static str {
    reply()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["prepare", dir, alg, count] => prepare(Path::new(dir), alg, count.parse()?),
        ["serve", dir, addr] => serve(Path::new(dir), addr),
        ["send", addr, path, tokens, count, status] => {
            send(addr, path, Path::new(tokens), count.parse()?, status.parse()?)
        }
        _ => Err("usage: request_cost prepare DIR ALG COUNT | serve DIR ADDR | send ADDR PATH TOKENS COUNT STATUS (TOKENS `none`: no Authorization header)".into()),
    }
}

/// Keys and one file of tokens per kind of request.
fn prepare(dir: &Path, alg: &str, count: usize) -> Result<()> {
    let alg = Algorithm::from_name(alg).ok_or("unknown algorithm")?;
    fs::create_dir_all(dir)?;
    let authority = authority(SigningKey::generate(alg)?.with_kid("service-key"))?;
    fs::write(
        dir.join("jwks.json"),
        serde_json::to_string(&authority.jwks())?,
    )?;
    let now = auth::testing::now();
    let valid = authority.token("user-1").roles(["user"]).issue()?;
    let write = |name: &str, tokens: &[String]| fs::write(dir.join(name), tokens.join("\n"));

    write("valid", std::slice::from_ref(&valid))?;
    write("bad-signature", &[forge(&valid, 0)])?;
    write(
        "wrong-audience",
        &[authority
            .token("user-1")
            .audience("another-service")
            .issue()?],
    )?;
    write(
        "expired",
        &[authority
            .token("user-1")
            .issued_at(now - 2 * DAY)
            .not_before(now - 2 * DAY)
            .expires_at(now - DAY)
            .issue()?],
    )?;
    write(
        "not-yet-valid",
        &[authority
            .token("user-1")
            .issued_at(now)
            .not_before(now + DAY)
            .expires_at(now + 2 * DAY)
            .issue()?],
    )?;
    let stranger = authority_with(SigningKey::generate(alg)?.with_kid("unknown-key"), ISSUER)?;
    write("unknown-kid", &[stranger.token("user-1").issue()?])?;
    let other_issuer = authority_with(
        SigningKey::generate(alg)?.with_kid("service-key"),
        "https://another-issuer.invalid",
    )?;
    write("wrong-issuer", &[other_issuer.token("user-1").issue()?])?;
    write("malformed", &["not-a-jwt".to_owned()])?;
    // Each one new: no cache of any kind can answer them.
    let fresh = (0..count)
        .map(|i| authority.token("user-1").jti(format!("fresh-{i}")).issue())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    write("fresh", &fresh)?;
    write(
        "forged-fresh",
        &(0..count).map(|i| forge(&valid, i)).collect::<Vec<_>>(),
    )?;
    Ok(())
}

fn authority(key: SigningKey) -> Result<Authority> {
    authority_with(key, ISSUER)
}

fn authority_with(key: SigningKey, issuer: &str) -> Result<Authority> {
    Ok(Authority::builder()
        .issuer(issuer)
        .audience(AUDIENCE)
        .lifetime(Duration::from_secs(DAY))
        .signing_key(key)
        .build()?)
}

/// `token` with its signature changed in four characters, a different one for each `n`: the
/// signature no longer matches, and no two forgeries are the same token.
fn forge(token: &str, n: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = token.as_bytes().to_vec();
    let signature = token.rfind('.').map_or(0, |dot| dot + 1);
    // Away from the last character, whose unused bits must stay zero.
    let middle = signature + (bytes.len() - signature) / 2;
    let mut n = n + 1;
    for byte in &mut bytes[middle..middle + 4] {
        let old = ALPHABET.iter().position(|c| c == byte).unwrap_or(0);
        *byte = ALPHABET[(old + n % 64) % 64];
        n /= 64;
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// The service, until SIGINT.
fn serve(dir: &Path, addr: &str) -> Result<()> {
    let jwks = fs::read_to_string(dir.join("jwks.json"))?;
    let verifier = Verifier::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_json(jwks)
        .build()?;
    let app = Router::new()
        // Paths of one length: the router's and the URI parser's work does not differ either.
        .route("/open", get(open))
        .route("/auth", get(protected))
        .route("/copy", get(protected_owned))
        .route("/role", get(admin))
        .with_state(verifier);
    // One thread: the whole request on one core, and the same instruction count run after run.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    tokio::signal::ctrl_c().await.ok();
                })
                .await?;
            Ok(())
        })
}

/// Sends `count` requests for `path` on one connection, each with the next token of the file
/// `tokens` (or none), and checks that every response has `status`.
fn send(addr: &str, path: &str, tokens: &Path, count: usize, status: u16) -> Result<()> {
    let tokens: Vec<String> = if tokens == Path::new("none") {
        Vec::new()
    } else {
        fs::read_to_string(tokens)?
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    for i in 0..count {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
        if !tokens.is_empty() {
            request += &format!("Authorization: Bearer {}\r\n", tokens[i % tokens.len()]);
        }
        request += "\r\n";
        writer.write_all(request.as_bytes())?;
        let got = read_response(&mut reader)?;
        if got != status {
            return Err(format!("request {i} to {path}: status {got}, expected {status}").into());
        }
    }
    Ok(())
}

/// Reads one response and returns its status.
fn read_response(reader: &mut impl BufRead) -> Result<u16> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .ok_or("no status line")?
        .parse::<u16>()?;
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(status)
}
