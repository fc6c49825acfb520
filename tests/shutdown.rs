//! The demo's graceful shutdown (examples/microservices): a request in flight is answered
//! while the services stop, and connections are refused afterwards (in-process, through
//! `Running::shutdown`); the demo binary exits 0 on SIGTERM and on SIGINT, well within its
//! bound of 10 s.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use auth_demo as demo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// `host:port` of a service's base URL.
fn address(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Sends a request's head and the first half of its body, and waits until the server is
/// surely reading the body: the request is then in flight.
async fn start_request(url: &str, head: &str, body: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(address(url)).await.expect("connects");
    let (first, rest) = body.split_at(body.len() / 2);
    let request = format!(
        "{head}\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        address(url),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    (stream, rest.to_owned())
}

/// Sends the rest of the body and returns the response's status line.
async fn finish_request(mut stream: TcpStream, rest: &str) -> String {
    stream.write_all(rest.as_bytes()).await.expect("writes");
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.expect("reads");
            response.extend_from_slice(&buf[..n]);
            if n == 0 || response.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no response to the request in flight");
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_finish_and_new_connections_are_refused() {
    let running = demo::start(&demo::Config::ephemeral(), &demo::Service::ALL)
        .await
        .expect("demo starts");
    let urls = running.urls.clone();

    // A token for the reports service, from a client whose connections close with it.
    let token = {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let body: serde_json::Value = client
            .post(format!("{}/login", urls.authority))
            .json(&serde_json::json!({"username": "bob", "password": "bob-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().expect("a token").to_owned()
    };

    // One request in flight on the authority (axum) and one on reports (actix-web).
    let (login, login_rest) = start_request(
        &urls.authority,
        "POST /login HTTP/1.1",
        r#"{"username":"bob","password":"bob-password"}"#,
    )
    .await;
    let (report, report_rest) = start_request(
        &urls.reports,
        &format!("POST /reports HTTP/1.1\r\nAuthorization: Bearer {token}"),
        r#"{"title":"written during the shutdown"}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let shutdown = tokio::spawn(running.shutdown(Duration::from_secs(10)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !shutdown.is_finished(),
        "the shutdown waits for the requests in flight"
    );
    for url in [&urls.authority, &urls.users, &urls.reports] {
        assert!(
            TcpStream::connect(address(url)).await.is_err(),
            "{url} still accepts connections while stopping"
        );
    }

    let login_status = finish_request(login, &login_rest).await;
    assert!(login_status.starts_with("HTTP/1.1 200"), "{login_status}");
    let report_status = finish_request(report, &report_rest).await;
    assert!(report_status.starts_with("HTTP/1.1 201"), "{report_status}");

    let outcome = tokio::time::timeout(Duration::from_secs(15), shutdown)
        .await
        .expect("the shutdown ends within its bound")
        .expect("no panic");
    assert!(outcome.is_ok(), "{:?}", outcome.err());
    assert!(started.elapsed() < Duration::from_secs(10));
    for url in [&urls.authority, &urls.users, &urls.reports] {
        assert!(
            TcpStream::connect(address(url)).await.is_err(),
            "{url} accepts connections after the shutdown"
        );
    }
}

/// The demo binary `cargo test` builds beside this test's: `<target>/debug/deps/<test>` →
/// `<target>/debug/examples/microservices`.
fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in <target>/<profile>/deps")
        .join("examples")
        .join(format!("microservices{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: build the examples first (`cargo build --example microservices`; a \
         plain `cargo test` builds them, `cargo test --test shutdown` alone does not)",
        binary.display()
    );
    binary
}

/// Runs the demo on ephemeral ports, waits for "ready", sends `signal` and checks that it
/// exits 0 within the bound, having said so.
fn stops_on(signal: &str) {
    let key_dir = std::env::temp_dir().join(format!(
        "auth-demo-shutdown-{signal}-{}",
        std::process::id()
    ));
    let mut child = Command::new(demo_binary())
        .env("AUTH_ADDR", "127.0.0.1:0")
        .env("USERS_ADDR", "127.0.0.1:0")
        .env("REPORTS_ADDR", "127.0.0.1:0")
        .env("AUTH_KEY_DIR", &key_dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().expect("its output");
    let (lines, log) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match log.recv_timeout(left) {
            Ok(line) => {
                let ready = line.contains("ready");
                seen.push(line);
                if ready {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the demo never said ready:\n{}", seen.join("\n"));
            }
        }
    }

    let pid = child.id().to_string();
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args([format!("-{signal}").as_str(), pid.as_str()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill -{signal} {pid} failed");
    let status = loop {
        if let Some(status) = child.try_wait().expect("the demo's status") {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(12) {
            let _ = child.kill();
            panic!("the demo did not exit within 12 s of SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().expect("the reader ends with the output");
    seen.extend(log.try_iter());
    let text = seen.join("\n");
    assert!(
        status.success(),
        "SIG{signal}: exit status {status}, log:\n{text}"
    );
    assert!(text.contains(&format!("SIG{signal} received")), "{text}");
    assert!(text.contains("stopped"), "{text}");
    assert!(
        text.contains(&key_dir.display().to_string()),
        "the key directory is printed at start-up: {text}"
    );
    let _ = std::fs::remove_dir_all(&key_dir);
}

#[cfg(unix)]
#[test]
fn the_demo_exits_0_on_sigterm() {
    stops_on("TERM");
}

#[cfg(unix)]
#[test]
fn the_demo_exits_0_on_sigint() {
    stops_on("INT");
}
