//! The token endpoint's side of the users' sessions: the refresh grant (RFC 6749 section 6)
//! and the revocation endpoint (RFC 7009).

use serde_json::json;

use super::sessions::{SessionError, Sessions};
use super::token_endpoint::{
    IssuedToken, Params, REFRESH_TOKEN, TokenEndpoint, TokenError, TokenRequest,
};

impl From<SessionError> for TokenError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::InvalidGrant(why) => TokenError::new("invalid_grant", why),
            SessionError::Unavailable(_) => TokenError::new(
                "temporarily_unavailable",
                "the session store cannot be reached; try again",
            ),
            SessionError::Signing(_) => {
                TokenError::new("server_error", "the token could not be signed")
            }
        }
    }
}

impl TokenEndpoint {
    /// [`respond`](Self::respond), with the refresh grant of the endpoint's
    /// [sessions](super::token_endpoint::TokenEndpointBuilder::sessions): a refresh token is
    /// traded for a new access token and a new refresh token; one used before answers 400
    /// `invalid_grant` and ends its session; a session store that cannot be reached answers
    /// 503 `temporarily_unavailable`. The other grants are answered as by `respond` (an
    /// argon2 hash the first time a secret is verified).
    ///
    /// The sessions belong to the authority's own front end, a public client (RFC 6749
    /// section 2.1): the refresh grant asks for no client authentication.
    pub async fn respond_async(&self, request: TokenRequest<'_>) -> http::Response<String> {
        let answer = match (&self.sessions, Params::parse(request.body)) {
            (Some(sessions), Ok(params)) if params.get("grant_type") == Some(REFRESH_TOKEN) => {
                refresh(sessions, &params).await
            }
            _ => return self.respond(request),
        };
        self.response(answer)
    }

    /// The revocation endpoint (RFC 7009): `token` (form-encoded) is a refresh token or an
    /// access token of this authority; a refresh token's session ends, an access token is
    /// revoked with its session. 200 with an empty body whether or not the token was known or
    /// valid (section 2.2), 400 `invalid_request` without `token`, 503 when the revocation
    /// could not be persisted (nothing is acknowledged that was not made).
    pub async fn revoke(&self, request: TokenRequest<'_>) -> http::Response<String> {
        let status = match self.revoke_token(request.body).await {
            Ok(()) => http::StatusCode::OK,
            Err(error) => {
                let status = http::StatusCode::from_u16(error.status())
                    .unwrap_or(http::StatusCode::BAD_REQUEST);
                let body = json!({"error": error.code, "error_description": error.description});
                let mut response = super::json_response_cached(body.to_string(), "no-store");
                *response.status_mut() = status;
                return response;
            }
        };
        let mut response = http::Response::new(String::new());
        *response.status_mut() = status;
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        response
    }

    async fn revoke_token(&self, body: &[u8]) -> Result<(), TokenError> {
        let params = Params::parse(body)?;
        let token = params.required("token")?;
        let Some(sessions) = &self.sessions else {
            return Err(TokenError::new(
                "unsupported_token_type",
                "this endpoint keeps no sessions",
            ));
        };
        // The hint only says where to look first (RFC 7009 section 2.1); both are tried.
        if params.get("token_type_hint") != Some("access_token")
            && sessions.end_by_refresh_token(token).await?
        {
            return Ok(());
        }
        if let Ok(claims) = self.subject_verifier()?.verify(token) {
            if let Some(jti) = &claims.jti {
                sessions.revoke_token(jti, claims.exp).await?;
            }
            if let Some(sid) = claims.sid() {
                sessions.end(sid).await?;
            }
            return Ok(());
        }
        if params.get("token_type_hint") == Some("access_token") {
            sessions.end_by_refresh_token(token).await?;
        }
        Ok(())
    }
}

/// The refresh grant: `refresh_token` required; `scope` cannot be asked (a session carries
/// roles, fixed at login).
async fn refresh(sessions: &Sessions, params: &Params) -> Result<IssuedToken, TokenError> {
    let token = params.required("refresh_token")?;
    if params.get("scope").is_some() {
        return Err(TokenError::new(
            "invalid_scope",
            "a session's tokens carry the roles of its login; no scope can be asked",
        ));
    }
    let tokens = sessions.refresh(token).await?;
    Ok(IssuedToken {
        access_token: tokens.access_token,
        expires_in: tokens.expires_in,
        scope: None,
        issued_token_type: None,
        refresh_token: Some(tokens.refresh_token),
    })
}
