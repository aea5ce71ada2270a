//! The one error type of the crate.
//!
//! [`Error`] is an opaque struct: match on [`Error::kind`] (a `#[non_exhaustive]` enum), and read
//! the AWS details (HTTP status, request id, AWS error code, `originalStatusCode`, ...) through its
//! accessors. `Display` is one sentence a user can act on; it never contains a secret.

use std::fmt;
use std::time::Duration;

use crate::eventstream::DecodeErrorKind;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong. New kinds may be added in minor releases.
///
/// Each kind's documentation says whether an error of that kind is retryable
/// ([`Error::is_retryable`]). A modeled service error is retryable or not by its kind alone,
/// the same whether it came as an HTTP error response before the stream or as an exception
/// frame inside it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    // ---- modeled errors of the operation (HTTP error responses and stream exception frames) ----
    /// `AccessDeniedException` (HTTP 403): missing IAM permission or model access.
    /// Not retryable.
    AccessDenied,
    /// `ResourceNotFoundException` (HTTP 404): unknown model id or ARN. Not retryable.
    ResourceNotFound,
    /// `ThrottlingException` / `throttlingException` (HTTP 429). Retryable, in both forms.
    Throttling,
    /// `ModelTimeoutException` / `modelTimeoutException` (HTTP 408): the model's own
    /// processing limit. Not retryable, in both forms.
    ModelTimeout,
    /// `InternalServerException` / `internalServerException` (HTTP 500). Retryable, in both
    /// forms.
    InternalServer,
    /// `ServiceUnavailableException` / `serviceUnavailableException` (HTTP 503). Retryable, in
    /// both forms.
    ServiceUnavailable,
    /// `ModelStreamErrorException` / `modelStreamErrorException` (HTTP 424): "Retry your
    /// request", says the service. Retryable, in both forms.
    ModelStreamError,
    /// `ValidationException` / `validationException` (HTTP 400). Not retryable, in both forms.
    Validation,
    /// `ServiceQuotaExceededException` (HTTP 400): a quota that does not refill by itself.
    /// Not retryable.
    ServiceQuotaExceeded,
    /// `ModelNotReadyException` (HTTP 429). Retryable.
    ModelNotReady,
    /// `ModelErrorException` (HTTP 424): the model failed on this input. Not retryable.
    ModelError,
    /// A non-2xx response or an exception frame whose error type is not in the service model
    /// (for example a front-end authentication failure); [`Error::code`] has the raw type.
    /// Retryable when the HTTP status is 429, 500, 502, 503 or 504 (never in the stream form,
    /// which has no status).
    UnmodeledService,
    /// An event-stream message of type `error` (`:error-code` / `:error-message`). Retryable
    /// when the code names throttling or an internal / unavailable service
    /// (`…Throttl…`, `…InternalFailure…`, `…InternalServer…`, `…ServiceUnavailable…`).
    StreamError,
    // ---- protocol ----
    /// A 2xx response whose `Content-Type` is not `application/vnd.amazon.eventstream`.
    /// Not retryable.
    UnexpectedContentType,
    /// The event stream is corrupt: bad CRC, impossible length, malformed headers, missing
    /// protocol headers, or a chunk payload that is not the documented JSON. Not retryable.
    Protocol,
    /// The connection ended in the middle of a message or before the HTTP body was complete.
    /// Retryable.
    Truncated,
    // ---- transport and time ----
    /// Connecting, TLS, DNS, proxy or socket I/O failed. Retryable, except a TLS failure (an
    /// untrusted certificate does not fix itself).
    Transport,
    /// A timer fired; [`Error::timer`] says which. Retryable, except the overall deadline.
    Timeout,
    // ---- caller side ----
    /// An argument was refused before anything was sent (bad model id, CR/LF in a header value,
    /// a value outside the service model's enum or length limits). Not retryable.
    InvalidInput,
    /// The configuration is unusable (no region, bad endpoint URL, conflicting settings).
    /// Not retryable.
    Config,
    /// No credentials could be found, or a credential provider failed. Retryable only when the
    /// provider's endpoint answered HTTP 429 or 5xx.
    Credentials,
    /// The stream was cancelled through a [`CancelHandle`](crate::CancelHandle). Not
    /// retryable.
    Cancelled,
    /// A bug in this library (for example a panic caught at the C boundary). Not retryable.
    Internal,
}

/// The broad class of an [`ErrorKind`], as printed by the command-line tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The service answered with an HTTP error before the stream started.
    Service,
    /// The service sent an exception or error message inside the stream.
    Stream,
    /// The bytes received are not a valid event stream.
    Protocol,
    /// The network failed.
    Transport,
    /// A timer fired.
    Timeout,
    /// The caller's input, configuration or credentials, or a cancellation.
    Client,
}

impl ErrorClass {
    /// Lower-case name: `service`, `stream`, `protocol`, `transport`, `timeout` or `client`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Service => "service",
            ErrorClass::Stream => "stream",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Transport => "transport",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Client => "client",
        }
    }
}

/// Which timer fired, for [`ErrorKind::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Establishing the TCP (and TLS / proxy) connection.
    Connect,
    /// Waiting for the response status line and headers after the request was sent.
    ResponseHeaders,
    /// No byte arrived on an open stream for the read-idle period.
    ReadIdle,
    /// The optional overall deadline of the call passed.
    Deadline,
}

impl Timer {
    /// The timer's name as used in messages and settings: `connect`, `response-headers`,
    /// `read-idle`, `deadline`.
    pub fn as_str(self) -> &'static str {
        // The names are ASCII: the conversion cannot fail.
        self.as_c_str().to_str().unwrap_or_default()
    }

    /// [`Timer::as_str`], NUL-terminated (what the C API hands out).
    pub(crate) fn as_c_str(self) -> &'static std::ffi::CStr {
        match self {
            Timer::Connect => c"connect",
            Timer::ResponseHeaders => c"response-headers",
            Timer::ReadIdle => c"read-idle",
            Timer::Deadline => c"deadline",
        }
    }
}

/// Where in the call the error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Phase {
    BeforeSend,
    BeforeHeaders,
    HttpResponse,
    InStream,
}

/// The error type of every fallible function in this crate.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    phase: Phase,
    message: String,
    code: Option<String>,
    http_status: Option<u16>,
    request_id: Option<String>,
    retryable: bool,
    events_delivered: u64,
    original_status_code: Option<i32>,
    original_message: Option<String>,
    resource_name: Option<String>,
    timer: Option<Timer>,
    timer_limit: Option<Duration>,
    decode: Option<DecodeErrorKind>,
    attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let phase = match kind {
            ErrorKind::InvalidInput | ErrorKind::Config | ErrorKind::Credentials => {
                Phase::BeforeSend
            }
            _ => Phase::InStream,
        };
        Error {
            inner: Box::new(Inner {
                kind,
                phase,
                message: message.into(),
                code: None,
                http_status: None,
                request_id: None,
                retryable: false,
                events_delivered: 0,
                original_status_code: None,
                original_message: None,
                resource_name: None,
                timer: None,
                timer_limit: None,
                decode: None,
                attempts: 0,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    pub(crate) fn credentials(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Credentials, message)
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, message)
    }

    pub(crate) fn transport(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Transport, message).with_retryable(true)
    }

    pub(crate) fn timeout(timer: Timer, limit: Option<Duration>) -> Error {
        let message = match limit {
            Some(d) => format!("the {} timeout of {:?} fired", timer.as_str(), d),
            None => format!("the {} timeout fired", timer.as_str()),
        };
        let mut e = Error::new(ErrorKind::Timeout, message);
        e.inner.timer = Some(timer);
        e.inner.timer_limit = limit;
        e.inner.retryable = !matches!(timer, Timer::Deadline);
        e
    }

    pub(crate) fn cancelled() -> Error {
        Error::new(ErrorKind::Cancelled, "the stream was cancelled")
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// What a stream answers on every call after it failed with `self`: the same kind (so
    /// the same status in C), the call's counters, and a short message pointing back at the
    /// original error (its code, HTTP status and timer are not repeated).
    pub(crate) fn repeated(&self) -> Error {
        let message = if self.kind() == ErrorKind::Cancelled {
            "the stream was cancelled".to_owned()
        } else {
            format!(
                "the stream already failed ({:?}: {}); see the error returned then",
                self.kind(),
                self.message()
            )
        };
        Error::new(self.kind(), message)
            .with_phase(self.inner.phase)
            .with_events_delivered(self.events_delivered())
            .with_attempts(self.attempts())
            .with_request_id(self.request_id().map(str::to_owned))
    }

    /// A copy of a [`Error::repeated`] error (which has no source), for the next call.
    pub(crate) fn copy_repeated(&self) -> Error {
        Error::new(self.kind(), self.message())
            .with_phase(self.inner.phase)
            .with_events_delivered(self.events_delivered())
            .with_attempts(self.attempts())
            .with_request_id(self.request_id().map(str::to_owned))
    }

    // ---- builder-style setters used inside the crate ----

    pub(crate) fn with_phase(mut self, phase: Phase) -> Error {
        self.inner.phase = phase;
        self
    }

    /// Mark an error raised before the request went out (no HTTP attempt was made).
    pub(crate) fn nothing_sent(mut self) -> Error {
        self.inner.phase = Phase::BeforeSend;
        self
    }

    /// Whether the error was raised before the request went out.
    pub(crate) fn is_nothing_sent(&self) -> bool {
        self.inner.phase == Phase::BeforeSend
    }

    pub(crate) fn with_code(mut self, code: impl Into<String>) -> Error {
        self.inner.code = Some(code.into());
        self
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Error {
        self.inner.http_status = Some(status);
        self
    }

    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Error {
        if id.is_some() {
            self.inner.request_id = id;
        }
        self
    }

    pub(crate) fn with_retryable(mut self, retryable: bool) -> Error {
        self.inner.retryable = retryable;
        self
    }

    pub(crate) fn with_events_delivered(mut self, n: u64) -> Error {
        self.inner.events_delivered = n;
        self
    }

    pub(crate) fn with_original(mut self, status: Option<i32>, message: Option<String>) -> Error {
        self.inner.original_status_code = status;
        self.inner.original_message = message;
        self
    }

    pub(crate) fn with_resource_name(mut self, name: Option<String>) -> Error {
        self.inner.resource_name = name;
        self
    }

    pub(crate) fn with_decode(mut self, kind: DecodeErrorKind) -> Error {
        self.inner.decode = Some(kind);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Error {
        self.inner.message = message.into();
        self
    }

    // ---- public accessors ----

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The broad class of the error (service, stream, protocol, transport, timeout, client).
    pub fn class(&self) -> ErrorClass {
        use ErrorKind::*;
        match self.inner.kind {
            UnexpectedContentType | Protocol | Truncated => ErrorClass::Protocol,
            Transport => ErrorClass::Transport,
            Timeout => ErrorClass::Timeout,
            InvalidInput | Config | Credentials | Cancelled | Internal => ErrorClass::Client,
            StreamError => ErrorClass::Stream,
            _ => {
                if self.inner.phase == Phase::InStream {
                    ErrorClass::Stream
                } else {
                    ErrorClass::Service
                }
            }
        }
    }

    /// The human-readable detail (the service's own message where there is one).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The AWS error code as the service sent it: the sanitized `x-amzn-ErrorType` of an HTTP
    /// error (`ThrottlingException`), the `:exception-type` of an exception frame
    /// (`throttlingException`) or the `:error-code` of an error frame.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The HTTP status: of the error response, or the status the service model assigns to a
    /// stream exception (`throttlingException` → 429).
    pub fn http_status(&self) -> Option<u16> {
        self.inner.http_status
    }

    /// The `x-amzn-RequestId` of the response, when one was received.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// Whether sending the same request again may succeed. This library retries automatically
    /// only before the first event was delivered; after that the decision is the caller's.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// How many events had been delivered to the caller before this error.
    pub fn events_delivered(&self) -> u64 {
        self.inner.events_delivered
    }

    /// How many HTTP attempts were made: requests sent, retries included (0 if nothing was
    /// sent, e.g. for want of credentials).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// `originalStatusCode` of a `ModelStreamErrorException` / `ModelErrorException`; `None`
    /// when absent or not a whole number in the `i32` range (the same rule for the HTTP and the
    /// in-stream forms: never wrapped, never saturated).
    pub fn original_status_code(&self) -> Option<i32> {
        self.inner.original_status_code
    }

    /// `originalMessage` of a `ModelStreamErrorException`.
    pub fn original_message(&self) -> Option<&str> {
        self.inner.original_message.as_deref()
    }

    /// `resourceName` of a `ModelErrorException`.
    pub fn resource_name(&self) -> Option<&str> {
        self.inner.resource_name.as_deref()
    }

    /// For [`ErrorKind::Timeout`]: which timer fired.
    pub fn timer(&self) -> Option<Timer> {
        self.inner.timer
    }

    /// For [`ErrorKind::Protocol`] and [`ErrorKind::Truncated`] raised by the frame decoder: the
    /// exact decoder error.
    pub fn decode_error_kind(&self) -> Option<DecodeErrorKind> {
        self.inner.decode
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(c) = &i.code {
            d.field("code", c);
        }
        if let Some(s) = i.http_status {
            d.field("http_status", &s);
        }
        if let Some(r) = &i.request_id {
            d.field("request_id", r);
        }
        d.field("retryable", &i.retryable);
        d.field("events_delivered", &i.events_delivered);
        if let Some(t) = i.timer {
            d.field("timer", &t);
        }
        if let Some(k) = i.decode {
            d.field("decode", &k);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let prefix = match i.kind {
            ErrorKind::AccessDenied
            | ErrorKind::ResourceNotFound
            | ErrorKind::Throttling
            | ErrorKind::ModelTimeout
            | ErrorKind::InternalServer
            | ErrorKind::ServiceUnavailable
            | ErrorKind::ModelStreamError
            | ErrorKind::Validation
            | ErrorKind::ServiceQuotaExceeded
            | ErrorKind::ModelNotReady
            | ErrorKind::ModelError
            | ErrorKind::UnmodeledService
            | ErrorKind::StreamError => {
                if i.phase == Phase::InStream {
                    "Bedrock stream error"
                } else {
                    "Bedrock error"
                }
            }
            ErrorKind::UnexpectedContentType => "unexpected response body",
            ErrorKind::Protocol => "corrupt event stream",
            ErrorKind::Truncated => "stream truncated",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Config => "configuration error",
            ErrorKind::Credentials => "credentials error",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal error",
        };
        write!(f, "{prefix}")?;
        match (&i.code, i.http_status) {
            (Some(c), Some(s)) => write!(f, " {c} (HTTP {s})")?,
            (Some(c), None) => write!(f, " {c}")?,
            (None, Some(s)) => write!(f, " (HTTP {s})")?,
            (None, None) => {}
        }
        write!(f, ": {}", i.message)?;
        if let Some(s) = i.original_status_code {
            write!(f, " (originalStatusCode {s}")?;
            if let Some(m) = &i.original_message {
                write!(f, ", originalMessage: {m}")?;
            }
            write!(f, ")")?;
        }
        if i.events_delivered > 0 {
            write!(
                f,
                "; {} events were delivered before it",
                i.events_delivered
            )?;
        }
        if let Some(r) = &i.request_id {
            write!(f, " [request id {r}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// The service-model facts about one modeled error shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModeledError {
    pub kind: ErrorKind,
    /// The shape name (`ThrottlingException`).
    pub shape: &'static str,
    /// The `ResponseStream` member name, for the six errors that also appear in the stream.
    pub stream_member: Option<&'static str>,
    /// The HTTP status from the shape's `error` trait.
    pub status: u16,
}

/// The 11 modeled errors of InvokeModelWithResponseStream (service-2.json).
pub(crate) const MODELED_ERRORS: &[ModeledError] = &[
    ModeledError {
        kind: ErrorKind::AccessDenied,
        shape: "AccessDeniedException",
        stream_member: None,
        status: 403,
    },
    ModeledError {
        kind: ErrorKind::ResourceNotFound,
        shape: "ResourceNotFoundException",
        stream_member: None,
        status: 404,
    },
    ModeledError {
        kind: ErrorKind::Throttling,
        shape: "ThrottlingException",
        stream_member: Some("throttlingException"),
        status: 429,
    },
    ModeledError {
        kind: ErrorKind::ModelTimeout,
        shape: "ModelTimeoutException",
        stream_member: Some("modelTimeoutException"),
        status: 408,
    },
    ModeledError {
        kind: ErrorKind::InternalServer,
        shape: "InternalServerException",
        stream_member: Some("internalServerException"),
        status: 500,
    },
    ModeledError {
        kind: ErrorKind::ServiceUnavailable,
        shape: "ServiceUnavailableException",
        stream_member: Some("serviceUnavailableException"),
        status: 503,
    },
    ModeledError {
        kind: ErrorKind::ModelStreamError,
        shape: "ModelStreamErrorException",
        stream_member: Some("modelStreamErrorException"),
        status: 424,
    },
    ModeledError {
        kind: ErrorKind::Validation,
        shape: "ValidationException",
        stream_member: Some("validationException"),
        status: 400,
    },
    ModeledError {
        kind: ErrorKind::ServiceQuotaExceeded,
        shape: "ServiceQuotaExceededException",
        stream_member: None,
        status: 400,
    },
    ModeledError {
        kind: ErrorKind::ModelNotReady,
        shape: "ModelNotReadyException",
        stream_member: None,
        status: 429,
    },
    ModeledError {
        kind: ErrorKind::ModelError,
        shape: "ModelErrorException",
        stream_member: None,
        status: 424,
    },
];

/// Look up a modeled error by its shape name (HTTP errors).
pub(crate) fn modeled_by_shape(shape: &str) -> Option<&'static ModeledError> {
    MODELED_ERRORS.iter().find(|m| m.shape == shape)
}

/// Look up a modeled error by its `ResponseStream` member name (exception frames).
pub(crate) fn modeled_by_stream_member(member: &str) -> Option<&'static ModeledError> {
    MODELED_ERRORS
        .iter()
        .find(|m| m.stream_member == Some(member))
}

/// `originalStatusCode` as sent (an `Integer` in the service model), for the HTTP and the
/// event-stream forms alike: a whole number in the `i32` range, else not reported (`None`):
/// never wrapped, never saturated, and never a reason to lose the rest of the error.
pub(crate) fn original_status_code(v: &serde_json::Value) -> Option<i32> {
    v.as_i64().and_then(|n| i32::try_from(n).ok())
}

/// [`Error::is_retryable`] of a service error, the same rule for the HTTP form (an error
/// response before the stream) and the event-stream form (an exception frame): the kinds whose
/// service documentation says a retry of the same request may succeed, plus unmodeled
/// responses with a transient status (429, 500, 502, 503, 504), as the AWS SDKs classify them.
/// `status` is the HTTP status (for an exception frame: the one the service model gives it).
pub(crate) fn service_error_retryable(kind: ErrorKind, status: Option<u16>) -> bool {
    match kind {
        ErrorKind::Throttling
        | ErrorKind::ModelNotReady
        | ErrorKind::InternalServer
        | ErrorKind::ServiceUnavailable
        | ErrorKind::ModelStreamError => true,
        ErrorKind::UnmodeledService => matches!(status, Some(429 | 500 | 502 | 503 | 504)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_small() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn every_modeled_error_has_a_distinct_kind_and_the_model_status() {
        let mut kinds: Vec<_> = MODELED_ERRORS.iter().map(|m| m.kind).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), 11);
        assert_eq!(modeled_by_shape("ModelErrorException").unwrap().status, 424);
        assert_eq!(
            modeled_by_stream_member("throttlingException")
                .unwrap()
                .kind,
            ErrorKind::Throttling
        );
        assert!(modeled_by_stream_member("ThrottlingException").is_none());
    }

    #[test]
    fn display_is_one_actionable_sentence() {
        let e = Error::new(ErrorKind::ModelStreamError, "model failed")
            .with_code("modelStreamErrorException")
            .with_http_status(424)
            .with_original(Some(500), Some("boom".into()))
            .with_events_delivered(3)
            .with_request_id(Some("rid-1".into()));
        let s = e.to_string();
        assert_eq!(
            s,
            "Bedrock stream error modelStreamErrorException (HTTP 424): model failed \
             (originalStatusCode 500, originalMessage: boom); 3 events were delivered before it \
             [request id rid-1]"
        );
        assert_eq!(e.class(), ErrorClass::Stream);
        let t = Error::timeout(Timer::ReadIdle, Some(Duration::from_secs(2)));
        assert_eq!(t.to_string(), "timeout: the read-idle timeout of 2s fired");
        assert!(t.is_retryable());
    }
}
