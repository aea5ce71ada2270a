//! Fault-injection scenarios and their text form (`emulator-fault:<spec>` model ids, the CLI).
//!
//! # Spec syntax
//!
//! A spec is one or more comma-separated *parts*; each part is `head[=value]` followed by
//! `:option[=value]` items. At most one part is a fault; the others are modifiers.
//!
//! | part | meaning |
//! |---|---|
//! | `normal` (or `ok`) | a successful stream (the default) |
//! | `http=STATUS[:SHAPE][:message=TEXT]` | an HTTP error before any stream byte; `SHAPE` defaults from the status (`429` → `ThrottlingException`, …); unmodeled statuses (e.g. `504`) get no `x-amzn-ErrorType` |
//! | `fail=N[:STATUS][:SHAPE]` | the first `N` requests answered with this spec fail (default `503`), the next succeed; counted per emulator |
//! | `exception=NAME[:after=K][:message=TEXT][:status=S][:original-message=TEXT]` | `K` chunks, then a `:message-type exception` frame named `NAME` (e.g. `throttlingException`; `status`/`original-message` fill `modelStreamErrorException`) |
//! | `error=CODE[:after=K][:message=TEXT]` | `K` chunks, then a `:message-type error` frame |
//! | `unknown-event[=NAME][:after=K]` | an event of an unknown `:event-type` after `K` chunks, then the rest of the stream |
//! | `truncate[:after=K][:abrupt]` | `K` chunks, then half of the next frame; then a clean end of the HTTP body, or with `abrupt` a closed socket without the final HTTP chunk |
//! | `bad-crc[:after=K]` | frame `K` (0-based) goes out with a corrupted message CRC; the stream continues |
//! | `reset[:after=K]` | `K` chunks, then a TCP reset |
//! | `stall[:after=K][:for=DURATION]` | `K` chunks, then silence (forever: until the client closes or the emulator stops) |
//! | `stall-headers[:for=DURATION]` | silence before the response headers |
//! | `stall-body[=STATUS]` | an HTTP error (default `429`): the status line, the headers and half of the JSON body, then silence until the client leaves |
//! | `hang-after-last` | the whole stream, but the body is never terminated |
//! | `json-200` / `text-200` / `html-502` | 200 with a JSON body / 200 with `text/plain` / a load balancer's HTML 502 |
//! | `bulk[:chunks=N][:size=BYTES]` | `N` identical pre-encoded chunk frames of `BYTES` bytes each, then a `message_stop` chunk |
//! | `drip=DURATION` (or `delay=`) | delay between frames |
//! | `chunks=N` | number of text chunks in the answer |
//! | `close[:silent]` | close the connection after the response (`Connection: close`; with `silent` the response promised keep-alive) |
//! | `family=NAME` | answer in this model family's format (`claude`, `titan`, `nova`, `llama`, `mistral`, `mistral-chat`, `cohere`, `jamba`, `deepseek`, `gpt-oss`, or the stable names of [`ModelFamily`], such as `anthropic-claude`) |
//!
//! `after` defaults to 0. Durations are `<number>` + `us`, `ms`, `s` or `m` (`50ms`, `2s`).
//! In `message` values, write `%3A` for `:`, `%2C` for `,` and `%25` for `%`.
//!
//! Examples: `http=429:ThrottlingException`, `exception=throttlingException:after=3`,
//! `error=InternalFailure:after=1`, `stall:after=1`, `fail=2:503`, `drip=50ms,chunks=20`,
//! `bulk:chunks=100000:size=16384`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::models::{self, ModelFamily};

/// The prefix of a model id that carries a scenario spec: `emulator-fault:<spec>`.
pub const FAULT_MODEL_PREFIX: &str = "emulator-fault:";

/// The members of the `ResponseStream` union that are exceptions, plus any other name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamException {
    /// `internalServerException` (500).
    InternalServer,
    /// `modelStreamErrorException` (424), with `originalStatusCode` and `originalMessage`.
    ModelStreamError,
    /// `validationException` (400).
    Validation,
    /// `throttlingException` (429).
    Throttling,
    /// `modelTimeoutException` (408).
    ModelTimeout,
    /// `serviceUnavailableException` (503).
    ServiceUnavailable,
    /// Any other `:exception-type` (not in the service model).
    Other(String),
}

impl StreamException {
    /// Every modeled stream exception.
    pub const MODELED: [StreamException; 6] = [
        StreamException::InternalServer,
        StreamException::ModelStreamError,
        StreamException::Validation,
        StreamException::Throttling,
        StreamException::ModelTimeout,
        StreamException::ServiceUnavailable,
    ];

    /// The `:exception-type` header value (the lower-camel union member name).
    pub fn as_str(&self) -> &str {
        match self {
            StreamException::InternalServer => "internalServerException",
            StreamException::ModelStreamError => "modelStreamErrorException",
            StreamException::Validation => "validationException",
            StreamException::Throttling => "throttlingException",
            StreamException::ModelTimeout => "modelTimeoutException",
            StreamException::ServiceUnavailable => "serviceUnavailableException",
            StreamException::Other(s) => s,
        }
    }

    /// The `message` the emulator sends when the scenario gives none.
    pub fn default_message(&self) -> String {
        match self {
            StreamException::InternalServer => {
                "The system encountered an unexpected error during processing. Try your request again.".into()
            }
            StreamException::ModelStreamError => {
                "Received error from the model while streaming the response.".into()
            }
            StreamException::Validation => "Input is too long for requested model.".into(),
            StreamException::Throttling => {
                "Too many tokens, please wait before trying again.".into()
            }
            StreamException::ModelTimeout => {
                "Model has timed out in processing the request. Try your request again.".into()
            }
            StreamException::ServiceUnavailable => {
                "The service is temporarily unable to handle the request. Try again later.".into()
            }
            StreamException::Other(s) => format!("Emulated {s}."),
        }
    }
}

impl FromStr for StreamException {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("an exception name is required".into());
        }
        Ok(Self::MODELED
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
            .unwrap_or_else(|| StreamException::Other(s.to_string())))
    }
}

impl fmt::Display for StreamException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What goes wrong (or not) in a response. See the [module documentation](self) for the text
/// form of each variant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// A successful stream.
    None,
    /// An HTTP error before the stream. `error_type: None` means the one the model assigns to
    /// `status` (none for unmodeled statuses).
    HttpError {
        /// HTTP status.
        status: u16,
        /// Error shape for `x-amzn-ErrorType`.
        error_type: Option<String>,
        /// `message` of the JSON body (a realistic default when `None`).
        message: Option<String>,
    },
    /// The first `failures` requests answered with this scenario get `status` (counted per
    /// emulator, or per queue entry); later ones succeed.
    FailThenSucceed {
        /// Number of failures before success.
        failures: u32,
        /// HTTP status of the failures.
        status: u16,
        /// Error shape (`None`: from the status).
        error_type: Option<String>,
    },
    /// `after` chunks, then an exception frame.
    Exception {
        /// The `:exception-type`.
        exception: StreamException,
        /// Chunks sent before it.
        after: usize,
        /// `message` (a realistic default when `None`).
        message: Option<String>,
        /// `originalStatusCode` (`modelStreamErrorException`; default 500).
        original_status_code: Option<u16>,
        /// `originalMessage` (`modelStreamErrorException`).
        original_message: Option<String>,
    },
    /// `after` chunks, then a `:message-type error` frame.
    ErrorMessage {
        /// `:error-code`.
        code: String,
        /// `:error-message`.
        message: Option<String>,
        /// Chunks sent before it.
        after: usize,
    },
    /// An event with an unknown `:event-type` after `after` chunks; the stream then continues.
    UnknownEvent {
        /// The `:event-type` (default `futureEvent`).
        event_type: Option<String>,
        /// Chunks sent before it.
        after: usize,
    },
    /// `after` chunks, then the first half of the next frame, then the end of the body.
    Truncate {
        /// Complete chunks sent before the partial one.
        after: usize,
        /// Close the socket without terminating the chunked body.
        abrupt: bool,
    },
    /// The frame with index `after` has a corrupted message CRC.
    BadCrc {
        /// Index of the corrupted frame (= good chunks before it).
        after: usize,
    },
    /// `after` chunks, then a TCP reset (RST).
    Reset {
        /// Chunks sent before the reset.
        after: usize,
    },
    /// `after` chunks, then silence for `duration` (forever when `None`: until the client
    /// closes the connection or the emulator shuts down).
    Stall {
        /// Chunks sent before the stall.
        after: usize,
        /// Length of the stall.
        duration: Option<Duration>,
    },
    /// Silence before the response headers (forever when `None`).
    StallHeaders {
        /// Length of the stall.
        duration: Option<Duration>,
    },
    /// An HTTP error whose status line and headers are sent, then half of its body, then
    /// silence until the client closes the connection or the emulator stops.
    StallBody {
        /// HTTP status of the error.
        status: u16,
    },
    /// The complete stream, then the connection is held open without ending the body.
    HangAfterLast,
    /// `200` with `Content-Type: application/json` and a JSON error body.
    Json200,
    /// `200` with `Content-Type: text/plain`.
    Text200,
    /// `502` with an HTML body, as a load balancer sends it.
    Html502,
    /// `frames` identical pre-encoded chunk frames of `frame_size` bytes, then a final
    /// `message_stop` chunk with metrics. Constant memory, no per-frame work.
    Bulk {
        /// Number of identical frames.
        frames: u64,
        /// Size of each encoded frame in bytes (raised to the minimum possible).
        frame_size: usize,
    },
}

/// A fault plus the stream's shape: what one request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// What goes wrong.
    pub fault: Fault,
    /// Number of text chunks in the answer (`None`: the emulator's default).
    pub chunks: Option<usize>,
    /// Delay between frames (`None`: the emulator's default).
    pub delay: Option<Duration>,
    /// Close the connection after the response, announced with `Connection: close`.
    pub close: bool,
    /// Close the connection after the response without announcing it (the response says
    /// `Connection: keep-alive`), like a server dropping a pooled connection.
    pub silent_close: bool,
    /// Answer in this family's format regardless of the model id.
    pub family: Option<ModelFamily>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::normal()
    }
}

impl From<Fault> for Scenario {
    fn from(fault: Fault) -> Self {
        Scenario {
            fault,
            chunks: None,
            delay: None,
            close: false,
            silent_close: false,
            family: None,
        }
    }
}

impl Scenario {
    /// A successful stream.
    pub fn normal() -> Scenario {
        Fault::None.into()
    }
    /// An HTTP error with an explicit error shape, e.g. `(429, "ThrottlingException")`.
    pub fn http_error(status: u16, error_type: &str) -> Scenario {
        Fault::HttpError {
            status,
            error_type: Some(error_type.into()),
            message: None,
        }
        .into()
    }
    /// An HTTP error whose shape comes from the status (none for unmodeled statuses).
    pub fn http_status(status: u16) -> Scenario {
        Fault::HttpError {
            status,
            error_type: None,
            message: None,
        }
        .into()
    }
    /// `failures` HTTP errors with `status`, then success.
    pub fn fail_then_succeed(failures: u32, status: u16) -> Scenario {
        Fault::FailThenSucceed {
            failures,
            status,
            error_type: None,
        }
        .into()
    }
    /// `after` chunks, then the stream exception.
    pub fn exception(exception: StreamException, after: usize) -> Scenario {
        Fault::Exception {
            exception,
            after,
            message: None,
            original_status_code: None,
            original_message: None,
        }
        .into()
    }
    /// `after` chunks, then a `:message-type error` frame.
    pub fn error_message(code: &str, message: &str, after: usize) -> Scenario {
        Fault::ErrorMessage {
            code: code.into(),
            message: Some(message.into()),
            after,
        }
        .into()
    }
    /// An unknown event type after `after` chunks.
    pub fn unknown_event(after: usize) -> Scenario {
        Fault::UnknownEvent {
            event_type: None,
            after,
        }
        .into()
    }
    /// Truncation in the middle of the frame after `after` chunks (clean HTTP end).
    pub fn truncate(after: usize) -> Scenario {
        Fault::Truncate {
            after,
            abrupt: false,
        }
        .into()
    }
    /// A corrupted CRC on frame `after`.
    pub fn bad_crc(after: usize) -> Scenario {
        Fault::BadCrc { after }.into()
    }
    /// A TCP reset after `after` chunks.
    pub fn reset(after: usize) -> Scenario {
        Fault::Reset { after }.into()
    }
    /// Silence after `after` chunks until the client leaves or the emulator stops.
    pub fn stall(after: usize) -> Scenario {
        Fault::Stall {
            after,
            duration: None,
        }
        .into()
    }
    /// Silence before the response headers until the client leaves or the emulator stops.
    pub fn stall_headers() -> Scenario {
        Fault::StallHeaders { duration: None }.into()
    }
    /// The full stream, then the body is held open.
    pub fn hang_after_last() -> Scenario {
        Fault::HangAfterLast.into()
    }
    /// A successful stream with `delay` between frames.
    pub fn drip(delay: Duration) -> Scenario {
        Scenario::normal().with_delay(delay)
    }
    /// `200` with a JSON body.
    pub fn json_200() -> Scenario {
        Fault::Json200.into()
    }
    /// `200` with `text/plain`.
    pub fn text_200() -> Scenario {
        Fault::Text200.into()
    }
    /// A load balancer's HTML `502`.
    pub fn html_502() -> Scenario {
        Fault::Html502.into()
    }
    /// `frames` pre-encoded frames of `frame_size` bytes.
    pub fn bulk(frames: u64, frame_size: usize) -> Scenario {
        Fault::Bulk { frames, frame_size }.into()
    }
    /// Sets the number of text chunks.
    pub fn with_chunks(mut self, chunks: usize) -> Scenario {
        self.chunks = Some(chunks);
        self
    }
    /// Sets the delay between frames.
    pub fn with_delay(mut self, delay: Duration) -> Scenario {
        self.delay = Some(delay);
        self
    }
    /// Closes the connection after the response (`Connection: close`).
    pub fn closing_connection(mut self) -> Scenario {
        self.close = true;
        self
    }
    /// Closes the connection after the response without saying so beforehand.
    pub fn closing_connection_silently(mut self) -> Scenario {
        self.silent_close = true;
        self
    }
    /// Forces a model family's chunk format.
    ///
    /// [`ModelFamily::Unknown`] forces none: the model id, else the emulator's default family,
    /// decides.
    pub fn with_family(mut self, family: ModelFamily) -> Scenario {
        self.family = Some(family).filter(|f| *f != ModelFamily::Unknown);
        self
    }
    /// Sets the message of an `HttpError`, `Exception` or `ErrorMessage` fault (no effect on
    /// others).
    pub fn with_message(mut self, text: &str) -> Scenario {
        match &mut self.fault {
            Fault::HttpError { message, .. }
            | Fault::Exception { message, .. }
            | Fault::ErrorMessage { message, .. } => *message = Some(text.into()),
            _ => {}
        }
        self
    }
    /// The scenario a model id asks for, if it starts with [`FAULT_MODEL_PREFIX`].
    pub fn from_model_id(model_id: &str) -> Option<Result<Scenario, ParseScenarioError>> {
        model_id.strip_prefix(FAULT_MODEL_PREFIX).map(str::parse)
    }
    /// The model id that selects this scenario (`emulator-fault:<spec>`).
    pub fn to_model_id(&self) -> String {
        format!("{FAULT_MODEL_PREFIX}{self}")
    }
}

/// A spec that [`Scenario::from_str`] cannot parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScenarioError(String);

impl fmt::Display for ParseScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid emulator scenario: {}", self.0)
    }
}

impl std::error::Error for ParseScenarioError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ParseScenarioError> {
    Err(ParseScenarioError(msg.into()))
}

/// Parses `50ms`, `2s`, `1.5s`, `100us`, `1m`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, ParseScenarioError> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        _ => return err(format!("duration {s:?} needs a unit: us, ms, s or m")),
    };
    match num.parse::<f64>() {
        Ok(n) if num.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
            Duration::try_from_secs_f64(n * scale)
                .or_else(|_| err(format!("duration {s:?} is out of range")))
        }
        _ => err(format!("bad duration {s:?}")),
    }
}

pub(crate) fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_micros() % 1000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}us", d.as_micros())
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn encode(s: &str) -> String {
    const SPECIAL: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b':')
        .add(b',')
        .add(b'%')
        .add(b'=');
    percent_encoding::utf8_percent_encode(s, SPECIAL).to_string()
}

fn num<T: FromStr>(what: &str, v: Option<&str>) -> Result<T, ParseScenarioError> {
    match v.map(str::parse::<T>) {
        Some(Ok(n)) => Ok(n),
        _ => err(format!("{what} needs a number, got {v:?}")),
    }
}

fn status(v: &str) -> Result<u16, ParseScenarioError> {
    match v.parse::<u16>() {
        Ok(s) if (100..=599).contains(&s) => Ok(s),
        _ => err(format!("bad HTTP status {v:?}")),
    }
}

struct Part<'a> {
    head: &'a str,
    value: Option<&'a str>,
    /// Options in order: (`key`, `value`); a bare positional item has key = the item, no value.
    options: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> Part<'a> {
    fn parse(s: &'a str) -> Part<'a> {
        let mut items = s.split(':');
        let first = items.next().unwrap_or_default();
        let (head, value) = match first.split_once('=') {
            Some((h, v)) => (h, Some(v)),
            None => (first, None),
        };
        let options = items
            .map(|i| match i.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (i, None),
            })
            .collect();
        Part {
            head,
            value,
            options,
        }
    }

    /// Checks that only `allowed` keyed options appear and returns the positional ones.
    fn check(
        &self,
        allowed: &[&str],
        positional: usize,
    ) -> Result<Vec<&'a str>, ParseScenarioError> {
        let mut pos = Vec::new();
        for (k, v) in &self.options {
            match v {
                Some(_) if allowed.contains(k) => {}
                None if allowed.contains(k) && *k == "abrupt" => {}
                None if pos.len() < positional => pos.push(*k),
                _ => {
                    return err(format!(
                        "unexpected option {k:?} in {:?} (allowed: {allowed:?})",
                        self.head
                    ))
                }
            }
        }
        Ok(pos)
    }

    fn opt(&self, key: &str) -> Option<&'a str> {
        self.options
            .iter()
            .find(|(k, v)| *k == key && v.is_some())
            .and_then(|(_, v)| *v)
    }

    fn after(&self) -> Result<usize, ParseScenarioError> {
        self.opt("after").map_or(Ok(0), |v| num("after", Some(v)))
    }

    fn no_value(&self) -> Result<(), ParseScenarioError> {
        match self.value {
            None => Ok(()),
            Some(v) => err(format!("{:?} takes no value, got {v:?}", self.head)),
        }
    }
}

impl FromStr for Scenario {
    type Err = ParseScenarioError;

    fn from_str(spec: &str) -> Result<Scenario, ParseScenarioError> {
        let mut scenario = Scenario::normal();
        let mut have_fault = false;
        if spec.trim().is_empty() {
            return err("empty spec");
        }
        for raw in spec.split(',') {
            let p = Part::parse(raw.trim());
            let fault = match p.head {
                "drip" | "delay" => {
                    p.check(&[], 0)?;
                    scenario.delay = Some(parse_duration(p.value.unwrap_or_default())?);
                    None
                }
                "chunks" => {
                    p.check(&[], 0)?;
                    scenario.chunks = Some(num("chunks", p.value)?);
                    None
                }
                "close" => {
                    p.no_value()?;
                    match p.check(&[], 1)?.as_slice() {
                        [] => scenario.close = true,
                        ["silent"] => scenario.silent_close = true,
                        other => return err(format!("close takes only `silent`, got {other:?}")),
                    }
                    None
                }
                "family" => {
                    p.check(&[], 0)?;
                    let f = p.value.unwrap_or_default();
                    scenario.family = Some(models::parse_family(f).map_err(ParseScenarioError)?);
                    None
                }
                "normal" | "ok" => {
                    p.no_value()?;
                    p.check(&[], 0)?;
                    Some(Fault::None)
                }
                "http" => {
                    let pos = p.check(&["message"], 1)?;
                    Some(Fault::HttpError {
                        status: status(p.value.unwrap_or_default())?,
                        error_type: pos.first().map(|s| s.to_string()),
                        message: p.opt("message").map(decode),
                    })
                }
                "fail" => {
                    let pos = p.check(&[], 2)?;
                    Some(Fault::FailThenSucceed {
                        failures: num("fail", p.value)?,
                        status: pos.first().map_or(Ok(503), |s| status(s))?,
                        error_type: pos.get(1).map(|s| s.to_string()),
                    })
                }
                "exception" => {
                    p.check(&["after", "message", "status", "original-message"], 0)?;
                    Some(Fault::Exception {
                        exception: p
                            .value
                            .unwrap_or_default()
                            .parse()
                            .map_err(ParseScenarioError)?,
                        after: p.after()?,
                        message: p.opt("message").map(decode),
                        original_status_code: p
                            .opt("status")
                            .map(|s| num::<u16>("status", Some(s)))
                            .transpose()?,
                        original_message: p.opt("original-message").map(decode),
                    })
                }
                "error" => {
                    p.check(&["after", "message"], 0)?;
                    let code = p.value.unwrap_or_default();
                    if code.is_empty() {
                        return err("error= needs an error code");
                    }
                    Some(Fault::ErrorMessage {
                        code: decode(code),
                        message: p.opt("message").map(decode),
                        after: p.after()?,
                    })
                }
                "unknown-event" => {
                    p.check(&["after"], 0)?;
                    Some(Fault::UnknownEvent {
                        event_type: p.value.filter(|v| !v.is_empty()).map(decode),
                        after: p.after()?,
                    })
                }
                "truncate" => {
                    p.no_value()?;
                    p.check(&["after", "abrupt"], 0)?;
                    Some(Fault::Truncate {
                        after: p.after()?,
                        abrupt: p.options.iter().any(|(k, _)| *k == "abrupt"),
                    })
                }
                "bad-crc" => {
                    p.no_value()?;
                    p.check(&["after"], 0)?;
                    Some(Fault::BadCrc { after: p.after()? })
                }
                "reset" => {
                    p.no_value()?;
                    p.check(&["after"], 0)?;
                    Some(Fault::Reset { after: p.after()? })
                }
                "stall" => {
                    p.no_value()?;
                    p.check(&["after", "for"], 0)?;
                    Some(Fault::Stall {
                        after: p.after()?,
                        duration: p.opt("for").map(parse_duration).transpose()?,
                    })
                }
                "stall-headers" => {
                    p.no_value()?;
                    p.check(&["for"], 0)?;
                    Some(Fault::StallHeaders {
                        duration: p.opt("for").map(parse_duration).transpose()?,
                    })
                }
                "stall-body" => {
                    p.check(&[], 0)?;
                    Some(Fault::StallBody {
                        status: p.value.map_or(Ok(429), status)?,
                    })
                }
                "hang-after-last" => {
                    p.no_value()?;
                    p.check(&[], 0)?;
                    Some(Fault::HangAfterLast)
                }
                "json-200" | "text-200" | "html-502" => {
                    p.no_value()?;
                    p.check(&[], 0)?;
                    Some(match p.head {
                        "json-200" => Fault::Json200,
                        "text-200" => Fault::Text200,
                        _ => Fault::Html502,
                    })
                }
                "bulk" => {
                    p.check(&["chunks", "size"], 0)?;
                    let frames = match (p.value, p.opt("chunks")) {
                        (Some(v), None) | (None, Some(v)) => num("bulk chunks", Some(v))?,
                        (None, None) => 1000,
                        (Some(_), Some(_)) => return err("bulk: give the count once"),
                    };
                    Some(Fault::Bulk {
                        frames,
                        frame_size: p.opt("size").map_or(Ok(1024), |v| num("size", Some(v)))?,
                    })
                }
                other => return err(format!("unknown part {other:?}")),
            };
            if let Some(f) = fault {
                if have_fault {
                    return err("a spec can hold only one fault");
                }
                have_fault = true;
                scenario.fault = f;
            }
        }
        Ok(scenario)
    }
}

impl fmt::Display for Scenario {
    /// The canonical spec text; [`Scenario::from_str`] parses it back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let after = |a: &usize| {
            if *a == 0 {
                String::new()
            } else {
                format!(":after={a}")
            }
        };
        let mut parts: Vec<String> = Vec::new();
        match &self.fault {
            Fault::None => parts.push("normal".into()),
            Fault::HttpError {
                status,
                error_type,
                message,
            } => {
                let mut s = format!("http={status}");
                if let Some(t) = error_type {
                    s += &format!(":{}", encode(t));
                }
                if let Some(m) = message {
                    s += &format!(":message={}", encode(m));
                }
                parts.push(s);
            }
            Fault::FailThenSucceed {
                failures,
                status,
                error_type,
            } => {
                let mut s = format!("fail={failures}:{status}");
                if let Some(t) = error_type {
                    s += &format!(":{}", encode(t));
                }
                parts.push(s);
            }
            Fault::Exception {
                exception,
                after: a,
                message,
                original_status_code,
                original_message,
            } => {
                let mut s = format!("exception={}{}", encode(exception.as_str()), after(a));
                if let Some(m) = message {
                    s += &format!(":message={}", encode(m));
                }
                if let Some(c) = original_status_code {
                    s += &format!(":status={c}");
                }
                if let Some(m) = original_message {
                    s += &format!(":original-message={}", encode(m));
                }
                parts.push(s);
            }
            Fault::ErrorMessage {
                code,
                message,
                after: a,
            } => {
                let mut s = format!("error={}{}", encode(code), after(a));
                if let Some(m) = message {
                    s += &format!(":message={}", encode(m));
                }
                parts.push(s);
            }
            Fault::UnknownEvent {
                event_type,
                after: a,
            } => {
                let mut s = "unknown-event".to_string();
                if let Some(t) = event_type {
                    s += &format!("={}", encode(t));
                }
                parts.push(s + &after(a));
            }
            Fault::Truncate { after: a, abrupt } => parts.push(format!(
                "truncate{}{}",
                after(a),
                if *abrupt { ":abrupt" } else { "" }
            )),
            Fault::BadCrc { after: a } => parts.push(format!("bad-crc{}", after(a))),
            Fault::Reset { after: a } => parts.push(format!("reset{}", after(a))),
            Fault::Stall { after: a, duration } => parts.push(format!(
                "stall{}{}",
                after(a),
                duration.map_or(String::new(), |d| format!(":for={}", format_duration(d)))
            )),
            Fault::StallHeaders { duration } => parts.push(format!(
                "stall-headers{}",
                duration.map_or(String::new(), |d| format!(":for={}", format_duration(d)))
            )),
            Fault::StallBody { status } => parts.push(format!("stall-body={status}")),
            Fault::HangAfterLast => parts.push("hang-after-last".into()),
            Fault::Json200 => parts.push("json-200".into()),
            Fault::Text200 => parts.push("text-200".into()),
            Fault::Html502 => parts.push("html-502".into()),
            Fault::Bulk { frames, frame_size } => {
                parts.push(format!("bulk:chunks={frames}:size={frame_size}"))
            }
        }
        if let Some(c) = self.chunks {
            parts.push(format!("chunks={c}"));
        }
        if let Some(d) = self.delay {
            parts.push(format!("drip={}", format_duration(d)));
        }
        if self.close {
            parts.push("close".into());
        }
        if self.silent_close {
            parts.push("close:silent".into());
        }
        if let Some(fam) = self.family {
            parts.push(format!("family={}", models::spec_name(fam)));
        }
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Scenario {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(
            p("http=429:ThrottlingException"),
            Scenario::http_error(429, "ThrottlingException")
        );
        assert_eq!(p("http=504"), Scenario::http_status(504));
        assert_eq!(
            p("exception=throttlingException:after=3"),
            Scenario::exception(StreamException::Throttling, 3)
        );
        assert_eq!(
            p("exception=ModelStreamErrorException:status=503:original-message=a%3Ab%2Cc"),
            Fault::Exception {
                exception: StreamException::ModelStreamError,
                after: 0,
                message: None,
                original_status_code: Some(503),
                original_message: Some("a:b,c".into()),
            }
            .into()
        );
        assert_eq!(
            p("exception=brandNewException"),
            Scenario::exception(StreamException::Other("brandNewException".into()), 0)
        );
        assert_eq!(
            p("error=InternalFailure:after=1"),
            Fault::ErrorMessage {
                code: "InternalFailure".into(),
                message: None,
                after: 1
            }
            .into()
        );
        assert_eq!(p("unknown-event:after=2"), Scenario::unknown_event(2));
        assert_eq!(p("truncate:after=2"), Scenario::truncate(2));
        assert_eq!(
            p("truncate:abrupt:after=2"),
            Fault::Truncate {
                after: 2,
                abrupt: true
            }
            .into()
        );
        assert_eq!(p("bad-crc:after=1"), Scenario::bad_crc(1));
        assert_eq!(p("reset:after=2"), Scenario::reset(2));
        assert_eq!(p("stall:after=1"), Scenario::stall(1));
        assert_eq!(
            p("stall:after=1:for=1.5s"),
            Fault::Stall {
                after: 1,
                duration: Some(Duration::from_millis(1500))
            }
            .into()
        );
        assert_eq!(p("stall-headers"), Scenario::stall_headers());
        assert_eq!(p("hang-after-last"), Scenario::hang_after_last());
        assert_eq!(p("drip=50ms"), Scenario::drip(Duration::from_millis(50)));
        assert_eq!(p("fail=2:503"), Scenario::fail_then_succeed(2, 503));
        assert_eq!(p("fail=1"), Scenario::fail_then_succeed(1, 503));
        assert_eq!(p("json-200"), Scenario::json_200());
        assert_eq!(p("text-200"), Scenario::text_200());
        assert_eq!(p("html-502"), Scenario::html_502());
        assert_eq!(p("bulk:chunks=5:size=4096"), Scenario::bulk(5, 4096));
        assert_eq!(p("bulk=7"), Scenario::bulk(7, 1024));
        assert_eq!(
            p("exception=throttlingException:after=3, drip=5ms ,chunks=9,close,family=nova"),
            Scenario::exception(StreamException::Throttling, 3)
                .with_delay(Duration::from_millis(5))
                .with_chunks(9)
                .closing_connection()
                .with_family(ModelFamily::AmazonNova)
        );
        assert_eq!(
            Scenario::from_model_id("emulator-fault:reset:after=2"),
            Some(Ok(Scenario::reset(2)))
        );
        assert_eq!(Scenario::from_model_id("anthropic.claude-v2"), None);
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            "nope",
            "http",
            "http=99",
            "http=600",
            "http=abc",
            "exception=",
            "exception=x:after=-1",
            "exception=x:bogus=1",
            "error=",
            "stall:for=5",
            "stall:for=xs",
            "drip=fast",
            "drip=-5ms",
            "chunks=many",
            "reset=3",
            "normal,reset",
            "http=500,http=503",
            "family=gpt-5",
            "bulk=1:chunks=2",
            "fail=x",
            "close=1",
            "close:loud",
            "http=500:A:B",
        ] {
            assert!(bad.parse::<Scenario>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn display_round_trips() {
        let all = [
            Scenario::normal(),
            Scenario::http_error(400, "ValidationException").with_message("a:b, 50% ünï"),
            Scenario::http_status(418),
            Scenario::fail_then_succeed(3, 429),
            Fault::FailThenSucceed {
                failures: 1,
                status: 500,
                error_type: Some("X".into()),
            }
            .into(),
            Scenario::exception(StreamException::ModelStreamError, 4).with_message("m=1"),
            Fault::Exception {
                exception: StreamException::Other("zException".into()),
                after: 1,
                message: None,
                original_status_code: Some(502),
                original_message: Some("upstream".into()),
            }
            .into(),
            Scenario::error_message("InternalFailure", "An internal error occurred.", 2),
            Fault::UnknownEvent {
                event_type: Some("newThing".into()),
                after: 0,
            }
            .into(),
            Fault::Truncate {
                after: 3,
                abrupt: true,
            }
            .into(),
            Scenario::bad_crc(0),
            Scenario::reset(5),
            Fault::Stall {
                after: 2,
                duration: Some(Duration::from_micros(1500)),
            }
            .into(),
            Fault::StallHeaders {
                duration: Some(Duration::from_secs(2)),
            }
            .into(),
            Fault::StallBody { status: 503 }.into(),
            Scenario::hang_after_last(),
            Scenario::json_200(),
            Scenario::text_200(),
            Scenario::html_502(),
            Scenario::bulk(1 << 20, 16384),
            Scenario::drip(Duration::from_millis(250))
                .with_chunks(3)
                .closing_connection()
                .with_family(ModelFamily::OpenAiGptOss),
            Scenario::normal().closing_connection_silently(),
        ];
        for s in all {
            let text = s.to_string();
            assert_eq!(text.parse::<Scenario>().as_ref(), Ok(&s), "{text}");
            assert_eq!(
                Scenario::from_model_id(&s.to_model_id()),
                Some(Ok(s.clone()))
            );
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert!(parse_duration(".5s").is_err());
        assert!(parse_duration("1e3ms").is_err());
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::ZERO), "0ms");
    }
}
