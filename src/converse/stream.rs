//! ConverseStream and Converse on the client core: the same signing, credentials, endpoints,
//! retries (before the first event only), timers, cancellation and error type as
//! InvokeModelWithResponseStream.

use std::fmt;
use std::ops::ControlFlow;

use super::accumulator::{ConverseStreamResult, MessageAccumulator};
use super::events::ConverseStreamEvent;
use super::request::{ConverseJson, ConverseRequest};
use super::response::ConverseResponse;
use crate::client::{Client, EventStream, InvokeSummary, StreamState};
use crate::error::{Error, ErrorKind, Phase, Result};
use crate::operation::Operation;
use crate::transport::CancelHandle;

impl Client {
    /// ConverseStream: send the request and return once the response headers are in; read
    /// the events by iterating over the returned [`ConverseEventStream`].
    pub fn converse_stream(&self, request: &ConverseRequest) -> Result<ConverseEventStream> {
        self.converse_stream_json(&request.to_json(true)?, CancelHandle::new())
    }

    /// ConverseStream with a body given as checked JSON text, cancellable through `cancel`
    /// from any thread.
    pub fn converse_stream_json(
        &self,
        request: &ConverseJson,
        cancel: CancelHandle,
    ) -> Result<ConverseEventStream> {
        let inner = self.start(Operation::converse(request, true), cancel)?;
        Ok(ConverseEventStream { inner })
    }

    /// ConverseStream with a callback, on this thread: `f` sees each event as it arrives and
    /// returns `ControlFlow::Break(())` to stop (the connection is then closed, not pooled).
    /// The ConverseStream twin of [`Client::invoke_with`].
    pub fn converse_stream_with<F>(
        &self,
        request: &ConverseRequest,
        mut f: F,
    ) -> Result<InvokeSummary>
    where
        F: FnMut(&ConverseStreamEvent) -> ControlFlow<()>,
    {
        self.converse_stream_with_events(&request.to_json(true)?, CancelHandle::new(), |e| f(&e))
    }

    /// As [`Client::converse_stream_with`], with the body given as checked JSON text, each
    /// event handed over by value and cancellable through `cancel` from any thread: the same
    /// rules as [`Client::invoke_with_events`] (an error mid-stream carries the events
    /// delivered, attempts and request id). The C API's `bedrock_stream_client_converse_stream`
    /// is this call.
    pub fn converse_stream_with_events<F>(
        &self,
        request: &ConverseJson,
        cancel: CancelHandle,
        mut f: F,
    ) -> Result<InvokeSummary>
    where
        F: FnMut(ConverseStreamEvent) -> ControlFlow<()>,
    {
        self.converse_stream_json(request, cancel)?
            .inner
            .push(|s| s.take_converse().map(&mut f))
    }

    /// Converse: the whole answer at once (retried like any call that has delivered nothing).
    pub fn converse(&self, request: &ConverseRequest) -> Result<ConverseResponse> {
        self.converse_json(&request.to_json(false)?, CancelHandle::new())
    }

    /// Converse with a body given as checked JSON text, cancellable through `cancel`.
    pub fn converse_json(
        &self,
        request: &ConverseJson,
        cancel: CancelHandle,
    ) -> Result<ConverseResponse> {
        let mut call = self.start(Operation::converse(request, false), cancel)?;
        let body = call.take_body();
        let request_id = call.request_id().map(str::to_owned);
        let mut response: ConverseResponse = serde_json::from_slice(&body).map_err(|e| {
            let is_json = call
                .http_content_type()
                .is_some_and(|c| c.trim_start().starts_with("application/json"));
            let (kind, what) = if is_json {
                (ErrorKind::Protocol, "is not a ConverseResponse")
            } else {
                (ErrorKind::UnexpectedContentType, "is not JSON")
            };
            Error::new(
                kind,
                format!(
                    "the Converse response body (Content-Type {}) {what}: {e}",
                    call.http_content_type().unwrap_or("none")
                ),
            )
            .with_phase(Phase::HttpResponse)
            .with_http_status(call.http_status())
            .with_request_id(request_id.clone())
            .with_attempts(call.attempts())
        })?;
        response.request_id = request_id;
        Ok(response)
    }
}

/// The events of one ConverseStream response, read off the socket as they arrive.
///
/// Iterate to get `Result<ConverseStreamEvent>` items. It runs on the same stream core as
/// [`EventStream`] (retries, timers, cancel, the [`StreamState`] machine): after an error the
/// iterator yields nothing more, and [`ConverseEventStream::state`] says `Failed` or
/// `Cancelled`, never `Ended`. [`ConverseEventStream::accumulate`] reads the rest and folds it into the
/// finished message. Dropping the stream closes the connection.
pub struct ConverseEventStream {
    inner: EventStream,
}

impl fmt::Debug for ConverseEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConverseEventStream")
            .field(&self.inner)
            .finish()
    }
}

impl ConverseEventStream {
    /// `x-amzn-RequestId` of the response.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id()
    }

    /// HTTP attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts()
    }

    /// Events delivered so far.
    pub fn events_delivered(&self) -> u64 {
        self.inner.events_delivered()
    }

    /// A handle that cancels this stream from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel_handle()
    }

    /// Where the stream is: streaming, ended, failed or cancelled.
    pub fn state(&self) -> StreamState {
        self.inner.state()
    }

    /// The model id of the request.
    pub fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    /// The next event; `Ok(None)` at the clean end, again on every later call. After a failure
    /// or a cancel every later call returns the error again (same kind, counters and request
    /// id; a short message pointing back at the first), as [`EventStream::next_event`] does:
    /// a failed stream never reads as ended. (The iterator instead yields the error once and
    /// then nothing.)
    pub fn next_event(&mut self) -> Result<Option<ConverseStreamEvent>> {
        if !self.inner.advance()? {
            return Ok(None);
        }
        self.inner.take_converse().map(Some)
    }

    /// Read the remaining events and fold them (with `acc`, which may already hold the events
    /// read so far) into the finished message.
    pub fn accumulate_into(mut self, mut acc: MessageAccumulator) -> Result<ConverseStreamResult> {
        for event in &mut self {
            acc.push(&event?)?;
        }
        acc.finish()
    }

    /// Read all events and fold them into the finished message.
    pub fn accumulate(self) -> Result<ConverseStreamResult> {
        self.accumulate_into(MessageAccumulator::new())
    }
}

impl Iterator for ConverseEventStream {
    type Item = Result<ConverseStreamEvent>;

    fn next(&mut self) -> Option<Result<ConverseStreamEvent>> {
        if self.inner.has_failed() {
            // The error was returned once: the iterator is fused.
            return None;
        }
        self.next_event().transpose()
    }
}
