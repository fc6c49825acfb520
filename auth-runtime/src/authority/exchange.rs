//! Token exchange (RFC 8693): an authenticated service presents its caller's access token and
//! gets a short-lived one for another audience, with the caller's subject and roles (or fewer)
//! and an `act` claim naming itself, nested over the subject token's own `act` for a chain.

use serde_json::json;

use super::clients::ServiceClient;
use super::token_endpoint::{
    ACCESS_TOKEN_TYPE, IssuedToken, Params, TokenEndpoint, TokenError, audience_value,
};
use crate::error::AuthError;

/// The exchange `client` asks for in `params`.
pub(crate) fn exchange(
    endpoint: &TokenEndpoint,
    client: &ServiceClient,
    params: &Params,
) -> Result<IssuedToken, TokenError> {
    if client.exchange_audiences.is_empty() {
        return Err(TokenError::new(
            "unauthorized_client",
            "the client may not exchange tokens",
        ));
    }
    let subject_token = params.required("subject_token")?;
    if params.required("subject_token_type")? != ACCESS_TOKEN_TYPE {
        return Err(TokenError::invalid_request(
            "`subject_token_type` must be urn:ietf:params:oauth:token-type:access_token",
        ));
    }
    if params
        .get("requested_token_type")
        .is_some_and(|kind| kind != ACCESS_TOKEN_TYPE)
    {
        return Err(TokenError::invalid_request(
            "only access tokens are issued: `requested_token_type` must be urn:ietf:params:oauth:token-type:access_token",
        ));
    }
    if params.get("actor_token").is_some() {
        return Err(TokenError::invalid_request(
            "no `actor_token`: the authenticated client is the actor",
        ));
    }
    if params.get("resource").is_some() {
        return Err(TokenError::new(
            "invalid_target",
            "name the target service with `audience`, not `resource`",
        ));
    }
    let audience = params.required("audience")?;
    if audience.contains(' ') {
        return Err(TokenError::new(
            "invalid_target",
            "an exchanged token is for one audience",
        ));
    }
    if !client.exchange_audiences.iter().any(|a| a == audience) {
        return Err(TokenError::new(
            "invalid_target",
            format!("the client may not exchange tokens for `{audience}`"),
        ));
    }

    let subject = endpoint
        .subject_verifier()?
        .verify(subject_token)
        .map_err(|error| {
            TokenError::new(
                "invalid_grant",
                match error {
                    AuthError::Expired => "the subject token expired",
                    _ => "the subject token is invalid",
                },
            )
        })?;
    if endpoint.is_revoked(&subject) {
        return Err(TokenError::new(
            "invalid_grant",
            "the subject token was revoked",
        ));
    }
    let Some(sub) = subject.sub.clone() else {
        return Err(TokenError::new(
            "invalid_grant",
            "the subject token names no subject",
        ));
    };
    if !client.serves.iter().any(|own| subject.aud.contains(own)) {
        return Err(TokenError::new(
            "invalid_grant",
            "the subject token is not addressed to the acting client",
        ));
    }

    // The caller's roles and scopes, or those of them the client asks for (never more).
    let (roles, scopes): (Vec<&str>, Vec<&str>) = match params.list("scope") {
        None => (
            subject.roles.iter().map(String::as_str).collect(),
            subject.scopes.iter().map(String::as_str).collect(),
        ),
        Some(asked) => {
            if let Some(unheld) = asked
                .iter()
                .find(|name| !subject.has_role(name) && !subject.has_scope(name))
            {
                return Err(TokenError::new(
                    "invalid_scope",
                    format!("the subject token does not hold `{unheld}`"),
                ));
            }
            (
                asked
                    .iter()
                    .copied()
                    .filter(|n| subject.has_role(n))
                    .collect(),
                asked
                    .iter()
                    .copied()
                    .filter(|n| subject.has_scope(n))
                    .collect(),
            )
        }
    };

    let now = endpoint.authority().inner.clock.now();
    let exp = now
        .saturating_add(endpoint.exchange_lifetime().as_secs())
        .min(subject.exp);
    if exp <= now {
        return Err(TokenError::new(
            "invalid_grant",
            "the subject token expired",
        ));
    }
    let mut act = json!({ "sub": client.id });
    if let Some(prior) = subject.extra.get("act") {
        act["act"] = prior.clone();
    }
    let mut token = endpoint
        .authority()
        .token(sub)
        .claim("aud", audience_value(&[audience]))
        .claim("client_id", &client.id)
        .claim("act", act)
        .roles(roles.iter().copied())
        .expires_at(exp);
    if !scopes.is_empty() {
        token = token.scopes(scopes.iter().copied());
    }
    let access_token = token
        .issue()
        .map_err(|e| TokenError::new("server_error", e.to_string()))?;
    // The granted names echoed when the client narrowed them (RFC 6749 section 5.1).
    let scope = params.get("scope").map(|_| {
        roles
            .iter()
            .chain(&scopes)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Ok(IssuedToken {
        access_token,
        expires_in: exp - now,
        scope,
        issued_token_type: Some(ACCESS_TOKEN_TYPE),
        refresh_token: None,
    })
}
