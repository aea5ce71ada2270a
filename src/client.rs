//! The blocking client: signed request, incremental response, Rust iterator and callback forms.

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::{Auth, Secret};
use crate::credentials::{
    http::{HttpSettings, ProxySetting},
    resolve_auth, AuthChoice, AuthSettings, BearerToken, DefaultChain,
};
use crate::credentials::{Credentials, CredentialsContext, ProvideCredentials};
use crate::endpoint;
use crate::error::{self, Error, ErrorClass, ErrorKind, Phase, Result, Timer};
use crate::event::{self, Chunk, Decoded, Event, UnknownEvent};
use crate::eventstream::{DecodeErrorKind, Decoder, DEFAULT_MAX_MESSAGE_LEN};
use crate::operation::{Expect, Operation};
use crate::profile::{Env, ProfileSet};
use crate::redact;
use crate::request::{InvokeRequest, PerformanceConfigLatency, ServiceTier};
use crate::retry::{self, RateLimiter, RetryMode, RetryQuota};
use crate::transport::{self, CancelHandle, CurrentCancel, ProcessAgent};

/// The media type of an event-stream body.
pub(crate) const EVENTSTREAM_CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// Default connect timeout (DNS, TCP, proxy CONNECT and TLS): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed from sending the request to the response headers: 300 s.
pub const DEFAULT_RESPONSE_HEADERS_TIMEOUT: Duration = Duration::from_secs(300);
/// Default longest silence allowed on an open stream (no byte at all): 60 s, botocore's read
/// timeout. Long generations are never cut while bytes flow.
pub const DEFAULT_READ_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of attempts (the first one included), as in the AWS SDKs' standard mode.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The four separate timers of a call. `None` switches a timer off (only when set so); so does
/// a duration above 100 years (e.g. `Duration::MAX`).
///
/// | timer | default |
/// |---|---|
/// | `connect` | 10 s ([`DEFAULT_CONNECT_TIMEOUT`]) |
/// | `response_headers` | 300 s ([`DEFAULT_RESPONSE_HEADERS_TIMEOUT`]) |
/// | `read_idle` | 60 s ([`DEFAULT_READ_IDLE_TIMEOUT`], botocore's read timeout) |
/// | `deadline` | off |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection (DNS, TCP, proxy CONNECT and TLS). Default 10 s.
    pub connect: Option<Duration>,
    /// From sending the request to receiving the status line and headers. Default 300 s.
    pub response_headers: Option<Duration>,
    /// The longest gap between two bytes of an open response (also applies while waiting for
    /// the response headers). Default 60 s.
    pub read_idle: Option<Duration>,
    /// An overall deadline for the whole call, retries included. Off by default: generations
    /// can legitimately run for an hour.
    pub deadline: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Some(DEFAULT_CONNECT_TIMEOUT),
            response_headers: Some(DEFAULT_RESPONSE_HEADERS_TIMEOUT),
            read_idle: Some(DEFAULT_READ_IDLE_TIMEOUT),
            deadline: None,
        }
    }
}

/// Retry settings (standard mode): bounded attempts, exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// Upper bound of the first backoff; doubles per attempt.
    pub initial_backoff: Duration,
    /// Cap of any single backoff.
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> RetryConfig {
        RetryConfig {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// Builds a [`Client`]. Anything not set is resolved from the environment the way the AWS
/// SDKs resolve it when [`ClientBuilder::build`] runs.
#[derive(Default)]
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

    /// The connect timeout (`None` = off).
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.connect = t;
        self
    }

    /// The response-headers timeout (`None` = off).
    pub fn response_headers_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.response_headers = t;
        self
    }

    /// The read-idle timeout (`None` = off).
    pub fn read_idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.timeouts.read_idle = t;
        self
    }

    /// The overall deadline of a call, retries included (`None` = off, the default).
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

    /// Trust the CA certificates of this PEM bundle in addition to the built-in roots.
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundle_pem = Some(pem.into());
        self
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
            .max_idle_connections_per_host(256);
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

struct Inner {
    /// The adaptive retry mode's client-side rate limiter, shared by all clones.
    limiter: Option<RateLimiter>,
    /// The retry quota (both modes), shared by all clones.
    quota: RetryQuota,
    /// The connection pool (one per process: see [`ProcessAgent`]).
    agent: ProcessAgent,
    base_url: String,
    region: String,
    auth: Auth,
    timeouts: Timeouts,
    retry: RetryConfig,
    max_message_len: u32,
    response_body_observer: Option<ResponseBodyObserver>,
}

/// A Bedrock Runtime client. `Send + Sync`, cheap to clone (clones share one connection pool).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base_url)
            .field("region", &self.inner.region)
            .field("auth", &self.inner.auth)
            .field("timeouts", &self.inner.timeouts)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// What [`Client::invoke_with`] reports when the stream ended or the callback stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeSummary {
    /// Events delivered to the callback.
    pub events: u64,
    /// True when the callback returned `ControlFlow::Break`.
    pub stopped_early: bool,
    /// The request id of the response.
    pub request_id: Option<String>,
    /// HTTP attempts made.
    pub attempts: u32,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured entirely from the environment (region, endpoint, credentials).
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The endpoint URL requests go to.
    pub fn endpoint_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Send the request and return once the response headers are in; read the events by
    /// iterating over the returned [`EventStream`].
    pub fn invoke_model_with_response_stream(
        &self,
        request: &InvokeRequest,
    ) -> Result<EventStream> {
        self.invoke_model_with_response_stream_cancellable(request, CancelHandle::new())
    }

    /// As [`Client::invoke_model_with_response_stream`], cancellable through `cancel` from any
    /// thread, from the moment the call starts.
    pub fn invoke_model_with_response_stream_cancellable(
        &self,
        request: &InvokeRequest,
        cancel: CancelHandle,
    ) -> Result<EventStream> {
        // Refuse bad input before anything is sent (and before counting an attempt).
        self.start(Operation::invoke_stream(request)?, cancel)
    }

    /// InvokeModel: the model's own request body in, its whole response body out (with the
    /// response headers), retried like a stream that has delivered nothing.
    pub fn invoke_model(&self, request: &InvokeRequest) -> Result<InvokeModelResponse> {
        self.invoke_model_cancellable(request, CancelHandle::new())
    }

    /// As [`Client::invoke_model`], cancellable through `cancel` from any thread.
    pub fn invoke_model_cancellable(
        &self,
        request: &InvokeRequest,
        cancel: CancelHandle,
    ) -> Result<InvokeModelResponse> {
        let mut call = self.start(Operation::invoke(request)?, cancel)?;
        Ok(InvokeModelResponse {
            body: call.take_body(),
            content_type: call.meta.http_content_type.clone(),
            performance_config_latency: call.performance_config_latency(),
            service_tier: call.service_tier(),
            request_id: call.meta.request_id.clone(),
            attempts: call.attempts(),
        })
    }

    /// Send `op` (with retries) until its response is in: for a stream, the headers; for a
    /// whole-body operation, the body too.
    pub(crate) fn start(&self, op: Operation, cancel: CancelHandle) -> Result<EventStream> {
        let started = Instant::now();
        // A deadline too far away to represent is no deadline.
        let deadline = self
            .inner
            .timeouts
            .deadline
            .and_then(|d| transport::instant_after(started, d));
        let mut stream = EventStream {
            client: self.clone(),
            op,
            reader: None,
            decoder: Decoder::with_max_message_len(self.inner.max_message_len),
            scratch: Vec::new(),
            cancel,
            meta: ResponseMeta::default(),
            events_delivered: 0,
            attempts: 0,
            unsent: 0,
            retry_cost: None,
            deadline,
            done: false,
            last_unknown: None,
        };
        stream.open()?;
        Ok(stream)
    }

    /// Stream with a callback, on this thread: `f` sees each event as it arrives and returns
    /// `ControlFlow::Break(())` to stop (the connection is then closed, not pooled).
    pub fn invoke_with<F>(&self, request: &InvokeRequest, mut f: F) -> Result<InvokeSummary>
    where
        F: FnMut(&Event) -> ControlFlow<()>,
    {
        let mut stream = self.invoke_model_with_response_stream(request)?;
        let mut stopped_early = false;
        for event in &mut stream {
            let event = event?;
            if f(&event).is_break() {
                stopped_early = true;
                break;
            }
        }
        Ok(InvokeSummary {
            events: stream.events_delivered,
            stopped_early,
            request_id: stream.meta.request_id.clone(),
            attempts: stream.attempts(),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let r = &self.inner.retry;
        let exp = r
            .initial_backoff
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16));
        exp.min(r.max_backoff).mul_f64(crate::retry::jitter())
    }

    /// One HTTP attempt, up to the response headers.
    fn send_once(
        &self,
        request: &Operation,
        cancel: &CancelHandle,
        deadline: Option<Instant>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let inner = &self.inner;
        // Failures until the request goes out are marked: nothing was sent, no attempt made.
        let url = format!("{}{}", inner.base_url, request.path);
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        // Credential resolution (STS, SSO, IMDS, credential_process, ...) belongs to the call:
        // its cancel and deadline end it too.
        let creds_ctx = CredentialsContext::new()
            .with_cancel(cancel.clone())
            .with_call_deadline(deadline, inner.timeouts.deadline);
        inner
            .auth
            .apply(&url, &inner.region, &mut headers, &request.body, &creds_ctx)
            .map_err(Error::nothing_sent)?;
        let mut rb = inner.agent.get().post(&url);
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::nothing_sent(Error::timeout(
                    Timer::Deadline,
                    inner.timeouts.deadline,
                )));
            }
            rb = rb.config().timeout_global(Some(left)).build();
        }
        let _current = CurrentCancel::enter(cancel);
        rb.send(&request.body[..])
            .map_err(|e| self.naming_host(self.map_ureq(e, cancel, Phase::BeforeHeaders)))
    }

    /// A transport error (connect, DNS, TLS) names the endpoint's host and port, never the
    /// URL's user-info or path.
    fn naming_host(&self, e: Error) -> Error {
        if e.class() != ErrorClass::Transport {
            return e;
        }
        let url = &self.inner.base_url;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        let host = authority.rsplit('@').next().unwrap_or(authority);
        let message = format!("{} [host {host}]", e.message());
        e.with_message(message)
    }

    fn map_ureq(&self, e: ureq::Error, cancel: &CancelHandle, phase: Phase) -> Error {
        if cancel.is_cancelled() {
            return Error::cancelled();
        }
        let t = &self.inner.timeouts;
        let mapped = match e {
            ureq::Error::Timeout(kind) => {
                use ureq::Timeout as U;
                let (timer, limit) = match kind {
                    U::Connect | U::Resolve => (Timer::Connect, t.connect),
                    U::Global | U::PerCall => (Timer::Deadline, t.deadline),
                    U::PerRead | U::RecvBody => (Timer::ReadIdle, t.read_idle),
                    _ => (Timer::ResponseHeaders, t.response_headers),
                };
                Error::timeout(timer, limit)
            }
            ureq::Error::Io(io) => return self.map_io(io, cancel, phase),
            ureq::Error::HostNotFound => {
                Error::transport("the endpoint host name could not be resolved")
            }
            ureq::Error::ConnectionFailed => Error::transport("could not connect to the endpoint"),
            ureq::Error::Tls(m) => {
                Error::transport(format!("TLS failed: {m}")).with_retryable(false)
            }
            ureq::Error::Rustls(r) => {
                Error::transport(format!("TLS failed: {r}")).with_retryable(false)
            }
            ureq::Error::InvalidProxyUrl => {
                Error::config("the proxy URL is invalid").with_retryable(false)
            }
            other => Error::transport(format!("HTTP failure: {other}")),
        };
        mapped.with_phase(phase)
    }

    fn map_io(&self, e: io::Error, cancel: &CancelHandle, phase: Phase) -> Error {
        if cancel.is_cancelled() {
            return Error::cancelled();
        }
        if e.get_ref().is_some_and(|i| i.is::<ureq::Error>()) {
            if let Ok(inner) = e.into_inner().unwrap().downcast::<ureq::Error>() {
                return self.map_ureq(*inner, cancel, phase);
            }
            return Error::transport("HTTP failure").with_phase(phase);
        }
        // ureq's TLS transport reports rustls failures (an untrusted certificate, …) as I/O
        // errors wrapping the `rustls::Error`: as final as `ureq::Error::Rustls`.
        if let Some(message) = e.get_ref().and_then(rustls_message) {
            return Error::transport(format!("TLS failed: {message}"))
                .with_retryable(false)
                .with_phase(phase)
                .with_source(e);
        }
        let in_body = phase == Phase::InStream;
        let err = match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                Error::timeout(Timer::ReadIdle, self.inner.timeouts.read_idle)
            }
            io::ErrorKind::UnexpectedEof if in_body => Error::new(
                ErrorKind::Truncated,
                "the connection closed before the response body ended",
            )
            .with_retryable(true),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
                if in_body =>
            {
                Error::new(
                    ErrorKind::Truncated,
                    format!("the connection was reset mid-stream ({e})"),
                )
                .with_retryable(true)
            }
            io::ErrorKind::ConnectionRefused => {
                Error::transport(format!("the endpoint refused the connection ({e})"))
            }
            _ => Error::transport(format!("I/O error: {e}")),
        };
        err.with_phase(phase).with_source(e)
    }
}

/// The message of `inner` when it is a `rustls::Error` (named through ureq's variant, so that
/// rustls need not be a direct dependency).
fn rustls_message(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<String> {
    fn downcast<T: std::error::Error + 'static>(
        _variant: fn(T) -> ureq::Error,
        inner: &(dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<String> {
        inner.downcast_ref::<T>().map(ToString::to_string)
    }
    downcast(ureq::Error::Rustls, inner)
}

/// The response of [`Client::invoke_model`] (`InvokeModelResponse`).
#[derive(Clone, PartialEq, Eq)]
pub struct InvokeModelResponse {
    /// `body`: the model's answer, as it sent it.
    pub body: Vec<u8>,
    /// `contentType` (`Content-Type`).
    pub content_type: Option<String>,
    /// `performanceConfigLatency` (`X-Amzn-Bedrock-PerformanceConfig-Latency`).
    pub performance_config_latency: Option<PerformanceConfigLatency>,
    /// `serviceTier` (`X-Amzn-Bedrock-Service-Tier`).
    pub service_tier: Option<ServiceTier>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// HTTP attempts made.
    pub attempts: u32,
}

impl fmt::Debug for InvokeModelResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `body` is `sensitive` in the service model.
        f.debug_struct("InvokeModelResponse")
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("content_type", &self.content_type)
            .field(
                "performance_config_latency",
                &self.performance_config_latency,
            )
            .field("service_tier", &self.service_tier)
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// Response members of `InvokeModelWithResponseStreamResponse` and protocol headers.
#[derive(Debug, Clone, Default)]
struct ResponseMeta {
    status: u16,
    request_id: Option<String>,
    /// `Content-Type` of the HTTP response.
    http_content_type: Option<String>,
    content_type: Option<String>,
    performance_config_latency: Option<String>,
    service_tier: Option<String>,
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An event borrowed from the stream (the allocation-free path, used by the C ABI).
pub(crate) enum EventRef<'a> {
    Chunk(&'a [u8]),
    Unknown(&'a UnknownEvent),
}

/// The events of one response, read incrementally off the socket as they arrive.
///
/// Iterate to get `Result<Event>` items: each event is delivered as soon as its last byte
/// arrives. After an error the iterator yields nothing more. Dropping the stream before its
/// end closes the connection (no paying for tokens nobody reads).
pub struct EventStream {
    client: Client,
    op: Operation,
    reader: Option<ureq::BodyReader<'static>>,
    decoder: Decoder,
    scratch: Vec<u8>,
    cancel: CancelHandle,
    meta: ResponseMeta,
    events_delivered: u64,
    /// Tries so far (bounded by `max_attempts`), those that failed before sending included.
    attempts: u32,
    /// Tries that failed before anything was sent (not HTTP attempts).
    unsent: u32,
    /// Retry-quota tokens the last retry of this call took.
    retry_cost: Option<u32>,
    deadline: Option<Instant>,
    done: bool,
    last_unknown: Option<UnknownEvent>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("request_id", &self.meta.request_id)
            .field("events_delivered", &self.events_delivered)
            .field("attempts", &self.attempts())
            .field("done", &self.done)
            .finish()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.reader = None;
        self.cancel.finish();
    }
}

impl EventStream {
    /// `X-Amzn-Bedrock-Content-Type`: the MIME type of the chunks' documents.
    pub fn content_type(&self) -> Option<&str> {
        self.meta.content_type.as_deref()
    }

    /// `x-amzn-RequestId` of the response.
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id.as_deref()
    }

    /// `X-Amzn-Bedrock-PerformanceConfig-Latency` of the response (the mode applied).
    pub fn performance_config_latency(&self) -> Option<PerformanceConfigLatency> {
        self.meta
            .performance_config_latency
            .as_deref()?
            .parse()
            .ok()
    }

    /// `X-Amzn-Bedrock-Service-Tier` of the response (the tier used).
    pub fn service_tier(&self) -> Option<ServiceTier> {
        self.meta.service_tier.as_deref()?.parse().ok()
    }

    /// The HTTP status of the response (200).
    pub fn http_status(&self) -> u16 {
        self.meta.status
    }

    /// HTTP attempts made so far (requests sent; a try that failed before sending anything,
    /// e.g. for want of credentials, is not one).
    pub fn attempts(&self) -> u32 {
        self.attempts - self.unsent
    }

    /// Events delivered so far.
    pub fn events_delivered(&self) -> u64 {
        self.events_delivered
    }

    /// A handle that cancels this stream from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// The model id of the request.
    pub fn model_id(&self) -> &str {
        &self.op.model_id
    }

    /// The whole body of a whole-body operation (after [`Client::start`]).
    pub(crate) fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.scratch)
    }

    /// `Content-Type` of the HTTP response.
    pub(crate) fn http_content_type(&self) -> Option<&str> {
        self.meta.http_content_type.as_deref()
    }

    fn fail(&mut self, e: Error) -> Error {
        self.done = true;
        self.reader = None;
        self.cancel.finish();
        let e = e
            .with_events_delivered(self.events_delivered)
            .with_attempts(self.attempts());
        if e.request_id().is_none() {
            e.with_request_id(self.meta.request_id.clone())
        } else {
            e
        }
    }

    /// Send (with retries) until a 2xx event-stream response is in.
    fn open(&mut self) -> Result<()> {
        loop {
            if self.cancel.is_cancelled() {
                return Err(self.fail(Error::cancelled()));
            }
            if let Some(limiter) = &self.client.inner.limiter {
                while let Some(wait) = limiter.acquire() {
                    if !self.cancel.sleep(wait) {
                        return Err(self.fail(Error::cancelled()));
                    }
                }
            }
            self.attempts += 1;
            let result = self
                .client
                .send_once(&self.op, &self.cancel, self.deadline)
                .and_then(|resp| self.accept_response(resp));
            if result.as_ref().is_err_and(Error::is_nothing_sent) {
                self.unsent += 1;
            }
            if let Some(limiter) = &self.client.inner.limiter {
                limiter.update(result.as_ref().err().is_some_and(is_throttle));
            }
            match result {
                Ok(()) => {
                    self.client.inner.quota.release(self.retry_cost.take());
                    return Ok(());
                }
                Err(e) => self.retry_or_fail(e)?,
            }
        }
    }

    /// After a failure before any event was delivered: wait and return `Ok` to try again, or
    /// return the final error.
    fn retry_or_fail(&mut self, e: Error) -> Result<()> {
        let can_retry = e.is_retryable()
            && self.events_delivered == 0
            && self.attempts < self.client.inner.retry.max_attempts
            && !matches!(e.kind(), ErrorKind::Cancelled);
        if !can_retry {
            return Err(self.fail(e));
        }
        let wait = self.client.backoff(self.attempts);
        if !retry::backoff_fits(wait, self.deadline) {
            return Err(self.fail(e));
        }
        let timeout = e.kind() == ErrorKind::Timeout;
        match self.client.inner.quota.acquire(timeout) {
            Some(cost) => self.retry_cost = Some(cost),
            None => {
                let msg = format!(
                    "{} (not retried: the client's retry quota is used up; it refills as calls \
                     succeed)",
                    e.message()
                );
                return Err(self.fail(e.with_message(msg)));
            }
        }
        let wait = wait.min(retry::MAX_BACKOFF_SLEEP);
        self.reader = None;
        // The attempt is over (its connection closed or back in the pool): a cancel during
        // the backoff must not reach a connection another call takes over.
        self.cancel.release();
        self.decoder = Decoder::with_max_message_len(self.client.inner.max_message_len);
        if !self.cancel.sleep(wait) {
            return Err(self.fail(Error::cancelled()));
        }
        Ok(())
    }

    fn accept_response(&mut self, resp: ureq::http::Response<ureq::Body>) -> Result<()> {
        let status = resp.status().as_u16();
        self.meta = ResponseMeta {
            status,
            request_id: header(&resp, "x-amzn-requestid"),
            http_content_type: header(&resp, "content-type"),
            content_type: header(&resp, "x-amzn-bedrock-content-type"),
            performance_config_latency: header(&resp, "x-amzn-bedrock-performanceconfig-latency"),
            service_tier: header(&resp, "x-amzn-bedrock-service-tier"),
        };
        let request_id = self.meta.request_id.clone();
        let http_ct = header(&resp, "content-type");
        if !(200..300).contains(&status) {
            let error_type = header(&resp, "x-amzn-errortype");
            let body = self.read_body(resp, 64 * 1024)?;
            return Err(error_from_response(status, error_type.as_deref(), &body)
                .with_request_id(request_id));
        }
        if self.op.expect == Expect::Body {
            let max = crate::request::MAX_BODY_LEN;
            self.scratch = self.read_body(resp, max + 1)?;
            if self.scratch.len() > max {
                return Err(Error::protocol(format!(
                    "the response body is longer than the {max} bytes the service model allows"
                ))
                .with_phase(Phase::HttpResponse)
                .with_request_id(request_id));
            }
            self.done = true;
            return Ok(());
        }
        let is_eventstream = http_ct
            .as_deref()
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(EVENTSTREAM_CONTENT_TYPE)
            })
            .unwrap_or(false);
        if !is_eventstream {
            let body = self.read_body(resp, 64 * 1024)?;
            return Err(
                unexpected_body(status, http_ct.as_deref(), &body).with_request_id(request_id)
            );
        }
        self.reader = Some(resp.into_body().into_reader());
        Ok(())
    }

    /// Read at most `limit` bytes of a body (64 KiB of an error body; the whole body of a
    /// whole-body operation), with the call's timers still applying. A read that fails (a timer
    /// fires, the connection drops, a cancel) is that failure, not an empty body: the status
    /// alone would misreport it (a 429 would look like throttling).
    fn read_body(&self, resp: ureq::http::Response<ureq::Body>, limit: usize) -> Result<Vec<u8>> {
        use std::io::Read;
        let status = resp.status().as_u16();
        let _current = CurrentCancel::enter(&self.cancel);
        let mut out = Vec::new();
        let mut reader = resp.into_body().into_reader().take(limit as u64);
        let read = reader.read_to_end(&mut out);
        drop(reader);
        if let Some(observe) = &self.client.inner.response_body_observer {
            observe(self.attempts(), &out);
        }
        // The response is consumed: its connection may be back in the pool already.
        self.cancel.release();
        match read {
            Ok(_) => Ok(out),
            Err(e) => {
                let err = self.client.map_io(e, &self.cancel, Phase::HttpResponse);
                let msg = format!("{} while reading the response body", err.message());
                Err(err.with_message(msg).with_http_status(status))
            }
        }
    }

    /// The next event without allocating for chunks: the chunk's bytes stay valid until the
    /// next call. `Ok(None)` at the clean end of the stream.
    pub(crate) fn next_ref(&mut self) -> Result<Option<EventRef<'_>>> {
        match self.step()? {
            None => Ok(None),
            Some(Step::Chunk) => Ok(Some(EventRef::Chunk(&self.scratch))),
            Some(Step::Unknown(u)) => {
                self.unknown_slot(u);
                Ok(Some(EventRef::Unknown(self.last_unknown())))
            }
            Some(Step::Converse(_)) => Err(self.fail(not_chunks())),
        }
    }

    fn unknown_slot(&mut self, u: UnknownEvent) {
        self.scratch.clear();
        self.last_unknown = Some(u);
    }

    fn last_unknown(&self) -> &UnknownEvent {
        self.last_unknown.as_ref().expect("set just before")
    }

    pub(crate) fn step(&mut self) -> Result<Option<Step>> {
        loop {
            if self.done {
                return Ok(None);
            }
            // Cancel and deadline are checked before every event, not only when the buffer
            // runs dry: several events may arrive in one read.
            let next = match self.read_step() {
                Ok(Some(step)) => self.check_live().map(|()| Some(step)),
                other => other,
            };
            match next {
                Ok(Some(step)) => {
                    self.events_delivered += 1;
                    return Ok(Some(step));
                }
                Ok(None) => {
                    self.done = true;
                    self.reader = None;
                    self.cancel.finish();
                    return Ok(None);
                }
                Err(e) => {
                    if let Some(limiter) = &self.client.inner.limiter {
                        if is_throttle(&e) {
                            limiter.update(true);
                        }
                    }
                    // Nothing reached the caller yet: a transient failure may be retried.
                    self.retry_or_fail(e)?;
                    self.open()?;
                }
            }
        }
    }

    /// Fail when the call was cancelled or its deadline passed.
    fn check_live(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                return Err(
                    Error::timeout(Timer::Deadline, self.client.inner.timeouts.deadline)
                        .with_phase(Phase::InStream),
                );
            }
        }
        Ok(())
    }

    /// Decode the next event from buffered bytes, reading more as needed.
    fn read_step(&mut self) -> Result<Option<Step>> {
        loop {
            let delivered = self.events_delivered;
            let step = match self.decoder.next_message() {
                Ok(Some(msg)) if self.op.expect == Expect::ConverseEvents => {
                    Some(Step::Converse(crate::converse::decode(&msg, delivered)?))
                }
                Ok(Some(msg)) => Some(
                    match event::decode_message(&msg, &mut self.scratch, delivered)? {
                        Decoded::Chunk => Step::Chunk,
                        Decoded::Unknown(t) => Step::Unknown(UnknownEvent::from_message(t, &msg)),
                    },
                ),
                Ok(None) => None,
                Err(e) => {
                    let kind = if e.kind() == DecodeErrorKind::Truncated {
                        ErrorKind::Truncated
                    } else {
                        ErrorKind::Protocol
                    };
                    return Err(Error::new(kind, e.to_string())
                        .with_decode(e.kind())
                        .with_phase(Phase::InStream));
                }
            };
            if let Some(step) = step {
                return Ok(Some(step));
            }
            self.check_live()?;
            let attempt = self.attempts();
            let Some(reader) = self.reader.as_mut() else {
                return Ok(None);
            };
            let read = {
                let _current = CurrentCancel::enter(&self.cancel);
                match &self.client.inner.response_body_observer {
                    None => self.decoder.read_from(reader),
                    Some(observe) => self.decoder.read_from(&mut Observed {
                        reader,
                        observe,
                        attempt,
                    }),
                }
            };
            match read {
                Ok(0) => {
                    return match self.decoder.finish() {
                        Ok(()) => Ok(None),
                        Err(e) => Err(Error::new(ErrorKind::Truncated, e.to_string())
                            .with_decode(e.kind())
                            .with_retryable(true)
                            .with_phase(Phase::InStream)),
                    };
                }
                Ok(_) => {}
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        && !e
                            .get_ref()
                            .is_some_and(|i| i.is::<crate::transport::CancelledMarker>()) => {}
                Err(e) => return Err(self.client.map_io(e, &self.cancel, Phase::InStream)),
            }
        }
    }
}

/// A body reader that shows each piece read to the client's [`ResponseBodyObserver`].
struct Observed<'a, R: ?Sized> {
    reader: &'a mut R,
    observe: &'a ResponseBodyObserver,
    attempt: u32,
}

impl<R: io::Read + ?Sized> io::Read for Observed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.reader.read(buf)?;
        (self.observe)(self.attempt, &buf[..n]);
        Ok(n)
    }
}

/// One decoded event, as the operation's decoder reads it.
pub(crate) enum Step {
    /// A chunk whose bytes are in the scratch buffer.
    Chunk,
    Unknown(UnknownEvent),
    Converse(crate::converse::ConverseStreamEvent),
}

/// A ConverseStream stream read as chunks: a bug of this library, never the caller's.
fn not_chunks() -> Error {
    Error::internal("a ConverseStream response was read as InvokeModelWithResponseStream events")
}

impl Iterator for EventStream {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        match self.step() {
            Ok(None) => None,
            Ok(Some(Step::Chunk)) => Some(Ok(Event::Chunk(Chunk::new(std::mem::take(
                &mut self.scratch,
            ))))),
            Ok(Some(Step::Unknown(u))) => Some(Ok(Event::Unknown(u))),
            Ok(Some(Step::Converse(_))) => Some(Err(self.fail(not_chunks()))),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Whether the service asked us to slow down (for the adaptive rate limiter).
fn is_throttle(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Throttling | ErrorKind::ModelNotReady)
        || (e.kind() == ErrorKind::UnmodeledService && e.http_status() == Some(429))
}

/// Sanitize an error type: text before the first `:`, after the last `#`.
fn sanitize_error_type(t: &str) -> &str {
    let t = t.split(':').next().unwrap_or(t);
    t.rsplit('#').next().unwrap_or(t).trim()
}

/// Build the typed error of a non-2xx response (restJson1 rules, §6.2).
pub(crate) fn error_from_response(status: u16, error_type: Option<&str>, body: &[u8]) -> Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    // Everything taken from the response is cleaned: no control or invisible characters.
    let field_limited = |names: &[&str], max: usize| -> Option<String> {
        let j = json.as_ref()?;
        names.iter().find_map(|n| {
            j.get(*n)
                .and_then(|v| v.as_str())
                .map(|v| redact::remote_text(v, max))
        })
    };
    let field = |names: &[&str]| field_limited(names, redact::MAX_MESSAGE_CHARS);
    let raw_type = error_type
        .map(str::to_owned)
        .or_else(|| field(&["__type", "code", "Code"]));
    let code = raw_type
        .as_deref()
        .map(sanitize_error_type)
        .map(redact::excerpt)
        .filter(|c| !c.is_empty());
    let message = field(&["message", "Message"]).unwrap_or_else(|| {
        let text = redact::remote_text(&String::from_utf8_lossy(body), 512);
        if text.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            text
        }
    });
    let modeled = code.as_deref().and_then(error::modeled_by_shape);
    let kind = modeled
        .map(|m| m.kind)
        .unwrap_or(ErrorKind::UnmodeledService);
    let original_status = json
        .as_ref()
        .and_then(|j| j.get("originalStatusCode"))
        .and_then(error::original_status_code);
    Error::new(kind, message)
        .with_phase(Phase::HttpResponse)
        .with_http_status(status)
        .with_code(code.unwrap_or_else(|| status.to_string()))
        .with_retryable(error::service_error_retryable(kind, Some(status)))
        .with_original(original_status, field(&["originalMessage"]))
        .with_resource_name(field_limited(&["resourceName"], 2048))
}

/// A 2xx response whose body is not an event stream: surface what it says.
fn unexpected_body(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    let inner = error_from_response(status, None, body);
    let ct = redact::excerpt(content_type.unwrap_or("none"));
    let detail = match inner.code() {
        Some(c) if c != status.to_string() => format!("{c}: {}", inner.message()),
        _ => inner.message().to_owned(),
    };
    Error::new(
        ErrorKind::UnexpectedContentType,
        format!(
            "HTTP {status} with Content-Type {ct} instead of {EVENTSTREAM_CONTENT_TYPE}; the body says: {detail}"
        ),
    )
    .with_phase(Phase::HttpResponse)
    .with_http_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_stream_is_send() {
        fn ss<T: Send + Sync>() {}
        fn s<T: Send>() {}
        ss::<Client>();
        ss::<CancelHandle>();
        s::<EventStream>();
    }

    #[test]
    fn error_responses_map_to_modeled_kinds() {
        let e = error_from_response(
            429,
            Some("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            br#"{"message":"Too many requests"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Throttling);
        assert_eq!(e.code(), Some("ThrottlingException"));
        assert!(e.is_retryable());
        assert_eq!(e.class(), crate::ErrorClass::Service);
        let e = error_from_response(
            400,
            None,
            br#"{"__type":"com.amazon.bedrock#ValidationException","Message":"bad"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.message(), "bad");
        assert!(!e.is_retryable());
        let e = error_from_response(
            424,
            Some("ModelErrorException"),
            br#"{"message":"m","originalStatusCode":500,"resourceName":"r"}"#,
        );
        assert_eq!(
            (e.original_status_code(), e.resource_name()),
            (Some(500), Some("r"))
        );
        let e = error_from_response(
            403,
            Some("ExpiredTokenException"),
            br#"{"message":"expired"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::UnmodeledService);
        assert!(!e.is_retryable());
        // originalStatusCode outside i32: not reported, never wrapped (same rule as in-stream).
        for (value, want) in [
            ("500", Some(500)),
            ("1011380923018", None),
            ("-2147483649", None),
        ] {
            let body = format!(r#"{{"message":"kept","originalStatusCode":{value}}}"#);
            let e = error_from_response(424, Some("ModelErrorException"), body.as_bytes());
            assert_eq!(e.original_status_code(), want, "{value}");
            assert_eq!(e.message(), "kept");
        }
        // Text from the server is one clean line, whatever it holds.
        let e = error_from_response(
            400,
            Some("ValidationException\r\nX: y"),
            b"{\"message\":\"a\\u0000b\\r\\nFORGED\\u001b[31m\\u202e\",\"resourceName\":\"r\\n\"}",
        );
        assert_eq!(e.message(), "a b  FORGED [31m");
        assert_eq!(e.resource_name(), Some("r"));
        let e = error_from_response(502, None, b"\x1b[2Jplain\r\ntext\x00");
        assert_eq!(e.message(), "[2Jplain  text");
        let e = error_from_response(502, None, b"<html><body>Bad Gateway</body></html>");
        assert_eq!(e.code(), Some("502"));
        assert!(e.message().contains("Bad Gateway"));
        assert!(e.is_retryable());
    }
}
