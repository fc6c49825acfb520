//! What `tonic-build` would generate for a tiny `demo.Greeter` service, written by hand so that
//! the tests need neither `protoc` nor `prost`: the service trait, its server wrapper (a
//! `tower::Service` that routes on the gRPC path), a codec for `String` messages (UTF-8 bytes),
//! and a loopback server plus client helpers.
//!
//! ```text
//! service Greeter {
//!   rpc SayHello (string) returns (string);
//!   rpc Admin (string) returns (string);
//! }
//! ```
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut};
use http::uri::PathAndQuery;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, BoxFuture, Service, StdError};
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

pub(crate) const SAY_HELLO: &str = "/demo.Greeter/SayHello";
pub(crate) const ADMIN: &str = "/demo.Greeter/Admin";

/// The service trait, as `tonic-build` writes it: the signatures are fixed, so a protected
/// method cannot take a claims parameter (hence `#[protected(claims = name)]`).
#[tonic::async_trait]
pub(crate) trait Greeter: Send + Sync + 'static {
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status>;
    async fn admin(&self, request: Request<String>) -> Result<Response<String>, Status>;
}

/// Messages are plain strings, sent as their UTF-8 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StringCodec;

impl Codec for StringCodec {
    type Encode = String;
    type Decode = String;
    type Encoder = StringCodec;
    type Decoder = StringCodec;

    fn encoder(&mut self) -> Self::Encoder {
        StringCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        StringCodec
    }
}

impl Encoder for StringCodec {
    type Item = String;
    type Error = Status;

    fn encode(&mut self, item: String, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(item.as_bytes());
        Ok(())
    }
}

impl Decoder for StringCodec {
    type Item = String;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<String>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| Status::invalid_argument("the message is not UTF-8"))
    }
}

/// The server wrapper, as `tonic-build` 0.14 writes it (without the compression and message
/// size knobs).
#[derive(Debug)]
pub(crate) struct GreeterServer<T> {
    inner: Arc<T>,
}

impl<T: Greeter> GreeterServer<T> {
    pub(crate) fn new(inner: T) -> Self {
        GreeterServer {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn with_interceptor<F: Interceptor>(
        inner: T,
        interceptor: F,
    ) -> InterceptedService<Self, F> {
        InterceptedService::new(Self::new(inner), interceptor)
    }
}

impl<T> Clone for GreeterServer<T> {
    fn clone(&self) -> Self {
        GreeterServer {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> tonic::server::NamedService for GreeterServer<T> {
    const NAME: &'static str = "demo.Greeter";
}

impl<T, B> Service<http::Request<B>> for GreeterServer<T>
where
    T: Greeter,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        match req.uri().path() {
            SAY_HELLO => {
                struct SayHelloSvc<T: Greeter>(Arc<T>);
                impl<T: Greeter> tonic::server::UnaryService<String> for SayHelloSvc<T> {
                    type Response = String;
                    type Future = BoxFuture<Response<Self::Response>, Status>;
                    fn call(&mut self, request: Request<String>) -> Self::Future {
                        let inner = Arc::clone(&self.0);
                        Box::pin(async move { <T as Greeter>::say_hello(&inner, request).await })
                    }
                }
                let inner = Arc::clone(&self.inner);
                Box::pin(async move {
                    let mut grpc = tonic::server::Grpc::new(StringCodec);
                    Ok(grpc.unary(SayHelloSvc(inner), req).await)
                })
            }
            ADMIN => {
                struct AdminSvc<T: Greeter>(Arc<T>);
                impl<T: Greeter> tonic::server::UnaryService<String> for AdminSvc<T> {
                    type Response = String;
                    type Future = BoxFuture<Response<Self::Response>, Status>;
                    fn call(&mut self, request: Request<String>) -> Self::Future {
                        let inner = Arc::clone(&self.0);
                        Box::pin(async move { <T as Greeter>::admin(&inner, request).await })
                    }
                }
                let inner = Arc::clone(&self.inner);
                Box::pin(async move {
                    let mut grpc = tonic::server::Grpc::new(StringCodec);
                    Ok(grpc.unary(AdminSvc(inner), req).await)
                })
            }
            _ => Box::pin(async move {
                let mut response = http::Response::new(tonic::body::Body::default());
                let headers = response.headers_mut();
                headers.insert(
                    Status::GRPC_STATUS,
                    (tonic::Code::Unimplemented as i32).into(),
                );
                headers.insert(
                    http::header::CONTENT_TYPE,
                    tonic::metadata::GRPC_CONTENT_TYPE,
                );
                Ok(response)
            }),
        }
    }
}

/// Serves `router` on 127.0.0.1 with an OS-assigned port; returns a connected channel.
pub(crate) async fn serve(router: Router) -> Channel {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let incoming = TcpIncoming::from(listener);
    tokio::spawn(async move {
        router
            .serve_with_incoming(incoming)
            .await
            .expect("server runs");
    });
    connect(addr).await
}

/// A channel to the server at `addr`.
pub(crate) async fn connect(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect to the loopback server")
}

/// A unary call to `path` with `message` and the given `authorization` metadata values (none,
/// one, or several); the reply's message or the status.
pub(crate) async fn call(
    channel: &Channel,
    path: &'static str,
    message: &str,
    authorization: &[&str],
) -> Result<String, Status> {
    let mut request = Request::new(message.to_owned());
    for value in authorization {
        let value = MetadataValue::try_from(*value).expect("an ASCII metadata value");
        request.metadata_mut().append("authorization", value);
    }
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("channel ready");
    grpc.unary(request, PathAndQuery::from_static(path), StringCodec)
        .await
        .map(Response::into_inner)
}

/// The `www-authenticate` metadata of a failed call.
pub(crate) fn challenge(status: &Status) -> Option<&str> {
    status
        .metadata()
        .get("www-authenticate")
        .map(|value| value.to_str().expect("an ASCII challenge"))
}

pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
