//! A loopback Amazon Bedrock Runtime emulator: `InvokeModelWithResponseStream` (and
//! `InvokeModel`) over HTTP/1.1 on 127.0.0.1, with SigV4 and bearer authentication checked like
//! AWS does, realistic streams for every model family, and fault injection.
//!
//! It runs on plain std threads (one per connection, bounded), uses the crate's own event-stream
//! encoder, and stops (joining its threads) on [`Emulator::shutdown`] or drop.
//!
//! # HTTPS
//!
//! [`EmulatorBuilder::tls`] makes it serve HTTPS instead, with a private CA generated at start
//! (never stored anywhere else) and a certificate for `localhost`, `127.0.0.1` and `::1`
//! signed by it. Clients trust it through [`Emulator::ca_pem`] or the file
//! [`Emulator::write_ca_pem`] writes (e.g. for `AWS_CA_BUNDLE`):
//!
//! ```
//! use bedrock_stream::emulator::Emulator;
//!
//! let emulator = Emulator::builder().tls(true).start().unwrap();
//! assert!(emulator.endpoint_url().starts_with("https://127.0.0.1:"));
//! let ca = emulator.ca_pem().unwrap();
//! assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
//! ```
//!
//! ```
//! use bedrock_stream::emulator::{Emulator, Scenario, StreamException};
//!
//! let emulator = Emulator::builder().text_chunks(4).start().unwrap();
//! let url = emulator.endpoint_url(); // "http://127.0.0.1:PORT"
//! // Sign requests for region `us-east-1` with AKIDEMULATOR / emulator-secret
//! // (DEFAULT_ACCESS_KEY_ID / DEFAULT_SECRET_ACCESS_KEY), or send
//! // `Authorization: Bearer bedrock-api-key-emulator` (DEFAULT_BEARER_TOKEN).
//! emulator.push_scenario(Scenario::exception(StreamException::Throttling, 2));
//! // ... the next request gets two chunks, then a throttlingException ...
//! # let _ = url;
//! assert_eq!(emulator.request_count(), 0);
//! ```
//!
//! # Choosing a scenario
//!
//! Each request on `/model/{id}/…` takes, in this order: the next entry of the per-emulator
//! queue ([`Emulator::push_scenario`]); else the scenario named by a model id of the form
//! `emulator-fault:<spec>` (see [`scenario`] for the spec syntax, usable from C, Go and the
//! CLI); else the default scenario ([`EmulatorBuilder::default_scenario`],
//! [`Emulator::set_default_scenario`]).
//!
//! # Routes
//!
//! * `POST /model/{modelId}/invoke-with-response-stream`: the event stream.
//! * `POST /model/{modelId}/invoke`: the non-streaming JSON answer (HTTP-level faults,
//!   `stall-headers` and `close` apply; in-stream faults are ignored).
//! * `POST /model/{modelId}/converse-stream` and `/converse`: ConverseStream and Converse,
//!   answered by a script chosen from the request (text, tool use with its input split over
//!   several deltas, reasoning, guardrail trace, unknown events and members on request; see
//!   `src/emulator/converse.rs`); faults as for the two operations above, counting events as
//!   chunks.
//! * anything else under `/model/` (e.g. an unencoded `/` in the model id): `404`
//!   `UnknownOperationException`.
//! * any other path: the [`EmulatorBuilder::handler`] hook, else `404`.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

mod converse;
mod faults;
mod frames;
pub mod http;
pub mod identity;
mod models;
mod router;
pub mod scenario;
mod server;
mod sigv4;
#[cfg(test)]
mod tests;
mod time;
mod tls;

pub use http::{HttpRequest, HttpResponse};
pub use models::{families, ModelFamily};
pub use scenario::{Fault, ParseScenarioError, Scenario, StreamException, FAULT_MODEL_PREFIX};

use server::{Config, Shared};
use sigv4::{AuthConfig, Identity};

/// Access key id the emulator accepts by default.
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIDEMULATOR";
/// Secret access key of [`DEFAULT_ACCESS_KEY_ID`].
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "emulator-secret";
/// Signing region the emulator expects by default.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Bearer token (Bedrock API key) the emulator accepts by default.
pub const DEFAULT_BEARER_TOKEN: &str = "bedrock-api-key-emulator";

/// The 11 modeled errors of the operation with their HTTP status (the service model's
/// `InvokeModelWithResponseStream` errors, `tests/data/bedrock-runtime.service-2.json`).
///
/// Kept apart from the client's table (`MODELED_ERRORS` in `src/error.rs`) on purpose: the
/// emulator plays the service, so the client's mapping is tested against a second transcription
/// of the service model rather than against itself. A unit test checks both, and the emulator's
/// `StreamException` members, against the service model file.
pub const MODELED_ERRORS: [(&str, u16); 11] = [
    ("AccessDeniedException", 403),
    ("ResourceNotFoundException", 404),
    ("ThrottlingException", 429),
    ("ModelTimeoutException", 408),
    ("InternalServerException", 500),
    ("ServiceUnavailableException", 503),
    ("ModelStreamErrorException", 424),
    ("ValidationException", 400),
    ("ServiceQuotaExceededException", 400),
    ("ModelNotReadyException", 429),
    ("ModelErrorException", 424),
];

/// An extension hook: answers requests outside `/model/` (`None` → `404`).
pub type Handler = Arc<dyn Fn(&HttpRequest) -> Option<HttpResponse> + Send + Sync>;

/// How a request was authenticated (or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// A valid SigV4 signature.
    SigV4 {
        /// The access key id of the credential scope.
        access_key_id: String,
        /// Whether an `X-Amz-Security-Token` was presented (and matched).
        session_token: bool,
        /// The `SignedHeaders` list.
        signed_headers: Vec<String>,
    },
    /// A configured bearer token.
    Bearer,
    /// Not checked: the emulator accepts any credentials.
    AcceptedAny,
    /// Not checked: the request went to the extension handler or matched no operation.
    NotChecked,
    /// Refused with this error.
    Rejected {
        /// The error shape, e.g. `InvalidSignatureException`.
        error_type: String,
        /// The message sent.
        message: String,
    },
}

impl AuthOutcome {
    /// Whether the request was let through.
    pub fn is_accepted(&self) -> bool {
        matches!(
            self,
            AuthOutcome::SigV4 { .. } | AuthOutcome::Bearer | AuthOutcome::AcceptedAny
        )
    }
}

/// A request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Connection number, 1-based in accept order (equal numbers = the same connection).
    pub connection_id: u64,
    /// Position of this request on its connection (1 = first; > 1 means the connection was
    /// reused).
    pub sequence_on_connection: u64,
    /// The request method.
    pub method: String,
    /// The raw path as sent (not decoded).
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The percent-decoded model id, for `/model/{id}/…` operations.
    pub model_id: Option<String>,
    /// Header fields as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The authentication outcome.
    pub auth: AuthOutcome,
    /// The scenario applied, as spec text (`None` outside the model operations).
    pub scenario: Option<String>,
    /// The status the emulator answered.
    pub status: u16,
    /// The `x-amzn-RequestId` sent (empty if none).
    pub request_id: String,
}

impl RecordedRequest {
    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Configures and starts an [`Emulator`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    bind: SocketAddr,
    auth: AuthConfig,
    text_chunks: usize,
    chunk_delay: Duration,
    default_scenario: Scenario,
    default_family: ModelFamily,
    validate_bodies: bool,
    max_connections: usize,
    max_header_bytes: usize,
    max_body_bytes: usize,
    keep_alive_timeout: Duration,
    request_timeout: Duration,
    handler: Option<Handler>,
    tls: bool,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("bind", &self.bind)
            .field("region", &self.auth.region)
            .field("identities", &self.auth.identities.len())
            .field("accept_any", &self.auth.accept_any)
            .field("default_scenario", &self.default_scenario.to_string())
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            bind: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
            auth: AuthConfig {
                identities: vec![Identity {
                    access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
                    secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
                    session_token: None,
                }],
                bearer_tokens: vec![DEFAULT_BEARER_TOKEN.into()],
                expired_session_tokens: Vec::new(),
                region: DEFAULT_REGION.into(),
                service: "bedrock".into(),
                max_skew_secs: 15 * 60,
                accept_any: false,
            },
            text_chunks: 8,
            chunk_delay: Duration::ZERO,
            default_scenario: Scenario::normal(),
            default_family: ModelFamily::AnthropicClaude,
            validate_bodies: true,
            max_connections: 512,
            max_header_bytes: 64 * 1024,
            max_body_bytes: 25_000_000 + 1024 * 1024,
            keep_alive_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            handler: None,
            tls: false,
        }
    }
}

impl EmulatorBuilder {
    /// Listens on 127.0.0.1:`port` (0 = any free port, the default).
    pub fn port(mut self, port: u16) -> Self {
        self.bind = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        self
    }
    /// Listens on `addr`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }
    /// The signing region requests must use (default `us-east-1`).
    pub fn region(mut self, region: &str) -> Self {
        self.auth.region = region.into();
        self
    }
    /// Accepts only this long-term key pair (replaces the configured identities).
    pub fn credentials(mut self, access_key_id: &str, secret_access_key: &str) -> Self {
        self.auth.identities.clear();
        self.add_credentials(access_key_id, secret_access_key, None)
    }
    /// Accepts only these temporary credentials; requests must carry `session_token` in
    /// `X-Amz-Security-Token` (replaces the configured identities).
    pub fn session_credentials(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: &str,
    ) -> Self {
        self.auth.identities.clear();
        self.add_credentials(access_key_id, secret_access_key, Some(session_token))
    }
    /// Accepts one more identity (with a session token when `Some`).
    pub fn add_credentials(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Self {
        self.auth.identities.push(Identity {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.map(String::from),
        });
        self
    }
    /// A session token that is answered with `403 ExpiredTokenException`.
    pub fn expired_session_token(mut self, token: &str) -> Self {
        self.auth.expired_session_tokens.push(token.into());
        self
    }
    /// Accepts this bearer token too (the default accepts [`DEFAULT_BEARER_TOKEN`]).
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.auth.bearer_tokens.push(token.into());
        self
    }
    /// Accepts exactly these bearer tokens (none: bearer auth always fails).
    pub fn bearer_tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.auth.bearer_tokens = tokens.into_iter().map(Into::into).collect();
        self
    }
    /// Skips authentication entirely (demos): any signature, token, or none.
    pub fn accept_any_credentials(mut self) -> Self {
        self.auth.accept_any = true;
        self
    }
    /// Largest accepted difference between `X-Amz-Date` and the clock (default 15 min).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.auth.max_skew_secs = skew.as_secs().min(i64::MAX as u64) as i64;
        self
    }
    /// Number of text chunks in answers (default 8).
    pub fn text_chunks(mut self, chunks: usize) -> Self {
        self.text_chunks = chunks.max(1);
        self
    }
    /// Delay between frames (default none).
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }
    /// The scenario for requests that have no queued or model-id scenario (default normal).
    pub fn default_scenario(mut self, scenario: Scenario) -> Self {
        self.default_scenario = scenario;
        self
    }
    /// The format for model ids that do not reveal their family (default Claude;
    /// [`ModelFamily::Unknown`] means Claude too).
    pub fn default_family(mut self, family: ModelFamily) -> Self {
        self.default_family = family;
        self
    }
    /// Whether request bodies must be JSON with the family's required keys (default true;
    /// failures are `400 ValidationException`).
    pub fn validate_bodies(mut self, validate: bool) -> Self {
        self.validate_bodies = validate;
        self
    }
    /// Concurrent connections served (default 512); more are answered `503` and closed.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }
    /// Largest request head (request line + headers) in bytes (default 64 KiB; over → 431).
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.max_header_bytes = max;
        self
    }
    /// Largest request body in bytes (default 26 MB; over → 413).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }
    /// Idle time after which a keep-alive connection is closed by the server (default 60 s).
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = timeout.max(Duration::from_millis(1));
        self
    }
    /// Time allowed to receive a whole request once it started (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout.max(Duration::from_millis(1));
        self
    }
    /// The hook consulted for every request outside `/model/` (STS, SSO, IMDS, … endpoints).
    /// Returning `None` gives `404`. The emulator adds `Content-Length` and `Connection`.
    pub fn handler(mut self, handler: Handler) -> Self {
        self.handler = Some(handler);
        self
    }
    /// Serves HTTPS instead of plain HTTP (default false). At start, a private CA and a
    /// certificate for `localhost`, `127.0.0.1`, `::1` (and the bind address, when it is a
    /// specific one) are generated; [`Emulator::ca_pem`] gives the CA to trust. Each
    /// connection's handshake runs in its own thread, within the request timeout; a failed
    /// handshake ends only that connection ([`Emulator::tls_handshake_failures`] counts them).
    /// Over the connection limit, TLS connections are closed without a `503`.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }
    /// Binds and starts serving.
    pub fn start(self) -> io::Result<Emulator> {
        let tls = if self.tls {
            Some(tls::setup(self.bind.ip())?)
        } else {
            None
        };
        let config = Config {
            auth: self.auth,
            text_chunks: self.text_chunks,
            chunk_delay: self.chunk_delay,
            default_family: self.default_family,
            validate_bodies: self.validate_bodies,
            max_connections: self.max_connections,
            limits: http::Limits {
                max_head: self.max_header_bytes,
                max_body: self.max_body_bytes,
                max_headers: 256,
            },
            keep_alive_timeout: self.keep_alive_timeout,
            request_timeout: self.request_timeout,
            handler: self.handler,
            tls: tls.as_ref().map(|t| t.config.clone()),
        };
        let (shared, addr, accept) = server::start(self.bind, config, self.default_scenario)?;
        Ok(Emulator {
            shared,
            addr,
            ca_pem: tls.map(|t| t.ca_pem),
            accept: Mutex::new(Some(accept)),
        })
    }
}

/// A running emulator. Stops on [`Emulator::shutdown`] or drop.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    ca_pem: Option<String>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("endpoint", &self.endpoint_url())
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults (127.0.0.1 port 0, `us-east-1`, `AKIDEMULATOR` /
    /// `emulator-secret`, bearer `bedrock-api-key-emulator`, 8 text chunks, no delay).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults.
    pub fn start() -> io::Result<Emulator> {
        Emulator::builder().start()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://…` with [`EmulatorBuilder::tls`]), for the client's
    /// endpoint override.
    pub fn endpoint_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        let ip = self.addr.ip();
        match self.addr {
            SocketAddr::V4(_) if ip.is_unspecified() => {
                format!("{scheme}://127.0.0.1:{}", self.addr.port())
            }
            SocketAddr::V6(_) if ip.is_unspecified() => {
                format!("{scheme}://[::1]:{}", self.addr.port())
            }
            a => format!("{scheme}://{a}"),
        }
    }

    /// With [`EmulatorBuilder::tls`]: the PEM certificate of the CA that signed the server's
    /// certificate (what a client must trust, e.g. `Client::builder().ca_bundle_pem(…)`).
    /// `None` for plain HTTP.
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// With [`EmulatorBuilder::tls`]: writes [`Emulator::ca_pem`] to `path` (for
    /// `AWS_CA_BUNDLE`, `--ca-bundle`, curl's `--cacert`). An error for plain HTTP.
    pub fn write_ca_pem(&self, path: impl AsRef<Path>) -> io::Result<()> {
        match &self.ca_pem {
            Some(pem) => std::fs::write(path, pem),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the emulator serves plain HTTP: there is no CA certificate",
            )),
        }
    }

    /// TLS handshakes that failed (client does not trust the CA, spoke plain HTTP, gave up
    /// or timed out). Those connections count in neither [`Emulator::closed_connections`]
    /// nor the requests.
    pub fn tls_handshake_failures(&self) -> u64 {
        self.shared.stats().tls_handshake_failures
    }

    /// The signing region the emulator expects.
    pub fn region(&self) -> &str {
        &self.shared.config.auth.region
    }

    /// Queues a scenario for the next request on `/model/…` (consumed one per request, in
    /// order; `fail=N` entries stay queued for `N` requests).
    pub fn push_scenario(&self, scenario: impl Into<Scenario>) {
        self.shared.scenarios().queue.push_back(scenario.into());
    }

    /// Queues several scenarios.
    pub fn push_scenarios<I: IntoIterator<Item = Scenario>>(&self, scenarios: I) {
        self.shared.scenarios().queue.extend(scenarios);
    }

    /// Number of queued scenarios not yet consumed.
    pub fn pending_scenarios(&self) -> usize {
        self.shared.scenarios().queue.len()
    }

    /// Drops the queued scenarios.
    pub fn clear_scenarios(&self) {
        self.shared.scenarios().queue = VecDeque::new();
    }

    /// Replaces the default scenario.
    pub fn set_default_scenario(&self, scenario: impl Into<Scenario>) {
        self.shared.scenarios().default = scenario.into();
    }

    /// Resets the per-emulator counters of `fail=N` scenarios (so they fail again).
    pub fn reset_fail_counters(&self) {
        self.shared.scenarios().fail_counts.clear();
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets the recorded requests (counters are kept).
    pub fn clear_requests(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Number of requests received so far (all routes; not reset by
    /// [`Emulator::clear_requests`]).
    pub fn request_count(&self) -> u64 {
        self.shared.stats().requests
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.stats().accepted
    }

    /// Connections the client closed (EOF or reset observed by the server while reading,
    /// waiting or writing), as opposed to ones the server closed.
    pub fn closed_connections(&self) -> u64 {
        self.shared.stats().closed_by_client
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.stats().open
    }

    /// Blocks until [`Emulator::closed_connections`] reaches `n` or `timeout` passes; returns
    /// whether it did.
    pub fn wait_for_closed_connections(&self, n: u64, timeout: Duration) -> bool {
        self.shared.wait_stats(timeout, |s| s.closed_by_client >= n)
    }

    /// Blocks until [`Emulator::request_count`] reaches `n` or `timeout` passes.
    pub fn wait_for_requests(&self, n: u64, timeout: Duration) -> bool {
        self.shared.wait_stats(timeout, |s| s.requests >= n)
    }

    /// Closes every keep-alive connection that is idle between requests (a client reusing one
    /// then sees the server's close). Returns how many were closed.
    pub fn close_idle_connections(&self) -> usize {
        self.shared.close_idle()
    }

    /// Stops accepting, closes every connection, wakes stalled responses and joins all
    /// threads. Idempotent; also done on drop.
    pub fn shutdown(&self) {
        let accept = self.accept.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(accept) = accept {
            self.shared.shutdown(self.addr, accept);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
