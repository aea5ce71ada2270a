//! AWS credentials and where they come from.
//!
//! [`Credentials`] never shows its secret parts in `Debug`. [`ProvideCredentials`] is the one
//! trait every source implements; the client asks it for credentials before each request
//! (providers of temporary credentials cache and refresh them).
//!
//! Sources, each usable alone:
//! * [`EnvironmentProvider`]: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
//! * [`WebIdentityProvider`]: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
//!   `AWS_ROLE_SESSION_NAME` → STS `AssumeRoleWithWebIdentity` (EKS IRSA, GitHub OIDC, ...).
//! * [`ProfileProvider`]: the shared `config` / `credentials` files: static keys,
//!   `credential_process`, `role_arn` with `source_profile` / `credential_source` (STS
//!   `AssumeRole`, chained, loops detected), `web_identity_token_file`, and IAM Identity Center
//!   (`sso_session` or legacy `sso_start_url`) through the token `aws sso login` caches.
//! * [`ProcessProvider`]: one `credential_process` command.
//! * [`AssumeRoleProvider`]: STS `AssumeRole` with credentials from another provider.
//! * [`ContainerProvider`]: the ECS / EKS Pod Identity endpoint
//!   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `..._FULL_URI`, authorization token).
//! * [`ImdsProvider`]: EC2 instance metadata (IMDSv2, short bounded timeouts).
//! * [`CachingProvider`]: caches any provider's temporary credentials and refreshes them
//!   5 minutes before they expire, one refresh at a time.
//! * [`DefaultChain`]: environment → web identity → profile → container → IMDS, cached. A source
//!   that is configured but fails is an error; the chain only moves on from sources that are not
//!   configured at all.
//!
//! Bedrock API keys are [`BearerToken`]s (`AWS_BEARER_TOKEN_BEDROCK` or explicit).

mod bearer;
mod cache;
mod chain;
mod container;
pub(crate) mod http;
mod imds;
mod process;
mod profile_provider;
mod sha1;
mod sso;
mod sts;
pub(crate) mod time;
mod web_identity;
pub(crate) mod xml;

pub use bearer::BearerToken;
#[allow(unused_imports)] // used by the client as it adopts them
pub(crate) use bearer::{resolve_auth, AuthChoice, AuthSettings};
pub use cache::CachingProvider;
pub use chain::DefaultChain;
pub use container::ContainerProvider;
pub use imds::ImdsProvider;
pub use process::ProcessProvider;
pub use profile_provider::ProfileProvider;
pub use sts::AssumeRoleProvider;
pub use web_identity::WebIdentityProvider;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::profile::Env;

use self::http::{HttpClient, HttpSettings};

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

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        load_env_credentials(&Env::real())?.ok_or_else(|| {
            Error::credentials(
                "no credentials in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
            )
        })
    }
}

/// Environment credentials: `Ok(None)` when neither key variable is set, an error when only one
/// is (a half-configured source never falls through to another principal).
pub(crate) fn load_env_credentials(env: &Env) -> Result<Option<Credentials>> {
    let id = env.get("AWS_ACCESS_KEY_ID");
    let secret = env.get("AWS_SECRET_ACCESS_KEY");
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(
            Credentials::new(id, secret, env.get("AWS_SESSION_TOKEN"))
                .with_provider_name("environment"),
        )),
        (Some(_), None) => Err(Error::credentials(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        )),
        (None, Some(_)) => Err(Error::credentials(
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
        )),
        (None, None) => Ok(None),
    }
}

/// What a source found: credentials, or why it is not configured (for the chain's message).
pub(crate) enum Loaded {
    Found(Credentials),
    NotConfigured(String),
}

/// Settings shared by the providers: where environment variables come from, the profile to use,
/// the region for STS, and how to reach STS / SSO.
#[derive(Clone, Debug)]
pub(crate) struct ProviderConfig {
    pub(crate) env: Env,
    pub(crate) profile_name: Option<String>,
    pub(crate) region: Option<String>,
    service_http: Arc<std::sync::OnceLock<std::result::Result<HttpClient, String>>>,
    service_settings: Option<HttpSettings>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig::new(Env::real())
    }
}

impl ProviderConfig {
    pub(crate) fn new(env: Env) -> ProviderConfig {
        ProviderConfig {
            env,
            profile_name: None,
            region: None,
            service_http: Arc::new(std::sync::OnceLock::new()),
            service_settings: None,
        }
    }

    /// Use these HTTP settings (TLS roots, proxy, timeouts) for STS and SSO.
    pub(crate) fn with_service_http(mut self, settings: HttpSettings) -> ProviderConfig {
        self.service_settings = Some(settings);
        self.service_http = Arc::new(std::sync::OnceLock::new());
        self
    }

    pub(crate) fn with_profile_name(mut self, name: Option<String>) -> ProviderConfig {
        self.profile_name = name;
        self
    }

    pub(crate) fn with_region(mut self, region: Option<String>) -> ProviderConfig {
        self.region = region;
        self
    }

    /// Both shared files, read now (they may change between refreshes: `aws sso login`).
    pub(crate) fn profiles(&self) -> Result<crate::profile::ProfileSet> {
        crate::profile::ProfileSet::load(&self.env, self.profile_name.as_deref())
    }

    /// The client for STS and SSO. Unless settings were given, it trusts the built-in roots plus
    /// `AWS_CA_BUNDLE` (else the profile's `ca_bundle`) and uses the environment's proxy.
    pub(crate) fn service_http(&self) -> Result<HttpClient> {
        let r = self.service_http.get_or_init(|| {
            let settings = match &self.service_settings {
                Some(s) => s.clone(),
                None => {
                    let mut s = HttpSettings::service();
                    s.tls = self.ca_bundle_tls().map_err(|e| e.message().to_string())?;
                    s
                }
            };
            Ok(HttpClient::new(settings))
        });
        match r {
            Ok(c) => Ok(c.clone()),
            Err(m) => Err(Error::config(m.clone())),
        }
    }

    fn ca_bundle_tls(&self) -> Result<Option<ureq::tls::TlsConfig>> {
        let path = match self.env.get("AWS_CA_BUNDLE") {
            Some(p) => p,
            None => match self.profiles()?.get("ca_bundle") {
                Some(p) => p.to_string(),
                None => return Ok(None),
            },
        };
        let path = self.env.expand_tilde(&path);
        let pem = std::fs::read(&path).map_err(|e| {
            Error::config(format!("cannot read the CA bundle {}: {e}", path.display()))
        })?;
        crate::tls::tls_config_with_bundle(&pem).map(Some)
    }
}

/// A process-wide default session name: `bedrock-stream-<unix millis>`.
pub(crate) fn default_session_name() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("bedrock-stream-{ms}")
}

/// Shorten and clean text from a remote party for an error message (shared with the service
/// errors: [`crate::redact::excerpt`]).
pub(crate) use crate::redact::excerpt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/SECRET",
            Some("TOKEN123".into()),
        );
        let s = format!("{c:?}");
        assert!(s.contains("AKIDEXAMPLE"));
        assert!(
            !s.contains("wJalrXUtnFEMI") && !s.contains("TOKEN123"),
            "{s}"
        );
    }
}
