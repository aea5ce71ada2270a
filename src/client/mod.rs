//! The blocking client: signed request, incremental response, Rust iterator and callback forms.
//!
//! * [`builder`]: [`ClientBuilder`] and the settings it resolves from the environment;
//! * [`send`]: one HTTP attempt, retries up to a 2xx response, transport-error mapping;
//! * [`stream`]: [`EventStream`], the events of one response read off the socket;
//! * [`service_error`]: the typed error of a non-2xx response.

mod builder;
mod send;
mod service_error;
mod stream;

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::Auth;
use crate::error::Result;
use crate::event::{Current, Event, EventRef};
use crate::eventstream::Decoder;
use crate::operation::Operation;
use crate::request::{InvokeRequest, PerformanceConfigLatency, ServiceTier};
use crate::retry::{RateLimiter, RetryQuota};
use crate::transport::{self, CancelHandle, ProcessAgent};

pub use builder::{ClientBuilder, ResponseBodyObserver};
use stream::ResponseMeta;
pub use stream::{EventStream, StreamState};

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
        self.start(Operation::invoke_stream(request), cancel)
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
        let mut call = self.start(Operation::invoke(request), cancel)?;
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
    /// whole-body operation, the body too. `cancel` becomes this call's handle first (one
    /// handle, one call: see [`CancelHandle`]), even when `op` is an invalid request.
    pub(crate) fn start(&self, op: Result<Operation>, cancel: CancelHandle) -> Result<EventStream> {
        cancel.claim()?;
        let op = op?;
        let started = Instant::now();
        // A deadline too far away to represent is no deadline.
        let deadline = self
            .inner
            .timeouts
            .deadline
            .and_then(|d| transport::instant_after(started, d));
        let mut stream = EventStream {
            client: self.clone(),
            reader: None,
            decoder: Decoder::with_max_message_len(self.inner.max_message_len),
            current: Box::new(Current::new(op.family)),
            body: Vec::new(),
            cancel,
            meta: ResponseMeta::default(),
            events_delivered: 0,
            attempts: 0,
            unsent: 0,
            retry_cost: None,
            deadline,
            state: StreamState::Streaming,
            failure: None,
            op,
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
        self.invoke_with_events(request, CancelHandle::new(), |e| f(&e.to_event()))
    }

    /// As [`Client::invoke_with`], with each event borrowed ([`EventRef`]: no allocation per
    /// event, text and usage on demand) and cancellable through `cancel` from any thread. The
    /// C API's `bedrock_stream_client_invoke` is this call.
    pub fn invoke_with_events<F>(
        &self,
        request: &InvokeRequest,
        cancel: CancelHandle,
        f: F,
    ) -> Result<InvokeSummary>
    where
        F: FnMut(EventRef<'_>) -> ControlFlow<()>,
    {
        self.invoke_model_with_response_stream_cancellable(request, cancel)?
            .push_events(f)
    }
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
}
