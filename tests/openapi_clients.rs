//! The demo's OpenAPI documents against independent tools: each service's `GET /openapi.json`
//! (users, reports, the authority) passes `openapi-spec-validator`, and schemathesis, as a
//! real client given nothing but the document and a token, finds no failure on any documented
//! operation (no 5xx, every status and body as documented, requests without the token refused
//! as the document says).
//!
//! Needs `python3` with `pip install -r interop/requirements.txt`; fails (does not skip)
//! without them.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use auth_demo as demo;
use serde_json::Value;

/// A directory of its own under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auth-openapi-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `python3 -m <module> <args>` in `dir` and fails the test, with its output, unless it
/// succeeds.
async fn python(module: &str, args: &[&str], dir: &Path) -> String {
    let output = tokio::process::Command::new("python3")
        .arg("-m")
        .arg(module)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap_or_else(|e| panic!("python3 could not run: {e}; install Python 3"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python3 -m {module} {args:?} failed ({}); run `pip install -r interop/requirements.txt` if \
         it is missing\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// The reports service's own token, for the users service (client credentials).
async fn service_token(authority: &str) -> String {
    let (id, secret) = demo::authority::REPORTS_CLIENT;
    let body: Value = reqwest::Client::new()
        .post(format!("{authority}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"]
        .as_str()
        .expect("a service token")
        .to_owned()
}

/// A service's document, checked by `openapi-spec-validator`, in `dir`.
async fn validated_document(name: &str, base: &str, dir: &Path) -> PathBuf {
    let document = reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let parsed: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(parsed["info"]["title"], name);
    assert!(
        parsed["components"]["securitySchemes"]["bearer"].is_object(),
        "{name} declares the bearer scheme"
    );
    assert!(!parsed["paths"].as_object().unwrap().is_empty());
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, &document).unwrap();
    let said = python("openapi_spec_validator", &[file.to_str().unwrap()], dir).await;
    assert!(said.contains("OK"), "{said}");
    file
}

/// schemathesis with every check on the operations `filter` selects, sending `token`.
async fn schemathesis(document: &Path, base: &str, token: &str, filter: &[&str], dir: &Path) {
    let authorization = format!("Authorization: Bearer {token}");
    let mut args = vec![
        "run",
        document.to_str().unwrap(),
        "--url",
        base,
        "--header",
        &authorization,
        "--checks",
        "all",
        "--max-examples",
        "50",
        "--seed",
        "1",
        "--request-timeout",
        "10",
    ];
    args.extend_from_slice(filter);
    let report = python("schemathesis.cli", &args, dir).await;
    assert!(
        report.contains("No issues found"),
        "schemathesis on {base} {filter:?}:\n{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_are_valid_and_the_services_keep_to_them() {
    let running = demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("demo starts");
    let urls = running.urls.clone();
    let dir = scratch("documents");
    // An admin: every role-protected operation is open to her, so the documented successes
    // are reached too; the users service's directory is for the reports service itself.
    let alice = common::demo_token(&urls.authority, "alice").await;
    let reports_itself = service_token(&urls.authority).await;

    let users = validated_document("users", &urls.users, &dir).await;
    schemathesis(
        &users,
        &urls.users,
        &alice,
        &["--exclude-path", "/directory"],
        &dir,
    )
    .await;
    schemathesis(
        &users,
        &urls.users,
        &reports_itself,
        &["--include-path", "/directory"],
        &dir,
    )
    .await;
    let reports = validated_document("reports", &urls.reports, &dir).await;
    schemathesis(&reports, &urls.reports, &alice, &[], &dir).await;
    // The authority last: its `/logout` ends alice's session. Its OAuth endpoints answer 400
    // to forms that are well formed but name no usable grant (an unknown refresh token, an
    // empty grant type), as RFC 6749 section 5.2 says, which no schema can tell apart: the
    // check that schema-valid requests succeed does not apply there, nor its warning that most
    // generated forms are refused.
    let authority = validated_document("authority", &urls.authority, &dir).await;
    schemathesis(
        &authority,
        &urls.authority,
        &alice,
        &[
            "--exclude-checks",
            "positive_data_acceptance",
            "--warnings",
            "off",
        ],
        &dir,
    )
    .await;

    let _ = std::fs::remove_dir_all(&dir);
    running.stop();
}
