//! The keys a verifier trusts, found by `kid` in memory.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::algorithm::Algorithm;
use crate::error::{ConfigError, KeyError};
use crate::keys::verifying::VerifyingKey;

/// The keys of a [`Verifier`](crate::Verifier), held in memory by `kid`.
///
/// `kid` is an opaque string: it is only ever compared, never used as a path, a URL or a
/// query. A token with a `kid` uses the key of that id; a token whose `kid` is unknown (or that
/// has none) falls back to the one key registered without a `kid`, if there is one, or to the
/// only key when the set holds exactly one.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    by_kid: HashMap<Arc<str>, VerifyingKey>,
    anonymous: Option<VerifyingKey>,
    /// The JWKs of the document this set came from that were refused, with why.
    refused: Arc<[RefusedKey]>,
}

/// A JWK of a JWK Set that a verifier will not use, and why: see [`KeySet::refused`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedKey {
    /// The JWK's `kid`, if it has one.
    pub kid: Option<String>,
    /// Why it was refused.
    pub reason: KeyError,
}

/// Every refused key with its reason, `; `-separated, for error messages.
pub(crate) fn describe_all(refused: &[RefusedKey]) -> String {
    let reasons: Vec<String> = refused.iter().map(ToString::to_string).collect();
    reasons.join("; ")
}

impl RefusedKey {
    /// A warning with the key's `kid` and the reason (target `auth`).
    pub(crate) fn log(&self) {
        let kid = self.kid.as_deref().unwrap_or("");
        tracing::warn!(target: "auth", kid, reason = %self.reason, "JWK refused");
    }
}

impl std::fmt::Display for RefusedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "key `{kid}`: {}", self.reason),
            None => write!(f, "key without kid: {}", self.reason),
        }
    }
}

impl KeySet {
    /// A set from keys; two keys with one `kid`, or two keys without one, are refused.
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Result<Self, ConfigError> {
        let mut set = KeySet::default();
        for key in keys {
            set.insert(key)?;
        }
        Ok(set)
    }

    /// A set from a public JWK Set document (RFC 7517 section 5).
    ///
    /// Every JWK is validated as [`VerifyingKey::from_jwk`] does; a JWK that fails is refused,
    /// logged at warn level with its `kid` and the reason, and listed in
    /// [`refused`](Self::refused), while the other keys stay usable. That covers keys that are
    /// not for verification here (encryption keys, unsupported curves or algorithms, RSA keys
    /// without `alg` when `default_rsa` is `None`: an identity provider's set often holds such
    /// keys beside the signing ones) and keys no honest public set holds (symmetric `oct`
    /// keys, private members, small-order or off-curve points, weak RSA parameters). Invalid
    /// JSON, a document without a `keys` array, and duplicate `kid`s are errors.
    ///
    /// ```
    /// use auth_runtime::{KeyError, KeySet};
    /// let jwks = r#"{"keys":[
    ///   {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    ///   {"kty":"oct","alg":"HS256","kid":"leaked","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}
    /// ]}"#;
    /// let set = KeySet::from_jwks_json(jwks, None)?;
    /// assert_eq!(set.len(), 1);
    /// assert_eq!(set.refused()[0].kid.as_deref(), Some("leaked"));
    /// assert_eq!(set.refused()[0].reason, KeyError::SymmetricKeyInPublicSet);
    /// # Ok::<(), auth_runtime::ConfigError>(())
    /// ```
    pub fn from_jwks_json(json: &str, default_rsa: Option<Algorithm>) -> Result<Self, ConfigError> {
        let set = Self::parse_jwks(json, default_rsa)?;
        for refused in set.refused() {
            refused.log();
        }
        Ok(set)
    }

    /// [`from_jwks_json`](Self::from_jwks_json) without the logging, for callers that log
    /// only what changed (the JWKS client refetches the same document again and again).
    pub(crate) fn parse_jwks(
        json: &str,
        default_rsa: Option<Algorithm>,
    ) -> Result<Self, ConfigError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let doc: Document = crate::token::json::object(json.as_bytes())
            .map_err(|e| KeyError::Invalid(format!("not a JWK Set: {e}")))?;
        let mut set = KeySet::default();
        let mut refused = Vec::new();
        for jwk in &doc.keys {
            match VerifyingKey::from_jwk_with_default(jwk, default_rsa) {
                Ok(key) => set.insert(key)?,
                Err(reason) => refused.push(RefusedKey {
                    kid: jwk.get("kid").and_then(|k| k.as_str()).map(str::to_owned),
                    reason,
                }),
            }
        }
        set.refused = refused.into();
        Ok(set)
    }

    /// The JWKs of the document this set was read from that were refused, with why (empty for
    /// a set built from keys).
    pub fn refused(&self) -> &[RefusedKey] {
        &self.refused
    }

    /// Adds a key.
    pub fn insert(&mut self, key: VerifyingKey) -> Result<(), ConfigError> {
        match key.kid() {
            Some(kid) => {
                let kid: Arc<str> = Arc::from(kid);
                if self.by_kid.contains_key(&kid) {
                    return Err(ConfigError::DuplicateKid(kid.to_string()));
                }
                self.by_kid.insert(kid, key);
            }
            None if self.anonymous.is_some() => return Err(ConfigError::SeveralAnonymousKeys),
            None => self.anonymous = Some(key),
        }
        Ok(())
    }

    /// The key for a token whose header carries `kid` (see the type's docs for the rules).
    pub fn find(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        if let Some(key) = kid.and_then(|kid| self.by_kid.get(kid)) {
            return Some(key);
        }
        if let Some(key) = &self.anonymous {
            return Some(key);
        }
        if kid.is_none() && self.by_kid.len() == 1 {
            return self.by_kid.values().next();
        }
        None
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_kid.len() + usize::from(self.anonymous.is_some())
    }

    /// Whether the set has no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &VerifyingKey> {
        self.by_kid.values().chain(self.anonymous.iter())
    }
}
