//! Interop with independent JWT implementations installed from the package registries, both
//! directions, for RS256, PS256, ES256 and EdDSA:
//!
//! - them -> us: PyJWT (`interop/py_issuer.py`) and Node `jose` (`interop/node_issuer.mjs`)
//!   sign tokens and publish a JWKS over HTTP; the runtime verifies through that JWKS with
//!   `auth::JwksClient` (feature `jwks`).
//! - us -> them: our [`Authority`] signs and its JWKS is served by axum; PyJWT
//!   (`interop/py_verify.py`) and `jose` (`interop/node_verify.mjs`) verify through it.
//!
//! Needs `python3` and `node` on the PATH and the pinned packages:
//! `pip install -r interop/requirements.txt` and `npm ci --prefix interop`. A missing tool or
//! package fails the test with that advice; it never skips.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::{Algorithm, AuthError, Authority, JwkSet, SigningKey, Verifier};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use common::{b64, json_part, unb64};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// The four algorithms, by the name each library uses for them.
const ALGORITHMS: [(Algorithm, &str); 4] = [
    (Algorithm::RS256, "RS256"),
    (Algorithm::PS256, "PS256"),
    (Algorithm::ES256, "ES256"),
    (Algorithm::EdDSA, "EdDSA"),
];

const AUDIENCE: &str = "interop";

/// How long a child may take to start or to answer (key generation, a loaded CI machine).
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Tool {
    PyJwt,
    Jose,
}

impl Tool {
    fn program(self) -> &'static str {
        match self {
            Tool::PyJwt => "python3",
            Tool::Jose => "node",
        }
    }

    fn issuer_script(self) -> PathBuf {
        interop_dir().join(match self {
            Tool::PyJwt => "py_issuer.py",
            Tool::Jose => "node_issuer.mjs",
        })
    }

    fn verify_script(self) -> PathBuf {
        interop_dir().join(match self {
            Tool::PyJwt => "py_verify.py",
            Tool::Jose => "node_verify.mjs",
        })
    }

    /// What to do when the library is missing.
    fn install_hint(self) -> &'static str {
        match self {
            Tool::PyJwt => "PyJWT not installed: run pip install -r interop/requirements.txt",
            Tool::Jose => "jose not installed: run npm ci --prefix interop",
        }
    }

    /// What to do when the interpreter is missing.
    fn missing_program(self) -> &'static str {
        match self {
            Tool::PyJwt => {
                "python3 not found on the PATH: the interop tests need Python 3, then \
                 pip install -r interop/requirements.txt"
            }
            Tool::Jose => {
                "node not found on the PATH: the interop tests need Node 20, then \
                 npm ci --prefix interop"
            }
        }
    }

    fn command(self, script: PathBuf) -> Command {
        let mut command = Command::new(self.program());
        command
            .arg(script)
            .current_dir(interop_dir())
            .kill_on_drop(true);
        command
    }

    fn spawn(self, command: &mut Command) -> Child {
        match command.spawn() {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                panic!("{}", self.missing_program())
            }
            Err(error) => panic!("cannot start {}: {error}", self.program()),
        }
    }

    /// Exit status 3 is what the scripts use for a missing package.
    fn check_installed(self, code: Option<i32>, stderr: &str) {
        if code == Some(3) {
            panic!("{}\n{stderr}", self.install_hint());
        }
    }
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// The token with the last byte of its signature flipped.
fn flip_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let mut bytes = unb64(signature);
    *bytes.last_mut().expect("non-empty signature") ^= 0x01;
    format!("{signed}.{}", b64(bytes))
}

fn header(token: &str) -> Value {
    json_part(token, 0)
}

// ---------------------------------------------------------------------------------------------
// Direction A: PyJWT and jose sign, the runtime verifies through their JWKS.
// ---------------------------------------------------------------------------------------------

/// A running issuer script. Dropping it closes its standard input (it exits) and kills it.
struct Issuer {
    tool: Tool,
    base: String,
    http: reqwest::Client,
    _child: Child,
    _stdin: ChildStdin,
}

impl Issuer {
    async fn start(tool: Tool) -> Issuer {
        let mut command = tool.command(tool.issuer_script());
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = tool.spawn(&mut command);
        let stdin = child.stdin.take().expect("piped stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first_two = async {
            let port = lines.next_line().await?;
            let base = lines.next_line().await?;
            Ok::<_, std::io::Error>(port.zip(base))
        };
        let started = tokio::time::timeout(CHILD_TIMEOUT, first_two)
            .await
            .unwrap_or_else(|_| panic!("{tool:?} issuer printed no port within {CHILD_TIMEOUT:?}"))
            .expect("read the issuer's stdout");
        let Some((port, base)) = started else {
            // It exited before printing: say why.
            let output = tokio::time::timeout(CHILD_TIMEOUT, child.wait_with_output())
                .await
                .expect("the issuer exits")
                .expect("issuer output");
            let stderr = String::from_utf8_lossy(&output.stderr);
            tool.check_installed(output.status.code(), &stderr);
            panic!(
                "{tool:?} issuer exited ({}) before printing its port:\n{stderr}",
                output.status
            );
        };
        let port: u16 = port.trim().parse().expect("the first line is the port");
        assert_eq!(
            base.trim(),
            format!("http://127.0.0.1:{port}"),
            "second line"
        );
        Issuer {
            tool,
            base: base.trim().to_owned(),
            http: reqwest::Client::new(),
            _child: child,
            _stdin: stdin,
        }
    }

    fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base)
    }

    async fn token(&self, alg: &str, audience: &str, subject: &str) -> String {
        let response = self
            .http
            .get(format!("{}/token", self.base))
            .query(&[
                ("alg", alg),
                ("aud", audience),
                ("sub", subject),
                ("roles", "admin,user"),
            ])
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), 200, "{:?} /token?alg={alg}", self.tool);
        response.text().await.expect("token body")
    }

    /// A verifier that trusts the keys the issuer publishes (through `auth::JwksClient`), its
    /// issuer and our audience.
    async fn verifier(&self) -> Verifier {
        // The document itself, as any client sees it: four public keys, each bound to one
        // algorithm.
        let response = self
            .http
            .get(self.jwks_url())
            .send()
            .await
            .expect("JWKS request");
        assert_eq!(response.status(), 200, "{:?} JWKS", self.tool);
        let jwks = response.text().await.expect("JWKS body");
        let document: Value = serde_json::from_str(&jwks).expect("JWKS is JSON");
        let keys = document["keys"].as_array().expect("a JWK Set");
        assert_eq!(keys.len(), 4, "{:?} publishes four keys: {jwks}", self.tool);
        for key in keys {
            assert!(key["alg"].is_string() && key["kid"].is_string(), "{key}");
            assert_eq!(key["use"], "sig", "{key}");
            assert!(
                key.get("d").is_none(),
                "{:?} publishes a private key",
                self.tool
            );
        }
        // The runtime's own JWKS client (feature `jwks`) fetches it again for the verifier.
        let client = auth::JwksClient::builder(self.jwks_url())
            .start()
            .await
            .unwrap_or_else(|e| panic!("{:?} JWKS client starts: {e}", self.tool));
        Verifier::builder()
            .jwks(client)
            .issuer(self.base.clone())
            .audience(AUDIENCE)
            .build()
            .unwrap_or_else(|e| panic!("{:?} JWKS is usable: {e}\n{jwks}", self.tool))
    }
}

async fn their_tokens_verify_here(tool: Tool) {
    let issuer = Issuer::start(tool).await;
    let verifier = issuer.verifier().await;
    for (_, alg) in ALGORITHMS {
        let subject = format!("alice-{alg}");
        let token = issuer.token(alg, AUDIENCE, &subject).await;
        let head = header(&token);
        assert_eq!(head["alg"], alg, "{tool:?} header: {head}");
        assert!(head["kid"].is_string(), "{tool:?} {alg} has a kid: {head}");

        let claims = verifier
            .verify(&token)
            .unwrap_or_else(|e| panic!("{tool:?} {alg} token verifies: {e:?}"));
        assert_eq!(
            claims.sub.as_deref(),
            Some(subject.as_str()),
            "{tool:?} {alg}"
        );
        assert_eq!(
            claims.iss.as_deref(),
            Some(issuer.base.as_str()),
            "{tool:?} {alg}"
        );
        assert!(claims.aud.contains(AUDIENCE), "{tool:?} {alg}");
        assert_eq!(claims.roles, ["admin", "user"], "{tool:?} {alg}");
        assert!(
            claims.has_role("admin") && claims.exp > now(),
            "{tool:?} {alg}"
        );

        let tampered = verifier.verify(&flip_signature(&token));
        assert!(
            matches!(tampered, Err(AuthError::InvalidSignature)),
            "{tool:?} {alg} flipped signature: {tampered:?}"
        );

        let elsewhere = issuer.token(alg, "billing", &subject).await;
        let wrong_audience = verifier.verify(&elsewhere);
        assert!(
            matches!(wrong_audience, Err(AuthError::InvalidAudience)),
            "{tool:?} {alg} other audience: {wrong_audience:?}"
        );
    }
}

#[tokio::test]
async fn pyjwt_tokens_verify_through_its_jwks() {
    their_tokens_verify_here(Tool::PyJwt).await;
}

#[tokio::test]
async fn jose_tokens_verify_through_its_jwks() {
    their_tokens_verify_here(Tool::Jose).await;
}

// ---------------------------------------------------------------------------------------------
// Direction B: our Authority signs, PyJWT and jose verify through our JWKS.
// ---------------------------------------------------------------------------------------------

/// One authority per algorithm, same issuer and audience, their keys published together at
/// `/.well-known/jwks.json` on a loopback axum server.
struct OurIssuer {
    base: String,
    authorities: Arc<Vec<(&'static str, Authority)>>,
}

async fn jwks(State(authorities): State<Arc<Vec<(&'static str, Authority)>>>) -> String {
    JwkSet {
        keys: authorities
            .iter()
            .flat_map(|(_, authority)| authority.jwks().keys)
            .collect(),
    }
    .to_json()
}

impl OurIssuer {
    async fn start() -> OurIssuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let authorities: Vec<_> = ALGORITHMS
            .iter()
            .map(|&(alg, name)| {
                let authority = Authority::builder()
                    .issuer(base.clone())
                    .audience(AUDIENCE)
                    .signing_key(SigningKey::generate(alg).expect("generate a key"))
                    .build()
                    .expect("authority");
                (name, authority)
            })
            .collect();
        let authorities = Arc::new(authorities);
        let router = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .with_state(authorities.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("server runs");
        });
        OurIssuer { base, authorities }
    }

    fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base)
    }
}

/// What a verify script said.
struct Verdict {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn verify_with(tool: Tool, ours: &OurIssuer, audience: &str, token: &str) -> Verdict {
    let mut command = tool.command(tool.verify_script());
    command
        .args(["verify", &ours.jwks_url(), &ours.base, audience, token])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = tool.spawn(&mut command);
    let output = tokio::time::timeout(CHILD_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{tool:?} verify did not finish within {CHILD_TIMEOUT:?}"))
        .expect("verify output");
    let verdict = Verdict {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    tool.check_installed(verdict.code, &verdict.stderr);
    // 0 is "verified", 1 is "rejected"; anything else is no verdict at all.
    assert!(
        matches!(verdict.code, Some(0 | 1)),
        "{tool:?} verify could not run ({:?}):\n{}",
        verdict.code,
        verdict.stderr
    );
    verdict
}

async fn our_tokens_verify_there(tool: Tool) {
    let ours = OurIssuer::start().await;
    for (alg, authority) in ours.authorities.iter() {
        let subject = format!("bob-{alg}");
        let token = authority
            .issue(subject.clone(), ["admin", "user"])
            .expect("issue");
        assert_eq!(header(&token)["alg"], *alg);

        let verdict = verify_with(tool, &ours, AUDIENCE, &token).await;
        assert_eq!(
            verdict.code,
            Some(0),
            "{tool:?} accepts our {alg} token:\n{}",
            verdict.stderr
        );
        let claims: Value = serde_json::from_str(verdict.stdout.trim()).expect("claims JSON");
        assert_eq!(claims["sub"], subject.as_str(), "{tool:?} {alg}: {claims}");
        assert_eq!(
            claims["iss"],
            ours.base.as_str(),
            "{tool:?} {alg}: {claims}"
        );
        assert_eq!(claims["aud"], AUDIENCE, "{tool:?} {alg}: {claims}");
        assert_eq!(
            claims["roles"],
            serde_json::json!(["admin", "user"]),
            "{tool:?} {alg}"
        );

        let tampered = verify_with(tool, &ours, AUDIENCE, &flip_signature(&token)).await;
        assert_eq!(
            tampered.code,
            Some(1),
            "{tool:?} rejects our {alg} token with a flipped signature:\n{}{}",
            tampered.stdout,
            tampered.stderr
        );

        let elsewhere = authority
            .token(subject.clone())
            .audience("billing")
            .issue()
            .expect("issue");
        let wrong_audience = verify_with(tool, &ours, AUDIENCE, &elsewhere).await;
        assert_eq!(
            wrong_audience.code,
            Some(1),
            "{tool:?} rejects our {alg} token for another audience:\n{}{}",
            wrong_audience.stdout,
            wrong_audience.stderr
        );

        let expired = authority
            .token(subject.clone())
            .issued_at(now() - 7200)
            .not_before(now() - 7200)
            .expires_at(now() - 3600)
            .issue()
            .expect("issue");
        let expired = verify_with(tool, &ours, AUDIENCE, &expired).await;
        assert_eq!(
            expired.code,
            Some(1),
            "{tool:?} rejects our expired {alg} token:\n{}{}",
            expired.stdout,
            expired.stderr
        );
    }
}

#[tokio::test]
async fn our_tokens_verify_in_pyjwt_through_our_jwks() {
    our_tokens_verify_there(Tool::PyJwt).await;
}

#[tokio::test]
async fn our_tokens_verify_in_jose_through_our_jwks() {
    our_tokens_verify_there(Tool::Jose).await;
}
