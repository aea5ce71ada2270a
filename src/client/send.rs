//! Sending: one HTTP attempt up to the response headers, retries until a 2xx response is in,
//! and the mapping of transport failures to typed errors.

use std::io;
use std::time::{Duration, Instant};

use super::service_error::{error_from_response, is_throttle, unexpected_body};
use super::stream::{EventStream, ResponseMeta, StreamState};
use super::{Client, EVENTSTREAM_CONTENT_TYPE};
use crate::credentials::CredentialsContext;
use crate::error::{Error, ErrorClass, ErrorKind, Phase, Result, Timer};
use crate::eventstream::Decoder;
use crate::operation::{Expect, Operation};
use crate::retry;
use crate::transport::{CancelHandle, CurrentCancel};

impl Client {
    fn backoff(&self, attempt: u32) -> Duration {
        let r = &self.inner.retry;
        let exp = r
            .initial_backoff
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16));
        exp.min(r.max_backoff).mul_f64(crate::retry::jitter())
    }

    /// One HTTP attempt, up to the response headers.
    pub(super) fn send_once(
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

    pub(super) fn map_io(&self, e: io::Error, cancel: &CancelHandle, phase: Phase) -> Error {
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

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl EventStream {
    /// The stream failed (or was cancelled) with `e`: the connection is closed, and every
    /// later call returns the error again. Returns `e` with the call's counters.
    pub(super) fn fail(&mut self, e: Error) -> Error {
        self.state = if e.kind() == ErrorKind::Cancelled {
            StreamState::Cancelled
        } else {
            StreamState::Failed
        };
        self.current.clear();
        self.reader = None;
        self.cancel.finish();
        let e = e
            .with_events_delivered(self.events_delivered)
            .with_attempts(self.attempts());
        let e = if e.request_id().is_none() {
            e.with_request_id(self.meta.request_id.clone())
        } else {
            e
        };
        self.failure = Some(e.repeated());
        e
    }

    /// Send (with retries) until a 2xx event-stream response is in.
    pub(super) fn open(&mut self) -> Result<()> {
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
    pub(super) fn retry_or_fail(&mut self, e: Error) -> Result<()> {
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
            self.body = self.read_body(resp, max + 1)?;
            if self.body.len() > max {
                return Err(Error::protocol(format!(
                    "the response body is longer than the {max} bytes the service model allows"
                ))
                .with_phase(Phase::HttpResponse)
                .with_request_id(request_id));
            }
            self.end();
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
}
