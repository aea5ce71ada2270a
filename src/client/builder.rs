//! [`ClientBuilder`]: explicit settings, and the rest resolved from the environment the way the
//! AWS SDKs resolve it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Client, Inner, RetryConfig, Timeouts};
use crate::auth::{Auth, Secret};
use crate::credentials::{
    http::{HttpSettings, ProxySetting},
    resolve_auth, AuthChoice, AuthSettings, BearerToken, Credentials, DefaultChain,
    ProvideCredentials,
};
use crate::endpoint;
use crate::error::{Error, Result};
use crate::eventstream::DEFAULT_MAX_MESSAGE_LEN;
use crate::profile::{Env, ProfileSet};
use crate::retry::{RateLimiter, RetryMode, RetryQuota};
use crate::transport::{self, ProcessAgent};

/// ureq's per-connection read buffer (its default is 128 KiB, zero-filled when the connection
/// is first used, so resident): it holds the response head (AWS heads are a few hundred bytes)
/// and feeds the chunked-body reader the event decoder reads from. 64 KiB costs no measured
/// CPU on 64 KiB frames (32 KiB cost about 12 % more CPU per frame there: twice the socket
/// reads); 256 open streams hold 16 MiB here instead of 32 MiB (benches/loopback.rs `rss256`).
const CONNECTION_INPUT_BUFFER: usize = 64 * 1024;

/// ureq's per-connection write buffer (its default is 128 KiB, also zero-filled and resident):
/// it must hold the request head (SigV4 headers with a session token are about 2 KiB); larger
/// bodies are written through it piece by piece. 256 open streams: 4 MiB instead of 32 MiB.
const CONNECTION_OUTPUT_BUFFER: usize = 16 * 1024;

/// Builds a [`Client`]. Anything not set is resolved from the environment the way the AWS
/// SDKs resolve it when [`ClientBuilder::build`] runs.
#[derive(Default, Clone)]
pub struct ClientBuilder {
    region: Option<String>,
    endpoint_url: Option<String>,
    credentials: Option<Arc<dyn ProvideCredentials>>,
    bearer_token: Option<Secret>,
    ignore_env_bearer_token: bool,
    timeouts: Timeouts,
    retry: RetryConfig,
    retry_mode: Option<RetryMode>,
    max_attempts_set: bool,
    max_message_len: Option<u32>,
    proxy: Option<String>,
    no_proxy: bool,
    ca_bundle_pem: Option<Vec<u8>>,
    user_agent_suffix: Option<String>,
    profile: Option<String>,
    use_fips: Option<bool>,
    use_dual_stack: Option<bool>,
    response_body_observer: Option<ResponseBodyObserver>,
}

/// Sees every piece of a response body as it is read: the HTTP attempt it belongs to (1, 2,
/// ...) and the bytes (see [`ClientBuilder::on_response_body`]).
pub type ResponseBodyObserver = Arc<dyn Fn(u32, &[u8]) + Send + Sync>;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field(
                "endpoint_url",
                &self.endpoint_url.as_deref().map(crate::redact::url),
            )
            .field("credentials", &self.credentials)
            .field("bearer_token", &self.bearer_token)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy.as_deref().map(crate::redact::url))
            .finish()
    }
}

impl ClientBuilder {
    /// The AWS region (also the SigV4 signing region). An empty string is a configuration
    /// error when the client is built (not "unset").
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint URL (VPC endpoint, proxy, the local emulator), e.g.
    /// `http://127.0.0.1:8080`. Requests are still signed for `bedrock` in the region. An
    /// empty string, or a URL with user-info or any `@`, is a configuration error when the
    /// client is built.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Static credentials (take precedence over `AWS_BEARER_TOKEN_BEDROCK`).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(Arc::new(credentials));
        self
    }

    /// Any credentials provider.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A Bedrock API key, sent as `Authorization: Bearer` (highest precedence).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(Secret(token.into()));
        self
    }

    /// Do not use `AWS_BEARER_TOKEN_BEDROCK` even when it is set.
    pub fn ignore_env_bearer_token(mut self, ignore: bool) -> Self {
        self.ignore_env_bearer_token = ignore;
        self
    }

    /// All four timers at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The connect timeout: DNS, TCP, proxy CONNECT and TLS. Default 10 s
    /// ([`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT)); `None`, or a duration above
    /// 100 years, switches it off.
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.connect = t;
        self
    }

    /// The response-headers timeout: from sending the request to the status line and headers.
    /// Default 300 s ([`DEFAULT_RESPONSE_HEADERS_TIMEOUT`](crate::DEFAULT_RESPONSE_HEADERS_TIMEOUT));
    /// `None`, or a duration above 100 years, switches it off.
    pub fn response_headers_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.response_headers = t;
        self
    }

    /// The read-idle timeout: the longest silence (no byte at all) allowed on an open response.
    /// Default 60 s ([`DEFAULT_READ_IDLE_TIMEOUT`](crate::DEFAULT_READ_IDLE_TIMEOUT), botocore's
    /// read timeout); a long generation is never cut while bytes flow. `None`, or a duration
    /// above 100 years, switches it off.
    pub fn read_idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.read_idle = t;
        self
    }

    /// The overall deadline of a call, retries included and credential resolution too (`None` =
    /// off, the default; so is a duration above 100 years).
    pub fn deadline(mut self, t: Option<Duration>) -> Self {
        self.timeouts.deadline = t;
        self
    }

    /// Attempts in all (1 = never retry). Values below 1 count as 1.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts_set = true;
        self.retry.max_attempts = n.max(1);
        self
    }

    /// The retry mode (instead of `AWS_RETRY_MODE` / the profile's `retry_mode`).
    pub fn retry_mode(mut self, mode: RetryMode) -> Self {
        self.retry_mode = Some(mode);
        self
    }

    /// Backoff bounds: the first retry waits a random time below `initial`, doubling per
    /// attempt, never more than `max`. Any duration is accepted (`Duration::MAX` is "no
    /// limit"); a backoff that would end after the deadline ends the call instead. Retries also
    /// draw on the client's retry quota (500 tokens, 5 per retry, 10 after a timeout).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max.max(initial);
        self
    }

    /// The cap on one event-stream message (default 24 MiB + 128 KiB + 16 bytes).
    pub fn max_message_len(mut self, n: u32) -> Self {
        self.max_message_len = Some(n);
        self
    }

    /// An HTTP(S) proxy URL (`http://user:pass@host:port`), instead of `HTTPS_PROXY` & co.
    /// An empty string is a configuration error; the password never shows in `Debug` or errors.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Ignore the proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// `true`: use no proxy at all, as [`ClientBuilder::no_proxy`] (an explicit
    /// [`ClientBuilder::proxy`] is ignored too); `false` (the default): the explicit proxy,
    /// else `HTTPS_PROXY` & co.
    pub fn proxy_disabled(mut self, disabled: bool) -> Self {
        self.no_proxy = disabled;
        self
    }

    /// Trust the CA certificates of this PEM bundle in addition to the built-in roots.
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundle_pem = Some(pem.into());
        self
    }

    /// Trust the CA certificates of the PEM file at `path` (as `AWS_CA_BUNDLE` or the
    /// profile's `ca_bundle` name one), in addition to the built-in roots. The file is read
    /// now (a file above 4 MiB is refused): a file that cannot be read is a configuration error here;
    /// its certificates are checked by [`ClientBuilder::build`].
    pub fn ca_bundle_file(self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let pem = crate::profile::read_ca_bundle(path.as_ref())?;
        Ok(self.ca_bundle_pem(pem))
    }

    /// The shared-config profile to read (instead of `AWS_PROFILE` / `default`). As with the
    /// AWS CLI's `--profile`, it wins over the environment: `AWS_BEARER_TOKEN_BEDROCK`,
    /// `AWS_ACCESS_KEY_ID` & co. and `AWS_WEB_IDENTITY_TOKEN_FILE` are then not used.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Use the FIPS endpoint (instead of `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint`).
    pub fn use_fips(mut self, on: bool) -> Self {
        self.use_fips = Some(on);
        self
    }

    /// Use the dual-stack endpoint (instead of `AWS_USE_DUALSTACK_ENDPOINT` /
    /// `use_dualstack_endpoint`).
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.use_dual_stack = Some(on);
        self
    }

    /// Text appended to the `User-Agent` header.
    pub fn user_agent_suffix(mut self, s: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(s.into());
        self
    }

    /// Call `f` with every piece of every response body as it is read off the connection,
    /// before any decoding: an event stream's bytes exactly as received (a corrupt frame
    /// included), an error response's body (up to the 64 KiB the client reads of it), the
    /// whole body of `invoke_model`. `f(attempt, bytes)`: `attempt` counts the HTTP attempts of
    /// the call from 1; when a retry starts, the pieces of a new body follow. `f` runs on the
    /// calling thread, inside the read: keep it short. The CLI's `invoke --save-body FILE`
    /// uses it to capture a body for `decode`.
    pub fn on_response_body(mut self, f: impl Fn(u32, &[u8]) + Send + Sync + 'static) -> Self {
        self.response_body_observer = Some(Arc::new(f));
        self
    }

    /// Resolve everything and build the client.
    pub fn build(self) -> Result<Client> {
        let env = Env::real();
        let profiles = ProfileSet::load(&env, self.profile.as_deref())?;
        let params = endpoint::endpoint_params(
            &env,
            &endpoint::EndpointOverrides {
                region: self.region.as_deref(),
                endpoint: self.endpoint_url.as_deref(),
                use_fips: self.use_fips,
                use_dual_stack: self.use_dual_stack,
            },
            &profiles,
        )?;
        let base_url = endpoint::resolve_endpoint(&params)?;
        // The signing region is needed even with a custom endpoint.
        let region = match params.region.clone() {
            Some(r) => r,
            None => endpoint::resolve_region(None, &profiles)?,
        };
        endpoint::validate_region(&region)?;

        // Precedence, as the AWS SDKs resolve it: explicit bearer token >
        // explicit credentials > AWS_BEARER_TOKEN_BEDROCK > the default credential chain.
        let bearer = match self.bearer_token {
            Some(mut t) => Some(BearerToken::new(std::mem::take(&mut t.0))?),
            None => None,
        };
        let ca_pem = match self.ca_bundle_pem {
            Some(p) => Some(p),
            None => ca_bundle_from_config(&env, &profiles)?,
        };
        let tls = match &ca_pem {
            Some(pem) => Some(crate::tls::tls_config_with_bundle(pem)?),
            None => None,
        };
        let service_http = {
            let mut h = HttpSettings::service();
            if self.no_proxy {
                h.proxy = ProxySetting::None;
            } else if let Some(p) = &self.proxy {
                h.proxy = ProxySetting::Explicit(proxy_setting(p)?);
            }
            if tls.is_some() {
                h.tls = tls.clone();
            }
            h
        };
        let settings = AuthSettings {
            bearer,
            credentials: self.credentials,
            ignore_env_bearer: self.ignore_env_bearer_token,
            explicit_profile: self
                .profile
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty()),
        };
        let profile_name = self.profile.clone();
        let chain_region = region.clone();
        let auth = match resolve_auth(&settings, &env, || {
            Arc::new(DefaultChain::for_client(
                profile_name,
                Some(chain_region),
                Some(service_http),
            ))
        })? {
            AuthChoice::Bearer(t) => Auth::Bearer(t),
            AuthChoice::SigV4(p) => Auth::SigV4(p),
        };
        let mut retry = self.retry;
        if !self.max_attempts_set {
            if let Some(n) = max_attempts_from_config(&env, &profiles)? {
                retry.max_attempts = n;
            }
        }
        let retry_mode = match self.retry_mode {
            Some(m) => m,
            None => retry_mode_from_config(&env, &profiles)?.unwrap_or_default(),
        };

        let mut ua = format!(
            "bedrock-stream/{} (rust; {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        );
        if let Some(s) = &self.user_agent_suffix {
            ua.push(' ');
            ua.push_str(&crate::request::header_value("user agent", s)?);
        }

        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(ua.as_str())
            .timeout_connect(transport::limit(self.timeouts.connect))
            .timeout_recv_response(transport::limit(self.timeouts.response_headers))
            .timeout_per_read(transport::limit(self.timeouts.read_idle))
            .max_idle_connections(256)
            .max_idle_connections_per_host(256)
            .input_buffer_size(CONNECTION_INPUT_BUFFER)
            .output_buffer_size(CONNECTION_OUTPUT_BUFFER);
        if self.no_proxy {
            cfg = cfg.proxy(None);
        } else if let Some(p) = &self.proxy {
            cfg = cfg.proxy(Some(proxy_setting(p)?));
        }
        if let Some(tls) = tls {
            cfg = cfg.tls_config(tls);
        }
        let agent = ProcessAgent::new(cfg.build());
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                base_url,
                region,
                auth,
                timeouts: self.timeouts,
                retry,
                limiter: (retry_mode == RetryMode::Adaptive).then(RateLimiter::new),
                quota: RetryQuota::default(),
                max_message_len: self.max_message_len.unwrap_or(DEFAULT_MAX_MESSAGE_LEN),
                response_body_observer: self.response_body_observer,
            }),
        })
    }
}

/// Parse the explicit proxy URL. The error never echoes the URL (it may hold a password).
fn proxy_setting(url: &str) -> Result<ureq::Proxy> {
    if url.trim().is_empty() {
        return Err(Error::config(
            "the proxy URL given explicitly is empty (to use no proxy, say so with `no_proxy`)",
        ));
    }
    ureq::Proxy::new(url)
        .map_err(|e| Error::config(format!("the proxy URL given explicitly is invalid: {e}")))
}

/// `AWS_CA_BUNDLE`, else the profile's `ca_bundle`: the PEM file's contents.
fn ca_bundle_from_config(env: &Env, profiles: &ProfileSet) -> Result<Option<Vec<u8>>> {
    let path = match env.get("AWS_CA_BUNDLE") {
        Some(p) => p,
        None => match profiles.get("ca_bundle") {
            Some(p) => p.to_owned(),
            None => return Ok(None),
        },
    };
    crate::profile::read_ca_bundle(&env.expand_tilde(&path)).map(Some)
}

/// `AWS_MAX_ATTEMPTS`, else the profile's `max_attempts`.
fn max_attempts_from_config(env: &Env, profiles: &ProfileSet) -> Result<Option<u32>> {
    let (source, value) = match env.get("AWS_MAX_ATTEMPTS") {
        Some(v) => ("AWS_MAX_ATTEMPTS", v),
        None => match profiles.get("max_attempts") {
            Some(v) => ("the profile's max_attempts", v.to_owned()),
            None => return Ok(None),
        },
    };
    match value.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(Error::config(format!(
            "{source} is {value:?}; it must be a whole number of at least 1"
        ))),
    }
}

/// `AWS_RETRY_MODE`, else the profile's `retry_mode` (`standard`, `legacy` = standard,
/// `adaptive`); anything else is an error.
fn retry_mode_from_config(env: &Env, profiles: &ProfileSet) -> Result<Option<RetryMode>> {
    match env.get("AWS_RETRY_MODE") {
        Some(v) => v.parse().map(Some),
        None => profiles.get("retry_mode").map(str::parse).transpose(),
    }
}
