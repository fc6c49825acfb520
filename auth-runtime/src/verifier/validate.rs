//! The registered claims of a token whose signature verified: `exp`, `nbf`, `iat` against the
//! clock with the leeway, then `iss` and `aud` against the trusted authority's (RFC 7519
//! section 4.1, docs/design.md "Security floor").

use crate::error::AuthError;
use crate::token::claims::RegisteredView;
use crate::verifier::domain::Domain;

/// Checks `claims` of a token of `domain` at `now`.
pub(crate) fn registered_claims(
    domain: &Domain,
    claims: RegisteredView<'_>,
    now: u64,
    leeway: u64,
) -> Result<(), AuthError> {
    let exp = claims.exp.ok_or(AuthError::MissingClaim("exp"))?;
    // RFC 7519: now must be before exp; the leeway absorbs clock skew.
    if now >= exp.saturating_add(leeway) {
        return Err(AuthError::Expired);
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(AuthError::NotYetValid);
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now.saturating_add(leeway))
    {
        return Err(AuthError::IssuedInFuture);
    }
    if let Some(issuers) = &domain.issuers {
        let iss = claims.iss.ok_or(AuthError::MissingClaim("iss"))?;
        if !issuers.iter().any(|expected| expected == iss) {
            return Err(AuthError::InvalidIssuer);
        }
    }
    if let Some(audiences) = &domain.audiences {
        if claims.aud.is_empty() {
            return Err(AuthError::MissingClaim("aud"));
        }
        if !claims
            .aud
            .iter()
            .any(|aud| audiences.iter().any(|a| a == aud))
        {
            return Err(AuthError::InvalidAudience);
        }
    }
    Ok(())
}
