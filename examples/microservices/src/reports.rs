//! The reports service (actix-web): reports for users, calling the users service on the
//! caller's behalf with the caller's own token.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::web::{self, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use auth::{Claims, requires_role};
use serde_json::{Value, json};

use crate::{Error, Urls};

/// What the handlers need besides the verifier.
struct Context {
    http: reqwest::Client,
    users_url: String,
}

/// The actix-web server, running on its own thread and runtime.
pub struct Handle {
    server: ServerHandle,
}

impl Handle {
    /// Stops the server.
    pub fn stop(self) {
        drop(self.server.stop(true));
    }
}

/// Starts the reports service on `listener`, on a thread of its own (actix-web's runtime).
pub fn start(listener: TcpListener, urls: Urls) -> Result<Handle, Error> {
    let (ready, handle) = std::sync::mpsc::channel::<Result<ServerHandle, String>>();
    std::thread::Builder::new()
        .name("reports".into())
        .spawn(move || {
            let system = actix_web::rt::System::new();
            let outcome = system.block_on(async move {
                let setup = async {
                    let verifier = crate::verifier(&urls).await?;
                    let origin = urls.authority.clone();
                    let users_url = urls.users.clone();
                    let server = HttpServer::new(move || {
                        let cors = actix_cors::Cors::default()
                            .allowed_origin(&origin)
                            .allowed_methods(["GET"])
                            .allowed_headers([AUTHORIZATION, CONTENT_TYPE]);
                        App::new()
                            .wrap(cors)
                            .app_data(Data::new(verifier.clone()))
                            .app_data(Data::new(Context {
                                http: reqwest::Client::new(),
                                users_url: users_url.clone(),
                            }))
                            .route("/health", web::get().to(health))
                            .route("/reports", web::get().to(reports))
                            .route("/reports/all", web::get().to(all_reports))
                    })
                    .workers(1)
                    .listen(listener)?
                    .run();
                    Ok::<_, Error>(server)
                };
                match setup.await {
                    Ok(server) => {
                        let _ = ready.send(Ok(server.handle()));
                        server.await.map_err(|e| e.to_string())
                    }
                    Err(error) => {
                        let _ = ready.send(Err(error.to_string()));
                        Ok(())
                    }
                }
            });
            if let Err(error) = outcome {
                tracing::error!(%error, "reports service stopped");
            }
        })?;
    let server = handle.recv().map_err(|e| e.to_string())??;
    Ok(Handle { server })
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok", "service": "reports"}))
}

/// Role `user` (admins get in through the hierarchy). Asks the users service who the caller
/// is, forwarding the caller's token, and includes its answer.
#[requires_role("user")]
async fn reports(
    claims: Claims,
    request: HttpRequest,
    context: Data<Context>,
) -> actix_web::Result<HttpResponse> {
    let values = request
        .headers()
        .get_all(AUTHORIZATION)
        .map(|v| v.as_bytes());
    let token = auth::bearer_from_values(values)?;
    let answer = context
        .http
        .get(format!("{}/me", context.users_url))
        .bearer_auth(token)
        .send()
        .await;
    let me = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            json!({"status": status, "body": body})
        }
        Err(error) => {
            tracing::warn!(%error, "users service unreachable");
            return Ok(HttpResponse::BadGateway()
                .json(json!({"error": "the users service is unreachable"})));
        }
    };
    Ok(HttpResponse::Ok().json(json!({
        "reports": [format!("monthly report for {}", claims.sub.as_deref().unwrap_or("?"))],
        "users_service_says": me,
    })))
}

/// Admins only.
#[requires_role("admin")]
async fn all_reports(claims: Claims) -> HttpResponse {
    tracing::info!(admin = ?claims.sub, "all reports read");
    HttpResponse::Ok()
        .json(json!({"reports": ["monthly report for alice", "monthly report for bob"]}))
}
