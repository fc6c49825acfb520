//! Service clients registered at the authority (RFC 6749 section 2): who they are, how they
//! prove it at the token endpoint, and what their tokens may carry.
//!
//! A client authenticates with a secret (`client_secret_basic` or `client_secret_post`), kept
//! only as its argon2 hash, or with a JWT signed by its private key (`private_key_jwt`, RFC
//! 7523), verified with the public keys registered for it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::crypto;
use crate::error::ConfigError;
use crate::keys::verifying::VerifyingKey;

/// A service registered at the authority: its client id, its credential, and the audiences,
/// scopes and roles its own tokens (client credentials) are limited to, and the audiences it
/// may exchange a caller's token for (RFC 8693).
///
/// ```
/// use auth_runtime::ServiceClient;
///
/// let reports = ServiceClient::with_secret("reports", "reports-secret")?
///     .audiences(["users"])
///     .scopes(["users:read"])
///     .may_exchange_for(["users"]);
/// assert_eq!(reports.id(), "reports");
/// # Ok::<(), auth_runtime::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ServiceClient {
    pub(crate) id: String,
    pub(crate) credential: Credential,
    pub(crate) audiences: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) exchange_audiences: Vec<String>,
    pub(crate) serves: Vec<String>,
}

/// How a client proves who it is.
#[derive(Clone)]
pub(crate) enum Credential {
    /// A secret, as its argon2 hash in PHC form.
    Secret(String),
    /// The public keys of its `private_key_jwt` assertions.
    PublicKeys(Vec<VerifyingKey>),
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let method = match &self.credential {
            Credential::Secret(_) => "client_secret",
            Credential::PublicKeys(_) => "private_key_jwt",
        };
        f.debug_struct("ServiceClient")
            .field("id", &self.id)
            .field("authentication", &method)
            .field("audiences", &self.audiences)
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .field("exchange_audiences", &self.exchange_audiences)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// A client that authenticates with `secret`, kept only as its argon2id hash (a fresh
    /// random salt). Errors: an empty id or secret.
    pub fn with_secret(id: impl Into<String>, secret: &str) -> Result<Self, ConfigError> {
        if secret.is_empty() {
            return Err(ConfigError::Client("a client secret is empty".into()));
        }
        let mut salt = [0u8; 16];
        crypto::random_bytes(&mut salt).map_err(ConfigError::Client)?;
        let hash: PasswordHash = Argon2::default()
            .hash_password_with_salt(secret.as_bytes(), &salt)
            .map_err(|e| ConfigError::Client(format!("hashing the client secret: {e}")))?;
        Self::new(id, Credential::Secret(hash.to_string()))
    }

    /// A client whose secret's argon2 hash (PHC form, `$argon2id$v=19$...`) is given, as kept
    /// in a configuration or a database: the secret itself never reaches the authority's
    /// configuration.
    pub fn with_secret_hash(id: impl Into<String>, hash: &str) -> Result<Self, ConfigError> {
        PasswordHash::new(hash)
            .map_err(|e| ConfigError::Client(format!("not an argon2 hash in PHC form: {e}")))?;
        Self::new(id, Credential::Secret(hash.to_owned()))
    }

    /// A client that authenticates with JWTs signed by its private key (`private_key_jwt`,
    /// RFC 7523), verified with `keys`, its public keys.
    pub fn with_public_keys(
        id: impl Into<String>,
        keys: impl IntoIterator<Item = VerifyingKey>,
    ) -> Result<Self, ConfigError> {
        let keys: Vec<VerifyingKey> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err(ConfigError::Client(
                "a private_key_jwt client has no key".into(),
            ));
        }
        if keys.iter().any(VerifyingKey::is_hmac) {
            return Err(ConfigError::Client(
                "a private_key_jwt client's keys are public keys, not a shared secret".into(),
            ));
        }
        Self::new(id, Credential::PublicKeys(keys))
    }

    fn new(id: impl Into<String>, credential: Credential) -> Result<Self, ConfigError> {
        let id = id.into();
        // Control characters have no place in an id that appears in logs and headers.
        if id.is_empty() || id.chars().any(|c| c.is_control()) {
            return Err(ConfigError::Client(format!("invalid client id `{id}`")));
        }
        Ok(ServiceClient {
            serves: vec![id.clone()],
            id,
            credential,
            audiences: Vec::new(),
            scopes: Vec::new(),
            roles: Vec::new(),
            exchange_audiences: Vec::new(),
        })
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The audiences of the client's own tokens (client credentials grant): all of them by
    /// default, or those of them it asks for.
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// The scopes the client may ask for in its own tokens.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Roles every one of its own tokens carries.
    pub fn roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// The audiences the client may exchange a caller's token for (RFC 8693); none by
    /// default, so that a client exchanges nothing unless the policy says so.
    pub fn may_exchange_for<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        audiences: I,
    ) -> Self {
        self.exchange_audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// The audiences that name this service (default: its client id): it may exchange only a
    /// token addressed to one of them, so that a token meant for another service is not
    /// turned into a key to a third one.
    pub fn serves<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.serves = audiences.into_iter().map(Into::into).collect();
        self
    }
}

/// The secrets that already matched, each as a salted SHA-256 digest under a random salt of
/// this process, so that a client's repeated requests cost one argon2 verification, not one
/// per request. A changed secret misses and is verified again; nothing here reveals a secret.
pub(crate) struct SecretCache {
    salt: [u8; 32],
    matched: Mutex<HashMap<String, [u8; 32]>>,
}

impl SecretCache {
    pub(crate) fn new() -> Result<Self, ConfigError> {
        let mut salt = [0u8; 32];
        crypto::random_bytes(&mut salt).map_err(ConfigError::Client)?;
        Ok(SecretCache {
            salt,
            matched: Mutex::new(HashMap::new()),
        })
    }

    fn digest(&self, client: &str, secret: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update((client.len() as u64).to_be_bytes());
        hasher.update(client.as_bytes());
        hasher.update(secret.as_bytes());
        hasher.finalize().into()
    }

    /// Whether `secret` is the secret of `client` (whose argon2 hash is `hash`).
    pub(crate) fn matches(&self, client: &str, hash: &str, secret: &str) -> bool {
        let digest = self.digest(client, secret);
        let known = self
            .matched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(client)
            .copied();
        if known.is_some_and(|known| constant_time_eq(&known, &digest)) {
            return true;
        }
        let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        });
        if matches {
            self.matched
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(client.to_owned(), digest);
        }
        matches
    }
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
