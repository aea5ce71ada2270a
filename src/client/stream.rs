//! [`EventStream`]: the events of one response, decoded as they arrive, and the stream's state
//! machine (streaming, ended, failed, cancelled) that ConverseStream shares.

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::time::Instant;

use super::service_error::is_throttle;
use super::{Client, InvokeSummary, ResponseBodyObserver};
use crate::converse::ConverseStreamEvent;
use crate::error::{Error, Phase, Result, Timer};
use crate::event::{decode_error, Current, Event, EventRef};
use crate::eventstream::Decoder;
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

/// Where an [`EventStream`] (or a [`ConverseEventStream`](crate::converse::ConverseEventStream))
/// is in its life. Once it is not `Streaming` it never changes again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamState {
    /// Open: the next call may deliver an event.
    Streaming,
    /// The service ended the stream cleanly: every event was delivered.
    Ended,
    /// The stream failed (an exception in it, a truncated or corrupt stream, a timeout, a
    /// dropped connection, ...). Never read back as an end.
    Failed,
    /// The stream was cancelled through its [`CancelHandle`].
    Cancelled,
}

/// The events of one response, read incrementally off the socket as they arrive.
///
/// Two ways to read it, on the same stream core:
/// * [`EventStream::next_event`]: each event borrowed ([`EventRef`]), with its text, stop
///   reason, usage and metrics on demand, no allocation per event;
/// * iterating: owned `Result<Event>` items. After an error the iterator yields nothing more
///   (it is fused), and [`EventStream::state`] says `Failed` or `Cancelled`, never `Ended`.
///
/// Each event is delivered as soon as its last byte arrives. Dropping the stream before its
/// end closes the connection (no paying for tokens nobody reads).
pub struct EventStream {
    pub(super) client: Client,
    pub(super) op: Operation,
    pub(super) reader: Option<ureq::BodyReader<'static>>,
    pub(super) decoder: Decoder,
    /// The event delivered last (boxed: the C API lends it by address).
    pub(super) current: Box<Current>,
    /// The whole body of a whole-body operation.
    pub(super) body: Vec<u8>,
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
    pub(super) state: StreamState,
    /// What every call after a failure or cancel returns.
    pub(super) failure: Option<Error>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("request_id", &self.meta.request_id)
            .field("events_delivered", &self.events_delivered)
            .field("attempts", &self.attempts())
            .field("state", &self.state())
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

    /// Where the stream is: streaming, ended, failed or cancelled. A cancel from another
    /// thread shows here at once, and the next call returns it.
    pub fn state(&self) -> StreamState {
        match self.state {
            StreamState::Streaming if self.cancel.is_cancelled() => StreamState::Cancelled,
            s => s,
        }
    }

    /// The next event, borrowed: no allocation per chunk, and text, stop reason, usage and
    /// metrics read from the chunk only when asked ([`EventRef`]). The event is valid until the
    /// next call.
    ///
    /// `Ok(None)` at the clean end of the stream, again on every later call. After a failure
    /// or a cancel, every later call returns the error again (same kind; a short message
    /// pointing back at the first): a failed stream never reads as ended.
    pub fn next_event(&mut self) -> Result<Option<EventRef<'_>>> {
        if !self.advance()? {
            return Ok(None);
        }
        self.current_event().map(Some)
    }

    /// The InvokeModelWithResponseStream event just read (by [`EventStream::advance`]).
    fn current_event(&mut self) -> Result<EventRef<'_>> {
        if self.current.view().is_none() {
            return Err(self.fail(not_chunks()));
        }
        Ok(self.current.view().expect("checked above"))
    }

    /// The push loop of every callback call: read each event, let `deliver` hand it to the
    /// caller's callback, stop when it says `Break` (the stream is then dropped: its
    /// connection closed, not pooled). A failure or cancel is the call's error, carrying its
    /// counters (events delivered, attempts, request id).
    pub(crate) fn push(
        mut self,
        mut deliver: impl FnMut(&mut EventStream) -> Result<ControlFlow<()>>,
    ) -> Result<InvokeSummary> {
        let mut stopped_early = false;
        while self.advance()? {
            if deliver(&mut self)?.is_break() {
                stopped_early = true;
                break;
            }
        }
        Ok(InvokeSummary {
            events: self.events_delivered,
            stopped_early,
            request_id: self.meta.request_id.clone(),
            attempts: self.attempts(),
        })
    }

    /// [`EventStream::push`] for InvokeModelWithResponseStream events.
    pub(crate) fn push_events<F>(self, mut f: F) -> Result<InvokeSummary>
    where
        F: FnMut(EventRef<'_>) -> ControlFlow<()>,
    {
        self.push(|s| s.current_event().map(&mut f))
    }

    /// Ends the text read through [`EventRef::text`]: U+FFFD when the last chunk left an
    /// incomplete character (call it once the stream ended), else `None`.
    pub fn finish_text(&mut self) -> Option<String> {
        self.current.finish_text()
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
        std::mem::take(&mut self.body)
    }

    /// `Content-Type` of the HTTP response.
    pub(crate) fn http_content_type(&self) -> Option<&str> {
        self.meta.http_content_type.as_deref()
    }

    /// The next event into [`EventStream::current`] (`Ok(true)`), or the clean end
    /// (`Ok(false)`, again on every later call). Every call after a failure or cancel returns
    /// the error again. Retries a transient failure while no event was delivered.
    pub(crate) fn advance(&mut self) -> Result<bool> {
        match self.state {
            StreamState::Streaming => {}
            StreamState::Ended => return Ok(false),
            StreamState::Failed | StreamState::Cancelled => return Err(self.failed_again()),
        }
        loop {
            // Cancel and deadline are checked before every event, not only when the buffer
            // runs dry: several events may arrive in one read.
            let next = match self.read_event() {
                Ok(true) => self.check_live().map(|()| true),
                other => other,
            };
            match next {
                Ok(true) => {
                    self.events_delivered += 1;
                    return Ok(true);
                }
                Ok(false) => {
                    self.end();
                    return Ok(false);
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

    /// The clean end: the connection goes back to the pool, the cancel handle lets go of it.
    pub(super) fn end(&mut self) {
        self.state = StreamState::Ended;
        self.current.clear();
        self.reader = None;
        self.cancel.finish();
    }

    /// The error every call after a failure or cancel returns.
    fn failed_again(&self) -> Error {
        match &self.failure {
            Some(e) => e.copy_repeated(),
            None => Error::internal("the stream failed without an error"),
        }
    }

    /// Whether the stream failed or was cancelled (the error was returned already).
    pub(crate) fn has_failed(&self) -> bool {
        matches!(self.state, StreamState::Failed | StreamState::Cancelled)
    }

    /// The ConverseStream event just read (by [`EventStream::advance`]).
    pub(crate) fn take_converse(&mut self) -> Result<ConverseStreamEvent> {
        match self.current.take_converse() {
            Some(e) => Ok(e),
            None => Err(self.fail(Error::internal(
                "an InvokeModelWithResponseStream event in a ConverseStream response",
            ))),
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
    /// `Ok(true)`: an event is in [`EventStream::current`]; `Ok(false)`: the clean end.
    fn read_event(&mut self) -> Result<bool> {
        loop {
            let delivered = self.events_delivered;
            let decoded = match self.decoder.next_message() {
                Ok(Some(msg)) if self.op.expect == Expect::ConverseEvents => {
                    self.current.decode_converse(&msg, delivered)?;
                    true
                }
                Ok(Some(msg)) => {
                    self.current.decode_invoke(&msg, delivered)?;
                    true
                }
                Ok(None) => false,
                Err(e) => return Err(decode_error(e)),
            };
            if decoded {
                return Ok(true);
            }
            self.check_live()?;
            let attempt = self.attempts();
            let Some(reader) = self.reader.as_mut() else {
                return Ok(false);
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
                        Ok(()) => Ok(false),
                        Err(e) => Err(decode_error(e).with_retryable(true)),
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

/// A ConverseStream stream read as chunks: a bug of this library, never the caller's.
fn not_chunks() -> Error {
    Error::internal("a ConverseStream response was read as InvokeModelWithResponseStream events")
}

impl Iterator for EventStream {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        if self.has_failed() {
            // The error was returned once: the iterator is fused.
            return None;
        }
        match self.advance() {
            Ok(false) => None,
            Ok(true) => match self.current.take_event() {
                Some(event) => Some(Ok(event)),
                None => Some(Err(self.fail(not_chunks()))),
            },
            Err(e) => Some(Err(e)),
        }
    }
}
