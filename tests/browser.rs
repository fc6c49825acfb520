//! The demo's front end in a real browser: the three services of examples/microservices run
//! in-process on ephemeral loopback ports, and `e2e/browser.mjs` drives headless Chromium
//! (Debian's `chromium`, through `playwright-core`) through the page the authority serves, in
//! both of its modes.
//!
//! With the token in localStorage (`Authorization` header): log in as bob, `/me` 200,
//! `/admin/users` 403, `POST /reports` 201, reload and still logged in, `/reports` with the
//! users service's answer (token forwarding) and bob's requested report, log out, log in as
//! alice and the admin calls succeed, and a forged token in localStorage ends the session on
//! its first 401.
//!
//! With the token in an `HttpOnly` cookie (CSRF double submit): the cookies' attributes, no
//! token within the scripts' reach, `/me` 200 and `/admin/users` 403 by the cookie alone,
//! `POST /reports` 201 with the CSRF header, a forged form `POST` from a page of another origin
//! of the same site (the attacker servers below) refused with 403 `csrf_failed`, one from
//! another site refused with 401 (`SameSite=Strict` keeps the cookie home), neither recorded, a
//! token in both places 400, a forged cookie ending the session on its 401, and logging out
//! clearing both cookies.
//!
//! Needs Node.js 20+, `npm ci --prefix e2e` and `apt-get install -y chromium`
//! (`/usr/bin/chromium`); fails (does not skip) without them.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout
)]

use auth_demo as demo;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e")
}

/// Node, playwright-core and Chromium are there, or the test fails saying how to install them.
async fn check_prerequisites() {
    match Command::new("node").arg("--version").output().await {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "`node --version` failed ({}): install Node.js 20 or later",
            output.status
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`node` is not on PATH: install Node.js 20 or later")
        }
        Err(e) => panic!("cannot run node: {e}"),
    }
    let playwright = e2e_dir().join("node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "playwright-core is not installed ({} is missing): run `npm ci --prefix e2e`",
        playwright.display()
    );
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run `apt-get update && apt-get install -y chromium` (Debian's package)"
    );
}

/// A page of an attacker's origin on `ip` that, as soon as it loads, submits a form `POST` to
/// the reports service's `/reports`, as a cross-origin page can: form-encoded, with whatever
/// cookies the browser attaches, and no way to add a header or to read the CSRF cookie.
async fn start_attacker(ip: [u8; 4], reports: &str) -> (String, tokio::task::JoinHandle<()>) {
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>not the demo</title></head>
<body>
<form id="forge" method="post" action="{reports}/reports">
  <input type="hidden" name="title" id="title" value="forged">
</form>
<script>
document.getElementById("title").value = "forged from " + location.origin;
document.getElementById("forge").submit();
</script>
</body></html>"#
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let addr = std::net::SocketAddr::from((ip, 0));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr} for the attacker page: {e}"));
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_front_end_in_headless_chromium() {
    check_prerequisites().await;
    let running = demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("the demo's three services start");
    let urls = running.urls.clone();
    println!(
        "authority {}, users {}, reports {}",
        urls.authority, urls.users, urls.reports
    );

    // Another origin of the same site (cookies ignore ports, so the browser sends the demo's
    // SameSite cookies with its forged request), and another site (127.0.0.2: it does not).
    let sibling = start_attacker([127, 0, 0, 1], &urls.reports).await;
    let cross_site = start_attacker([127, 0, 0, 2], &urls.reports).await;
    println!("attacker pages: {} and {}", sibling.0, cross_site.0);

    let started = Instant::now();
    let child = Command::new("node")
        .arg(e2e_dir().join("browser.mjs"))
        .arg(&urls.authority)
        .arg(&sibling.0)
        .arg(&cross_site.0)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node e2e/browser.mjs");
    // On timeout the child is dropped, which kills it.
    let output = tokio::time::timeout(BROWSER_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!("e2e/browser.mjs did not finish within {BROWSER_TIMEOUT:?}; it was killed")
        })
        .expect("wait for node e2e/browser.mjs");
    let elapsed = started.elapsed();
    running.stop();
    sibling.1.abort();
    cross_site.1.abort();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("---- e2e/browser.mjs stdout ----\n{stdout}");
    println!("---- e2e/browser.mjs stderr ----\n{stderr}");
    println!("e2e/browser.mjs took {elapsed:.1?}");
    assert!(
        output.status.success(),
        "e2e/browser.mjs failed ({}):\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("browser steps passed"),
        "e2e/browser.mjs exited 0 without reporting its steps:\n{stdout}"
    );
}
