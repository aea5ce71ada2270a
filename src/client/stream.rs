//! [`EventStream`]: the events of one response, decoded as they arrive.

use std::fmt;
use std::io;
use std::time::Instant;

use super::service_error::is_throttle;
use super::{Client, ResponseBodyObserver};
use crate::error::{Error, ErrorKind, Phase, Result, Timer};
use crate::event::{self, Chunk, Decoded, Event, UnknownEvent};
use crate::eventstream::{DecodeErrorKind, Decoder};
use crate::operation::{Expect, Operation};
use crate::request::{PerformanceConfigLatency, ServiceTier};
use crate::transport::{CancelHandle, CurrentCancel};

/// Response members of `InvokeModelWithResponseStreamResponse` and protocol headers.
#[derive(Debug, Clone, Default)]
pub(super) struct ResponseMeta {
    pub(super) status: u16,
    pub(super) request_id: Option<String>,
    /// `Content-Type` of the HTTP response.
    pub(super) http_content_type: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) performance_config_latency: Option<String>,
    pub(super) service_tier: Option<String>,
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
    pub(super) client: Client,
    pub(super) op: Operation,
    pub(super) reader: Option<ureq::BodyReader<'static>>,
    pub(super) decoder: Decoder,
    pub(super) scratch: Vec<u8>,
    pub(super) cancel: CancelHandle,
    pub(super) meta: ResponseMeta,
    pub(super) events_delivered: u64,
    /// Tries so far (bounded by `max_attempts`), those that failed before sending included.
    pub(super) attempts: u32,
    /// Tries that failed before anything was sent (not HTTP attempts).
    pub(super) unsent: u32,
    /// Retry-quota tokens the last retry of this call took.
    pub(super) retry_cost: Option<u32>,
    pub(super) deadline: Option<Instant>,
    pub(super) done: bool,
    pub(super) last_unknown: Option<UnknownEvent>,
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
    pub(super) fn check_live(&self) -> Result<()> {
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
