//! The reports service (actix-web): reports for users, calling the users service on the
//! caller's behalf with a token exchanged for the users service's audience (naming reports as
//! the actor) rather than the caller's own; a directory fetched from the users service as the
//! service itself (client credentials, no user); users request new reports with a `POST`, the
//! state-changing request that the CSRF check of the cookie mode protects.

use std::net::TcpListener;
use std::sync::{Mutex, PoisonError};

use actix_web::dev::ServerHandle;
use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use actix_web::web::{self, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use auth::openapi::BearerSecurity;
use auth::outbound::{ClientAuthentication, ExchangingTokenSource, ServiceTokenSource};
use auth::{Claims, requires_role};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::{CSRF_HEADER, Error, Urls};

/// The longest title of a requested report, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
// The `maxLength` of the documented body says the same (a literal there).
const _: () = assert!(MAX_TITLE_CHARS == 100);
/// How many reports one user may request (the list lives in memory).
pub const MAX_REQUESTS_PER_USER: usize = 50;
/// The largest `POST /reports` body, in bytes.
const MAX_BODY_BYTES: usize = 4096;

/// What the handlers need besides the verifier: one per process, shared by the workers.
struct Context {
    http: reqwest::Client,
    users_url: String,
    /// The caller's token exchanged for one for the users service.
    for_users: ExchangingTokenSource,
    /// The service's own token, for the users service.
    as_itself: ServiceTokenSource,
    requested: Mutex<Vec<Requested>>,
}

/// A report a user asked for with `POST /reports`.
struct Requested {
    id: u64,
    title: String,
    requested_by: String,
}

/// The actix-web server, running on its own thread and runtime.
pub struct Handle {
    server: ServerHandle,
}

impl Handle {
    /// Stops the server, without waiting.
    pub fn stop(self) {
        drop(self.server.stop(true));
    }

    /// Stops accepting connections and resolves once the requests in flight are answered.
    pub fn shutdown(self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.server.stop(true)
    }
}

/// Starts the reports service on `listener`, on a thread of its own (actix-web's runtime).
pub fn start(
    listener: TcpListener,
    urls: Urls,
    revocations: auth::RevocationList,
    prometheus: PrometheusHandle,
) -> Result<Handle, Error> {
    let (ready, handle) = std::sync::mpsc::channel::<Result<ServerHandle, String>>();
    std::thread::Builder::new()
        .name("reports".into())
        .spawn(move || {
            let system = actix_web::rt::System::new();
            let outcome = system.block_on(async move {
                let setup = async {
                    let verifier =
                        crate::verifier(&urls, &urls.reports_audience, &revocations).await?;
                    let origin = urls.authority.clone();
                    let (id, secret) = crate::authority::REPORTS_CLIENT;
                    let client = ClientAuthentication::secret_basic(id, secret);
                    let token_endpoint = format!("{}/oauth/token", urls.authority);
                    let context = Data::new(Context {
                        http: reqwest::Client::new(),
                        users_url: urls.users.clone(),
                        for_users: ExchangingTokenSource::builder(client.clone())
                            .token_endpoint(token_endpoint.clone())
                            .audience(urls.users_audience.clone())
                            .build()?,
                        as_itself: ServiceTokenSource::builder(client)
                            .token_endpoint(token_endpoint)
                            .audience(urls.users_audience.clone())
                            .build()?,
                        requested: Mutex::new(Vec::new()),
                    });
                    let server = HttpServer::new(move || {
                        // Credentials for the front end's origin only, for the page's cookie
                        // mode; the CSRF header so that its unsafe requests can carry it.
                        let cors = actix_cors::Cors::default()
                            .allowed_origin(&origin)
                            .supports_credentials()
                            .allowed_methods(["GET", "POST"])
                            .allowed_headers([
                                AUTHORIZATION,
                                CONTENT_TYPE,
                                HeaderName::from_static(CSRF_HEADER),
                            ]);
                        App::new()
                            .wrap(cors)
                            .app_data(Data::new(verifier.clone()))
                            .app_data(context.clone())
                            .app_data(Data::new(prometheus.clone()))
                            .app_data(
                                web::JsonConfig::default()
                                    .limit(MAX_BODY_BYTES)
                                    .error_handler(json_error),
                            )
                            // Resources, so that another method gets a 405 with `Allow`.
                            .service(web::resource("/health").get(health))
                            .service(web::resource("/metrics").get(metrics))
                            .service(web::resource("/reports").get(reports).post(request_report))
                            .service(web::resource("/reports/all").get(all_reports))
                            .service(web::resource("/reports/directory").get(directory))
                            .service(web::resource("/openapi.json").get(openapi))
                    })
                    .workers(1)
                    // The process's signals are the demo's to handle (`Running::shutdown`),
                    // for every service alike.
                    .disable_signals()
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

/// The reports service's API: the bearer scheme and the operations below, whose security
/// requirements and refusals come from their `auth` attributes.
#[derive(OpenApi)]
#[openapi(
    info(title = "reports", description = "The demo's reports service (actix-web)"),
    paths(health, reports, request_report, all_reports, directory),
    modifiers(&BearerSecurity)
)]
pub struct ReportsApi;

/// The reports service's OpenAPI document.
async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ReportsApi::openapi())
}

/// Whether the service is ready: 200 once the verifier has the authority's keys, 503 before.
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, description = "Ready: the verifier has the authority's keys"),
        (status = 503, description = "Not ready: the first fetch of the authority's keys is pending"),
    )
)]
async fn health(verifier: Data<auth::Verifier>) -> HttpResponse {
    let (ready, body) = crate::telemetry::health("reports", &verifier);
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The process's metrics in the Prometheus text format.
async fn metrics(prometheus: Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(crate::telemetry::PROMETHEUS_TEXT)
        .body(crate::telemetry::render(&prometheus))
}

/// Role `user` (admins get in through the hierarchy). Asks the users service who the caller
/// is, forwarding the caller's token, and includes its answer and the reports the caller
/// requested.
#[requires_role("user")]
#[utoipa::path(
    get,
    path = "/reports",
    responses(
        (status = 200, description = "The caller's reports and what the users service says of them"),
        (status = 502, description = "The users service or the token exchange failed"),
    )
)]
async fn reports(
    claims: Claims,
    request: HttpRequest,
    context: Data<Context>,
) -> actix_web::Result<HttpResponse> {
    // Wherever it came (the header, or the cookie of the page's cookie mode), exchanged for a
    // token for the users service alone: the caller's own is never forwarded.
    let token = auth::actix::presented_token(&request)?;
    let call = context
        .for_users
        .authorize(
            &token,
            context.http.get(format!("{}/me", context.users_url)),
        )
        .await;
    let answer = match call {
        Ok(call) => call.send().await,
        Err(error) => {
            tracing::warn!(%error, "token exchange failed");
            return Ok(HttpResponse::BadGateway()
                .json(json!({"error": "the token for the users service could not be obtained"})));
        }
    };
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
    let sub = claims.sub.as_deref().unwrap_or("?");
    let requested: Vec<Value> = context
        .requested
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|r| claims.sub.as_deref() == Some(r.requested_by.as_str()))
        .map(|r| json!({"id": r.id, "title": r.title}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "reports": [format!("monthly report for {sub}")],
        "users_service_says": me,
        "requested": requested,
    })))
}

/// The users service's directory, asked by the reports service as itself (its own token, no
/// user behind it); any user may see it.
#[requires_role("user")]
#[utoipa::path(
    get,
    path = "/reports/directory",
    responses(
        (status = 200, description = "What the users service's directory says"),
        (status = 502, description = "The users service or the service token failed"),
    )
)]
async fn directory(context: Data<Context>) -> HttpResponse {
    let call = context
        .as_itself
        .authorize(context.http.get(format!("{}/directory", context.users_url)))
        .await;
    let answer = match call {
        Ok(call) => call.send().await,
        Err(error) => {
            tracing::warn!(%error, "the service token could not be obtained");
            return HttpResponse::BadGateway()
                .json(json!({"error": "the service token could not be obtained"}));
        }
    };
    match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            HttpResponse::Ok().json(json!({"users_service_says": {"status": status, "body": body}}))
        }
        Err(error) => {
            tracing::warn!(%error, "users service unreachable");
            HttpResponse::BadGateway().json(json!({"error": "the users service is unreachable"}))
        }
    }
}

/// The body of `POST /reports`.
#[derive(Deserialize, utoipa::ToSchema)]
struct NewReport {
    /// What the report is about: at most 100 characters, not blank, no control characters.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    title: String,
}

/// Role `user`: `POST /reports` with `{"title": "..."}` records a report requested by the
/// caller; 201 with it, 400 for a bad title, 409 past [`MAX_REQUESTS_PER_USER`]. With a token
/// from the cookie, the verifier first checks the CSRF header (403 `csrf_failed` without it);
/// the body is read only after authentication.
#[requires_role("user")]
#[utoipa::path(
    post,
    path = "/reports",
    request_body = NewReport,
    responses(
        (status = 201, description = "The report was requested"),
        (status = 400, description = "A bad title or body"),
        (status = 409, description = "The caller requested too many reports"),
        (status = 413, description = "The body is too large"),
        (status = 415, description = "The body is not JSON"),
    )
)]
async fn request_report(
    claims: Claims,
    body: web::Json<NewReport>,
    context: Data<Context>,
) -> HttpResponse {
    let Some(sub) = claims.sub else {
        return HttpResponse::Forbidden().json(json!({
            "error": "no_subject",
            "error_description": "a token without a subject cannot request reports",
        }));
    };
    let title = body.title.trim();
    let problem = if title.is_empty() {
        Some("the title must not be empty".to_owned())
    } else if title.chars().count() > MAX_TITLE_CHARS {
        Some(format!(
            "the title must be at most {MAX_TITLE_CHARS} characters"
        ))
    } else if title.chars().any(char::is_control) {
        Some("the title must not contain control characters".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        return HttpResponse::BadRequest()
            .json(json!({"error": "invalid_title", "error_description": problem}));
    }
    let mut requested = context
        .requested
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if requested.iter().filter(|r| r.requested_by == sub).count() >= MAX_REQUESTS_PER_USER {
        return HttpResponse::Conflict().json(json!({
            "error": "too_many_reports",
            "error_description": format!("at most {MAX_REQUESTS_PER_USER} requested reports per user"),
        }));
    }
    let id = requested.last().map_or(1, |r| r.id + 1);
    requested.push(Requested {
        id,
        title: title.to_owned(),
        requested_by: sub.clone(),
    });
    tracing::info!(%sub, id, "report requested");
    HttpResponse::Created().json(json!({"id": id, "title": title, "requested_by": sub}))
}

/// A malformed `POST /reports` body, as JSON: 415 for another content type, 413 past
/// the size limit, else 400.
fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let mut response = match error {
        JsonPayloadError::ContentType => HttpResponse::UnsupportedMediaType(),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            HttpResponse::PayloadTooLarge()
        }
        _ => HttpResponse::BadRequest(),
    };
    let response = response.json(json!({
        "error": "invalid_body",
        "error_description": format!("expected a JSON object {{\"title\": \"...\"}}: {error}"),
    }));
    InternalError::from_response(error, response).into()
}

/// Admins only.
#[requires_role("admin")]
#[utoipa::path(
    get,
    path = "/reports/all",
    responses((status = 200, description = "Every user's reports"))
)]
async fn all_reports(claims: Claims) -> HttpResponse {
    tracing::info!(admin = ?claims.sub, "all reports read");
    HttpResponse::Ok()
        .json(json!({"reports": ["monthly report for alice", "monthly report for bob"]}))
}
