//! `bedrock_stream_client` (push and pull calls) and `bedrock_stream_cancel`.

use std::ffi::c_void;
use std::ops::ControlFlow;

use super::args::{arg_ref, free_boxed, out_ptr, write_boxed};
use super::config::bedrock_stream_config;
use super::error::{bedrock_stream_error, Fail};
use super::event::{bedrock_stream_event, bedrock_stream_stream};
use super::request::bedrock_stream_request;
use super::status::bedrock_stream_status;
use crate::{CancelHandle, Client, InvokeSummary};

/// Return value of a `bedrock_stream_event_cb` that asks for the next event.
pub const BEDROCK_STREAM_CONTINUE: i32 = 0;
/// A return value of a `bedrock_stream_event_cb` that stops the stream (any value other than
/// `BEDROCK_STREAM_CONTINUE` does).
#[allow(dead_code, reason = "for C callers, through the header")]
pub const BEDROCK_STREAM_STOP: i32 = 1;

/// The callback of `bedrock_stream_client_invoke`, called once per event, in order.
///
/// * `user_data` is the pointer given to `bedrock_stream_client_invoke`, passed through
///   untouched (a Go caller passes a `cgo.Handle`'s address).
/// * `event` is lent for the duration of this call only: it, and every pointer obtained from
///   it (payload, text, event type, stop reason), is invalid once the callback returns. Copy
///   what you need to keep. Byte buffers are not NUL-terminated.
/// * Return `BEDROCK_STREAM_CONTINUE` (0) for the next event; any other value stops the
///   stream: the connection is closed (the model stops generating) and
///   `bedrock_stream_client_invoke` returns `BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK`.
///
/// The callback runs synchronously on the thread that called `bedrock_stream_client_invoke`,
/// never after it returned. It must not free the client, the request or the cancel handle of
/// the running call. It may start other calls on the same client (the client is thread-safe
/// and re-entrant), and it may cancel the call's cancel handle. It must not unwind: no C++
/// exception and no `longjmp` may leave it (catch them inside). A Rust callback that panics
/// is caught: the call returns `BEDROCK_STREAM_STATUS_PANIC`.
pub type bedrock_stream_event_cb = Option<
    unsafe extern "C-unwind" fn(user_data: *mut c_void, event: *const bedrock_stream_event) -> i32,
>;

/// A Bedrock Runtime client: resolved settings, credentials and a pool of keep-alive
/// connections.
///
/// Created by `bedrock_stream_client_new`, freed by `bedrock_stream_client_free`.
/// Thread-safe: one client may be used by any number of threads at once (every function
/// taking a `const bedrock_stream_client *`); it is meant to be created once and shared.
/// Free it only when no call on it is running. Streams opened from it stay valid after it is
/// freed.
pub struct bedrock_stream_client {
    pub(crate) inner: Client,
}

/// Cancels one call (`bedrock_stream_client_invoke` or a stream from
/// `bedrock_stream_client_open`) from any thread, at any time: before the call starts (it then
/// fails at once), while it resolves the host, connects, waits or reads (the connection is
/// shut down and the call returns `BEDROCK_STREAM_STATUS_CANCELLED` promptly), or after it
/// ended (nothing happens). Once `bedrock_stream_cancel_cancel` returned, no further event is
/// delivered, even when several arrived together. A cancel never touches a connection that
/// another call is using.
///
/// Created by `bedrock_stream_cancel_new`, freed by `bedrock_stream_cancel_free`. Thread-safe.
/// One handle serves one call: passing a handle to a second call fails with
/// `BEDROCK_STREAM_STATUS_INVALID_INPUT`; create a new handle per call. The call keeps its own
/// reference, so the handle may be freed while the call runs, but not while another thread may
/// still call `bedrock_stream_cancel_cancel` on it.
pub struct bedrock_stream_cancel {
    handle: CancelHandle,
}

/// The cancel handle for one call: the caller's, or a private one. The core refuses a handle
/// a call already took (one handle, one call: `CancelHandle`).
///
/// # Safety
///
/// `cancel` is NULL or a live cancel handle.
pub(crate) unsafe fn cancel_for_call(cancel: *const bedrock_stream_cancel) -> CancelHandle {
    // SAFETY: forwarded contract.
    match unsafe { cancel.as_ref() } {
        None => CancelHandle::new(),
        Some(c) => c.handle.clone(),
    }
}

/// Build a client from `config` (which is only read: it may be freed or reused afterwards).
/// Settings left unset are resolved from the environment now (region, endpoint, profile,
/// proxy, credential source); credentials themselves are fetched per call.
///
/// Fails with `BEDROCK_STREAM_STATUS_CONFIG` (no region, bad endpoint or proxy URL, bad CA
/// bundle...) or `BEDROCK_STREAM_STATUS_CREDENTIALS` (unusable bearer token). No network
/// traffic happens here.
///
/// `config` and `client_out` must not be NULL. On success `*client_out` receives a client the
/// caller frees with `bedrock_stream_client_free`. `err_out` may be NULL; `*err_out` is set
/// only on failure. Thread-safe (for different configs, or one config no thread changes).
///
/// `fork()`: a client made (and used) before `fork()` may be used in the child, as pre-fork
/// servers do. At its first call in the child it notices the new process and opens connections
/// of its own: it never reads, writes or shuts down a pooled connection of the parent (the
/// child's copies of those sockets are closed, which leaves them open in the parent). The
/// credentials cache and the adaptive rate limiter stay usable; each process continues with
/// its own copy. Fork while no other thread is inside a call on the client (a lock held by
/// another thread at the fork stays held in the child). Free the client in each process.
///
/// Signals: system calls interrupted by a signal (`EINTR`, handlers without `SA_RESTART`) are
/// resumed; they do not fail a call.
///
/// # Safety
///
/// `config` is NULL or a live config; `client_out` is NULL or valid for writing one pointer;
/// `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_new(
    config: *const bedrock_stream_config,
    client_out: *mut *mut bedrock_stream_client,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let config = unsafe { arg_ref(config, "config") }?;
        out_ptr(client_out, "client_out")?;
        let inner = config.build()?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(client_out, bedrock_stream_client { inner }) };
        Ok(())
    })
}

/// Free a client and its idle connections. `client` may be NULL (nothing happens). No call
/// on the client may be running; streams opened from it stay valid.
///
/// # Safety
///
/// `client` is NULL or a client from `bedrock_stream_client_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_free(client: *mut bedrock_stream_client) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(client) }
    })
}

/// Push API: send `request` and call `callback` once per event as it arrives, on this thread,
/// until the stream ends, fails, is cancelled or the callback stops it.
///
/// Returns `BEDROCK_STREAM_STATUS_OK` when the stream ended cleanly (every event delivered),
/// `BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK` when the callback returned non-zero,
/// `BEDROCK_STREAM_STATUS_CANCELLED` when `cancel` was cancelled, or the status of the
/// failure (errors before the stream, exceptions in it, truncation, timeouts...). Throttling,
/// 5xx and network failures are retried (per the config) only before the first event.
///
/// `client`, `request` and `callback` must not be NULL. `user_data` is passed to the callback
/// untouched and may be NULL. `cancel` may be NULL (the call then cannot be cancelled from
/// outside); a handle serves one call only. `err_out` may be NULL; when not NULL, `*err_out`
/// is set only on failure, to an error (status, message, request id, events delivered...)
/// the caller frees with `bedrock_stream_error_free`.
///
/// Thread-safe: any number of threads may invoke on one client at once. `request` is only
/// read.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `callback`
/// follows the contract of `bedrock_stream_event_cb`; `err_out` is NULL or valid for writing
/// one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_invoke(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_request,
    callback: bedrock_stream_event_cb,
    user_data: *mut c_void,
    cancel: *const bedrock_stream_cancel,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let request = unsafe { arg_ref(request, "request") }?;
        let Some(callback) = callback else {
            return Err(Fail::null("callback"));
        };
        // SAFETY: caller contract.
        let cancel = unsafe { cancel_for_call(cancel) };
        let mut event = bedrock_stream_event::new();
        let mut stopped_with = BEDROCK_STREAM_CONTINUE;
        let summary = client
            .inner
            .invoke_with_events(request.inner(), cancel, |e| {
                // SAFETY: the callback follows `bedrock_stream_event_cb`'s contract; the event
                // is valid for the duration of the call.
                stopped_with = unsafe { callback(user_data, event.lend(e)) };
                callback_flow(stopped_with)
            })?;
        push_result(&summary, stopped_with)
    })
}

/// A C callback's return value as the core's word: `BEDROCK_STREAM_CONTINUE` goes on, any
/// other value stops the stream.
pub(super) fn callback_flow(rc: i32) -> ControlFlow<()> {
    if rc == BEDROCK_STREAM_CONTINUE {
        ControlFlow::Continue(())
    } else {
        ControlFlow::Break(())
    }
}

/// How a push call that returned `summary` ends for C: stopped by the callback (which returned
/// `stopped_with`) is `BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK`, the end of the stream is
/// success.
pub(super) fn push_result(summary: &InvokeSummary, stopped_with: i32) -> Result<(), Fail> {
    if summary.stopped_early {
        // The stream was dropped: its connection is closed.
        return Err(Fail::aborted_by_callback(
            summary.events,
            summary.request_id.as_deref(),
            stopped_with,
        ));
    }
    Ok(())
}

/// Pull API: send `request` and return once the response headers are in (retries included),
/// with a stream to read with `bedrock_stream_stream_next`.
///
/// Failures before the stream (HTTP errors, credentials, network, invalid input, a
/// cancellation) are returned here. `client`, `request` and `stream_out` must not be NULL;
/// `cancel` may be NULL (a handle serves one call only; cancelling it stops the stream from
/// any thread). On success `*stream_out` receives a stream the caller frees with
/// `bedrock_stream_stream_free`. `err_out` may be NULL; `*err_out` is set only on failure.
/// Thread-safe like `bedrock_stream_client_invoke`.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `stream_out` is
/// NULL or valid for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_open(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_request,
    cancel: *const bedrock_stream_cancel,
    stream_out: *mut *mut bedrock_stream_stream,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let request = unsafe { arg_ref(request, "request") }?;
        out_ptr(stream_out, "stream_out")?;
        // SAFETY: caller contract.
        let cancel = unsafe { cancel_for_call(cancel) };
        let stream = client
            .inner
            .invoke_model_with_response_stream_cancellable(request.inner(), cancel)?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(stream_out, bedrock_stream_stream::new(stream)) };
        Ok(())
    })
}

/// Create a cancel handle for one call. On success `*cancel_out` receives a handle the caller
/// frees with `bedrock_stream_cancel_free`. `cancel_out` must not be NULL; `err_out` may be
/// NULL and is set only on failure.
///
/// # Safety
///
/// `cancel_out` is NULL or valid for writing one pointer; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_cancel_new(
    cancel_out: *mut *mut bedrock_stream_cancel,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(cancel_out, "cancel_out")?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(cancel_out, bedrock_stream_cancel {
            handle: CancelHandle::new(),
        }) };
        Ok(())
    })
}

/// Cancel the call this handle was (or will be) given to. Safe from any thread, at any time,
/// any number of times; returns at once. Returns `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` when
/// `cancel` is NULL, else `BEDROCK_STREAM_STATUS_OK`.
///
/// # Safety
///
/// `cancel` is NULL or a live cancel handle (not being freed by another thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_cancel_cancel(
    cancel: *const bedrock_stream_cancel,
) -> bedrock_stream_status {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { arg_ref(cancel, "cancel") } {
            Ok(c) => {
                c.handle.cancel();
                bedrock_stream_status::Ok
            }
            Err(_) => bedrock_stream_status::NullArgument,
        }
    })
}

/// Whether `bedrock_stream_cancel_cancel` was called on this handle (false for NULL).
/// Thread-safe.
///
/// # Safety
///
/// `cancel` is NULL or a live cancel handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_cancel_is_cancelled(
    cancel: *const bedrock_stream_cancel,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { arg_ref(cancel, "cancel") }.is_ok_and(|c| c.handle.is_cancelled())
    })
}

/// Free a cancel handle. `cancel` may be NULL (nothing happens). A call that was given the
/// handle keeps working (and stays cancellable only through handles that still exist); no
/// other thread may use this handle any more.
///
/// # Safety
///
/// `cancel` is NULL or a handle from `bedrock_stream_cancel_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_cancel_free(cancel: *mut bedrock_stream_cancel) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(cancel) }
    })
}
