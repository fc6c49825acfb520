//! Revocations and sessions across processes through a real Redis server (`redis-server`,
//! started by each test on a port of its own, append-only file synced at every write): three
//! replicas of the users service refuse a logged-out token within a second; Redis stopped and
//! restarted mid-test loses no acknowledged revocation and the authority acknowledges none it
//! could not persist; refresh rotation and reuse detection across two authority processes; the
//! sessions survive an authority restart. Also prints the propagation latency (p50, p99).
//!
//! Needs `redis-server` on the PATH (Debian's `redis-server`; `.ci/run` installs it):
//! `cargo test --features full,interop --test redis`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_demo as demo;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// A `redis-server` of this test: its port and data directory, restartable.
struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("auth-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = RedisServer {
            port,
            dir,
            child: None,
        };
        server.restart();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again), on the same port and data.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for this suite (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.pings() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pings(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The issuer every authority process of a test signs as: one authority, several processes.
const ISSUER: &str = "http://authority.test";

/// An authority sharing its sessions and revocations through `redis`, with a key directory of
/// its own.
async fn authority(redis: &RedisServer) -> demo::Running {
    authority_with_keys(redis, demo::Config::ephemeral().key_dir).await
}

/// An authority keeping its signing keys in `key_dir`.
async fn authority_with_keys(redis: &RedisServer, key_dir: PathBuf) -> demo::Running {
    let config = demo::Config {
        redis_url: Some(redis.url()),
        issuer: Some(ISSUER.into()),
        key_dir,
        ..demo::Config::ephemeral()
    };
    demo::start(&config, &[demo::Service::Authority])
        .await
        .unwrap()
}

/// A replica of the users service, trusting `authority`, following `redis`.
async fn users_replica(redis: &RedisServer, authority: &demo::Running) -> demo::Running {
    let addr: SocketAddr = authority.urls.authority["http://".len()..].parse().unwrap();
    let config = demo::Config {
        auth_addr: addr,
        redis_url: Some(redis.url()),
        issuer: Some(ISSUER.into()),
        ..demo::Config::ephemeral()
    };
    demo::start(&config, &[demo::Service::Users]).await.unwrap()
}

async fn login(client: &Client, authority: &demo::Running, user: &str) -> (String, String) {
    let reply: Value = client
        .post(format!("{}/login", authority.urls.authority))
        .json(&json!({"username": user, "password": format!("{user}-password")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        reply["access_token"].as_str().unwrap().to_owned(),
        reply["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn me(client: &Client, replica: &demo::Running, token: &str) -> StatusCode {
    client
        .get(format!("{}/me", replica.urls.users))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn logout(client: &Client, authority: &demo::Running, token: &str) -> StatusCode {
    client
        .post(format!("{}/logout", authority.urls.authority))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh(client: &Client, authority: &demo::Running, token: &str) -> (StatusCode, Value) {
    let response = client
        .post(format!("{}/oauth/token", authority.urls.authority))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Polls every replica until each refuses `token`, checking that none accepts it again once it
/// has refused it; returns how long the slowest took.
async fn until_all_refuse(
    client: &Client,
    replicas: &[demo::Running],
    token: &str,
    within: Duration,
) -> Duration {
    let start = Instant::now();
    let mut refused = vec![false; replicas.len()];
    while !refused.iter().all(|r| *r) {
        assert!(
            start.elapsed() < within,
            "replicas still accepting after {within:?}: {refused:?}"
        );
        for (i, replica) in replicas.iter().enumerate() {
            let status = me(client, replica, token).await;
            if refused[i] {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "replica {i} accepted the token again"
                );
            }
            refused[i] |= status == StatusCode::UNAUTHORIZED;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logout_reaches_three_replicas_within_a_second() {
    let redis = RedisServer::start();
    let authority = authority(&redis).await;
    let replicas = [
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
    ];
    let client = Client::new();
    let (token, _) = login(&client, &authority, "bob").await;
    let (other, _) = login(&client, &authority, "bob").await;
    for replica in &replicas {
        assert_eq!(me(&client, replica, &token).await, StatusCode::OK);
    }
    assert_eq!(
        logout(&client, &authority, &token).await,
        StatusCode::NO_CONTENT
    );
    let took = until_all_refuse(&client, &replicas, &token, Duration::from_secs(1)).await;
    println!("logout refused by all three replicas after {took:?}");
    for replica in &replicas {
        assert_eq!(
            me(&client, replica, &other).await,
            StatusCode::OK,
            "the other session"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_acknowledged_revocation_is_lost_while_redis_is_away() {
    let mut redis = RedisServer::start();
    let authority = authority(&redis).await;
    let replicas = [
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
    ];
    let client = Client::new();
    let (before, _) = login(&client, &authority, "bob").await;
    let (during, _) = login(&client, &authority, "bob").await;
    let (kept, _) = login(&client, &authority, "alice").await;
    assert_eq!(
        logout(&client, &authority, &before).await,
        StatusCode::NO_CONTENT
    );
    until_all_refuse(&client, &replicas, &before, Duration::from_secs(1)).await;

    redis.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    while replicas
        .iter()
        .any(|r| r.shared.revocations.status().in_sync)
    {
        assert!(
            Instant::now() < deadline,
            "the replicas did not notice Redis left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Redis away: the authority does not acknowledge a logout it cannot persist, and the
    // replicas keep serving with what they know.
    assert_eq!(
        logout(&client, &authority, &during).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    for replica in &replicas {
        assert_eq!(
            me(&client, replica, &before).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            me(&client, replica, &during).await,
            StatusCode::OK,
            "not revoked: not acknowledged"
        );
        assert_eq!(me(&client, replica, &kept).await, StatusCode::OK);
    }

    // Redis back: the logout is made and reaches every replica once it reconnects.
    redis.restart();
    assert_eq!(
        logout(&client, &authority, &during).await,
        StatusCode::NO_CONTENT
    );
    let took = until_all_refuse(&client, &replicas, &during, Duration::from_secs(10)).await;
    println!("after Redis restarted, the logout reached every replica in {took:?}");
    for replica in &replicas {
        assert_eq!(
            me(&client, replica, &before).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(me(&client, replica, &kept).await, StatusCode::OK);
        assert!(replica.shared.revocations.status().in_sync);
    }

    // Another restart of Redis: the revocations were persisted, and a replica started after
    // it reads them all.
    redis.stop();
    redis.restart();
    let late = users_replica(&redis, &authority).await;
    for token in [&before, &during] {
        assert_eq!(me(&client, &late, token).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me(&client, &late, &kept).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_tokens_rotate_across_authorities_and_reuse_ends_the_session() {
    let redis = RedisServer::start();
    // Two authority processes sharing the key directory (and Redis).
    let keys = demo::Config::ephemeral().key_dir;
    let first = authority_with_keys(&redis, keys.clone()).await;
    let second = authority_with_keys(&redis, keys).await;
    let replica = users_replica(&redis, &first).await;
    let client = Client::new();
    let (access, refresh_token) = login(&client, &first, "bob").await;
    // Rotated at the second authority process: the session lives in Redis; its token,
    // signed with the shared key, verifies at a replica that fetches the first one's JWKS.
    let (status, body) = refresh(&client, &second, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rotated = body["refresh_token"].as_str().unwrap().to_owned();
    let from_second = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&client, &replica, &from_second).await, StatusCode::OK);
    let (from_second_login, _) = login(&client, &second, "alice").await;
    assert_eq!(
        me(&client, &replica, &from_second_login).await,
        StatusCode::OK
    );
    // The first refresh token again, at the first process: reuse, the session ends.
    let (status, body) = refresh(&client, &first, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = refresh(&client, &second, &rotated).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the rotated token died with its session"
    );
    until_all_refuse(
        &client,
        std::slice::from_ref(&replica),
        &access,
        Duration::from_secs(1),
    )
    .await;

    // Two refreshes racing with one token: exactly one wins (the rotation is atomic), and the
    // loser's reuse ends the session.
    let (_, refresh_token) = login(&client, &first, "alice").await;
    let (a, b) = tokio::join!(
        refresh(&client, &first, &refresh_token),
        refresh(&client, &second, &refresh_token)
    );
    let wins = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_survive_an_authority_restart() {
    let redis = RedisServer::start();
    let keys = demo::Config::ephemeral().key_dir;
    let first = authority_with_keys(&redis, keys.clone()).await;
    let client = Client::new();
    let (before, refresh_token) = login(&client, &first, "bob").await;
    first.shutdown(Duration::from_secs(5)).await.unwrap();
    // The same keys and the same sessions after the restart: the old access token verifies,
    // the refresh token refreshes.
    let restarted = authority_with_keys(&redis, keys).await;
    let replica = users_replica(&redis, &restarted).await;
    assert_eq!(me(&client, &replica, &before).await, StatusCode::OK);
    let (status, body) = refresh(&client, &restarted, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(me(&client, &replica, access).await, StatusCode::OK);
}

/// Revocation propagation over loopback Redis: from the authority's call to revoke (which
/// returns once Redis has the entry) to its presence in each of three replicas' lists
/// (BENCHMARKS.md).
#[tokio::test(flavor = "multi_thread")]
async fn propagation_latency_across_three_replicas() {
    let redis = RedisServer::start();
    let authority = authority(&redis).await;
    let replicas = [
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
        users_replica(&redis, &authority).await,
    ];
    let publisher = &authority.shared.publisher;
    let mut latencies = Vec::new();
    for i in 0..200 {
        let jti = format!("latency-{i}");
        let revocation = auth::Revocation::token(jti.clone(), u64::MAX / 2);
        let mut claims = auth::Claims::for_subject("bob");
        claims.jti = Some(jti);
        let asked = Instant::now();
        publisher.revoke(&revocation).await.unwrap();
        let mut pending: Vec<&demo::Running> = replicas.iter().collect();
        while !pending.is_empty() {
            pending.retain(|r| {
                let seen = r.shared.revocations.is_revoked(&claims);
                if seen {
                    latencies.push(asked.elapsed());
                }
                !seen
            });
            assert!(asked.elapsed() < Duration::from_secs(1));
            tokio::task::yield_now().await;
        }
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "revocation propagation over loopback Redis, 3 replicas, {} samples: p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        at(0.50),
        at(0.99),
        latencies[latencies.len() - 1]
    );
    assert!(at(0.99) < Duration::from_secs(1));
}
