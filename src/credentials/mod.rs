//! AWS credentials and where they come from.
//!
//! [`Credentials`] never shows its secret parts in `Debug`. [`ProvideCredentials`] is the one
//! trait every source implements; the client asks it for credentials before each request
//! (providers of temporary credentials cache and refresh them).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};

/// An AWS access key pair, with an optional session token and expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiry: Option<SystemTime>,
    provider_name: &'static str,
}

impl Credentials {
    /// Static credentials.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expiry: None,
            provider_name: "static",
        }
    }

    /// The same credentials with an expiry time.
    pub fn with_expiry(mut self, expiry: Option<SystemTime>) -> Credentials {
        self.expiry = expiry;
        self
    }

    /// The same credentials, labelled with the name of the provider that produced them.
    pub fn with_provider_name(mut self, name: &'static str) -> Credentials {
        self.provider_name = name;
        self
    }

    /// The access key id (not secret; shown in `Debug`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// When temporary credentials expire.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Which provider produced them (`static`, `environment`, `profile`, `sts`, ...).
    pub fn provider_name(&self) -> &'static str {
        self.provider_name
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiry", &self.expiry)
            .field("provider_name", &self.provider_name)
            .finish()
    }
}

/// A source of credentials. Implementations must be cheap to call repeatedly: the client calls
/// `provide_credentials` before every request attempt.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Current credentials, or a [`ErrorKind::Credentials`](crate::ErrorKind::Credentials)
    /// error saying what was tried.
    fn provide_credentials(&self) -> Result<Credentials>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> Result<Credentials> {
        Ok(self.clone())
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> Result<Credentials> {
        (**self).provide_credentials()
    }
}

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` at each call.
#[derive(Debug, Default, Clone)]
pub struct EnvironmentProvider {
    _private: (),
}

impl EnvironmentProvider {
    /// The environment provider.
    pub fn new() -> EnvironmentProvider {
        EnvironmentProvider { _private: () }
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        let id = non_empty_env("AWS_ACCESS_KEY_ID");
        let secret = non_empty_env("AWS_SECRET_ACCESS_KEY");
        match (id, secret) {
            (Some(id), Some(secret)) => Ok(Credentials::new(
                id,
                secret,
                non_empty_env("AWS_SESSION_TOKEN"),
            )
            .with_provider_name("environment")),
            (Some(_), None) => Err(Error::credentials(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            )),
            (None, Some(_)) => Err(Error::credentials(
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            )),
            (None, None) => Err(Error::credentials(
                "no credentials in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/SECRET", Some("TOKEN123".into()));
        let s = format!("{c:?}");
        assert!(s.contains("AKIDEXAMPLE"));
        assert!(!s.contains("wJalrXUtnFEMI") && !s.contains("TOKEN123"), "{s}");
    }
}
