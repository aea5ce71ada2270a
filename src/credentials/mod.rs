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
pub(crate) use bearer::{resolve_auth, AuthChoice, AuthSettings};
pub use cache::CachingProvider;
pub use chain::DefaultChain;
pub use container::ContainerProvider;
pub use imds::ImdsProvider;
pub use process::ProcessProvider;
pub use process::DEFAULT_PROCESS_TIMEOUT;
pub use profile_provider::ProfileProvider;
pub use sts::AssumeRoleProvider;
pub use web_identity::WebIdentityProvider;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result, Timer};
use crate::profile::Env;
use crate::transport::CancelHandle;

use self::http::{HttpClient, HttpSettings};

/// An AWS access key pair, with an optional session token and expiry.
///
/// The key id, the secret and the session token are overwritten with zeros when the value is
/// dropped ([`ZeroizeOnDrop`]); `Debug` shows only the key id.
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

impl Zeroize for Credentials {
    /// Overwrite the key id, the secret and the session token with zeros (and empty them).
    fn zeroize(&mut self) {
        self.access_key_id.zeroize();
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Credentials {}

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

/// What a credentials request may wait for: the [`CancelHandle`] and the deadline of the call
/// that needs the credentials.
///
/// The client passes one to [`ProvideCredentials::provide_credentials_with`] before each
/// attempt, so that cancelling the call, or its deadline passing, also ends the credential
/// resolution: the HTTP requests to STS, SSO, IMDS and the container endpoint (their socket is
/// shut down), a `credential_process` (killed), and the wait for another thread's refresh in a
/// [`CachingProvider`].
#[derive(Clone, Default)]
pub struct CredentialsContext {
    cancel: Option<CancelHandle>,
    deadline: Option<Instant>,
    /// The configured deadline, for the error message.
    limit: Option<Duration>,
}

impl fmt::Debug for CredentialsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsContext")
            .field("cancel", &self.cancel)
            .field("remaining", &self.remaining())
            .finish()
    }
}

impl CredentialsContext {
    /// No cancel handle, no deadline: wait as long as the providers' own timeouts allow.
    pub fn new() -> CredentialsContext {
        CredentialsContext::default()
    }

    /// Give up with [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) once `cancel` is
    /// cancelled.
    pub fn with_cancel(mut self, cancel: CancelHandle) -> CredentialsContext {
        self.cancel = Some(cancel);
        self
    }

    /// Give up with a [`Timer::Deadline`] timeout at `deadline`.
    pub fn with_deadline(mut self, deadline: Instant) -> CredentialsContext {
        self.deadline = Some(deadline);
        self
    }

    /// The deadline of a call whose configured deadline is `limit` (for the message).
    pub(crate) fn with_call_deadline(
        mut self,
        deadline: Option<Instant>,
        limit: Option<Duration>,
    ) -> CredentialsContext {
        self.deadline = deadline;
        self.limit = limit;
        self
    }

    /// The cancel handle, if any.
    pub fn cancel_handle(&self) -> Option<&CancelHandle> {
        self.cancel.as_ref()
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelHandle::is_cancelled)
    }

    /// Time left before the deadline (`None`: no deadline; zero once it passed).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// `Ok` while the call may still wait; the cancellation or deadline error otherwise.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::cancelled());
        }
        if self.remaining().is_some_and(|r| r.is_zero()) {
            return Err(self.deadline_error());
        }
        Ok(())
    }

    pub(crate) fn deadline_error(&self) -> Error {
        let e = Error::timeout(Timer::Deadline, self.limit);
        let msg = format!("{} while resolving credentials", e.message());
        e.with_message(msg)
    }

    /// `d`, shortened to the time left before the deadline.
    pub(crate) fn bound(&self, d: Duration) -> Duration {
        match self.remaining() {
            Some(r) => d.min(r),
            None => d,
        }
    }
}

/// A source of credentials. Implementations must be cheap to call repeatedly: the client calls
/// it before every request attempt.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Current credentials, or a [`ErrorKind::Credentials`](crate::ErrorKind::Credentials)
    /// error saying what was tried.
    fn provide_credentials(&self) -> Result<Credentials>;

    /// As [`provide_credentials`](ProvideCredentials::provide_credentials), for a call that
    /// may be cancelled or has a deadline: return
    /// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) or a deadline
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) promptly when `ctx` says so. The
    /// client calls this one. Every provider of this crate implements it; the default (for
    /// providers written elsewhere) checks `ctx` before and after `provide_credentials`, which
    /// itself cannot be interrupted.
    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        ctx.check()?;
        let r = self.provide_credentials();
        ctx.check()?;
        r
    }
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> Result<Credentials> {
        Ok(self.clone())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        ctx.check()?;
        Ok(self.clone())
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> Result<Credentials> {
        (**self).provide_credentials()
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        (**self).provide_credentials_with(ctx)
    }
}

/// Whether `creds` expired at `now` (credentials without an expiry never do).
pub(crate) fn expired(creds: &Credentials, now: SystemTime) -> bool {
    creds.expiry().is_some_and(|e| e <= now)
}

/// Ask `provider` for credentials; when they are already expired as they arrive, ask once more,
/// and fail with a credentials error if those are expired too (they would only be refused).
pub(crate) fn provide_unexpired(
    provider: &dyn ProvideCredentials,
    ctx: &CredentialsContext,
    now: &dyn Fn() -> SystemTime,
) -> Result<Credentials> {
    let first = provider.provide_credentials_with(ctx)?;
    if !expired(&first, now()) {
        return Ok(first);
    }
    drop(first);
    ctx.check()?;
    let second = provider.provide_credentials_with(ctx)?;
    if !expired(&second, now()) {
        return Ok(second);
    }
    let when = second
        .expiry()
        .map(time::format_rfc3339)
        .unwrap_or_default();
    Err(Error::credentials(format!(
        "the {} credentials provider returned credentials that had already expired (at {when}), \
         twice in a row; check the clock of this host and of the credential source",
        second.provider_name()
    )))
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

impl Loaded {
    /// For a provider asked directly (not through the chain): the credentials, or a
    /// credentials error `"{not_configured}: {why}"`.
    pub(crate) fn or_not_configured(self, not_configured: &str) -> Result<Credentials> {
        match self {
            Loaded::Found(c) => Ok(c),
            Loaded::NotConfigured(why) => {
                Err(Error::credentials(format!("{not_configured}: {why}")))
            }
        }
    }
}

/// The JSON credentials the container endpoint and IMDS both answer with: `AccessKeyId`,
/// `SecretAccessKey`, `Token`, `Expiration` (IMDS also sends `Code` and `Message`, read by
/// its provider).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EndpointCredentials {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

impl EndpointCredentials {
    /// The body as this JSON; `bad` words the error (`bad("a body that is not ...")`).
    pub(crate) fn parse(body: &[u8], bad: &dyn Fn(&str) -> Error) -> Result<Self> {
        serde_json::from_slice(body).map_err(|_| bad("a body that is not the expected JSON"))
    }

    /// The credentials of `provider`: key id and secret required, `Expiration` too when
    /// `expiry_required`, and an RFC 3339 time when present. `bad` words the error (never with a
    /// secret).
    pub(crate) fn into_credentials(
        self,
        provider: &'static str,
        expiry_required: bool,
        bad: &dyn Fn(&str) -> Error,
    ) -> Result<Credentials> {
        let id = self
            .access_key_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("no AccessKeyId"))?;
        let secret = self
            .secret_access_key
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("no SecretAccessKey"))?;
        let expiry = match self.expiration.as_deref() {
            None if expiry_required => return Err(bad("no Expiration")),
            None => None,
            Some(e) => Some(
                time::parse_rfc3339(e).map_err(|e| bad(&format!("an invalid Expiration ({e})")))?,
            ),
        };
        Ok(
            Credentials::new(id, secret, self.token.filter(|s| !s.is_empty()))
                .with_expiry(expiry)
                .with_provider_name(provider),
        )
    }
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

    /// The profile named in code (not `AWS_PROFILE`), when there is one: it then wins over
    /// the credentials in the environment.
    pub(crate) fn explicit_profile(&self) -> Option<&str> {
        self.profile_name
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
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
        let pem = crate::profile::read_ca_bundle(&self.env.expand_tilde(&path))?;
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

    /// A provider asked directly says it is not configured, and why (one wording for the
    /// container, IMDS and web identity providers).
    #[test]
    fn a_provider_asked_directly_says_why_it_is_not_configured() {
        let env = || {
            ProviderConfig::new(crate::profile::Env::from_pairs([(
                "AWS_EC2_METADATA_DISABLED",
                "true",
            )]))
        };
        let e = imds::ImdsProvider::new()
            .with_config(env())
            .provide_credentials()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Credentials);
        assert!(
            e.message()
                .starts_with("no credentials from IMDS: IMDS is disabled"),
            "{e}"
        );
        let e = container::ContainerProvider::new()
            .with_config(env())
            .provide_credentials()
            .unwrap_err();
        assert!(
            e.message()
                .starts_with("container credentials are not configured: "),
            "{e}"
        );
        let e = web_identity::WebIdentityProvider::from_env()
            .with_config(env())
            .provide_credentials()
            .unwrap_err();
        assert!(
            e.message().starts_with("web identity is not configured: "),
            "{e}"
        );
        assert!(matches!(
            Loaded::NotConfigured("x".into()).or_not_configured("y"),
            Err(e) if e.message() == "y: x"
        ));
    }

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

    /// The secret parts are wiped when credentials are dropped (`Drop` runs `zeroize`, which
    /// overwrites the bytes in place before emptying the strings).
    #[test]
    fn credentials_are_zeroized_on_drop() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<Credentials>();
        let mut c = Credentials::new("AKIDEXAMPLE", "SECRET", Some("TOKEN".into()))
            .with_expiry(Some(SystemTime::UNIX_EPOCH));
        c.zeroize();
        assert_eq!(c.access_key_id(), "");
        assert_eq!(c.secret_access_key(), "");
        assert_eq!(c.session_token(), None);
        assert!(!format!("{c:?}").contains("SECRET"));
    }

    #[test]
    fn a_context_reports_cancel_and_deadline() {
        let ctx = CredentialsContext::new();
        assert!(ctx.check().is_ok());
        assert_eq!(ctx.remaining(), None);
        let cancel = CancelHandle::new();
        let ctx = CredentialsContext::new().with_cancel(cancel.clone());
        assert!(ctx.check().is_ok());
        cancel.cancel();
        assert_eq!(ctx.check().unwrap_err().kind(), crate::ErrorKind::Cancelled);
        let ctx = CredentialsContext::new()
            .with_call_deadline(Some(Instant::now()), Some(Duration::from_millis(500)));
        let e = ctx.check().unwrap_err();
        assert_eq!(e.timer(), Some(Timer::Deadline));
        assert!(e.message().contains("500ms"), "{e}");
        assert_eq!(ctx.bound(Duration::from_secs(9)), Duration::ZERO);
    }
}
