//! The demo's front end in a real browser: the three services of examples/microservices run
//! in-process on ephemeral loopback ports, and `e2e/browser.mjs` drives headless Chromium
//! (Debian's `chromium`, through `playwright-core`) through the page the authority serves: log
//! in as bob, `/me` 200, `/admin/users` 403, reload and still logged in, `/reports` with the
//! users service's answer (token forwarding), log out, log in as alice and the admin calls
//! succeed, and a forged token in localStorage ends the session on its first 401.
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
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

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

#[tokio::test(flavor = "multi_thread")]
async fn the_front_end_in_headless_chromium() {
    check_prerequisites().await;
    let all = [
        demo::Service::Authority,
        demo::Service::Users,
        demo::Service::Reports,
    ];
    let running = demo::start(&demo::Config::ephemeral(), &all)
        .await
        .expect("the demo's three services start");
    let urls = running.urls.clone();
    println!(
        "authority {}, users {}, reports {}",
        urls.authority, urls.users, urls.reports
    );

    let started = Instant::now();
    let child = Command::new("node")
        .arg(e2e_dir().join("browser.mjs"))
        .arg(&urls.authority)
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
