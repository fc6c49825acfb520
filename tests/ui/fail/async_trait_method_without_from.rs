// A tonic-style service method: `#[async_trait]` on the impl runs first and rewrites the
// method; the extractor style cannot add a parameter to a trait method.
use auth::protected;

#[tonic::async_trait]
trait Greeter {
    async fn hello(&self, request: tonic::Request<String>) -> Result<String, tonic::Status>;
}

struct Service;

#[tonic::async_trait]
impl Greeter for Service {
    #[protected]
    async fn hello(&self, request: tonic::Request<String>) -> Result<String, tonic::Status> {
        Ok(request.into_inner())
    }
}

fn main() {}
