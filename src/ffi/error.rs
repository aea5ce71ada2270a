//! `bedrock_stream_error`: the detail of one failed call, returned through `err_out`.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};

use super::args::{free_boxed, lend_str};
use super::status::bedrock_stream_status;
use crate::error::Error;

/// The detail of one failed call: status, message and the AWS fields that were known.
///
/// Created by the library and handed to the caller through an `err_out` parameter; the caller
/// owns it and releases it with `bedrock_stream_error_free`. Every string returned by its
/// accessors is owned by the error object and stays valid until `bedrock_stream_error_free`.
/// Not tied to any thread or client: it may be read on any thread, by one thread at a time,
/// and outlives the client, stream or request the failure came from.
pub struct bedrock_stream_error {
    status: bedrock_stream_status,
    message: String,
    code: Option<CString>,
    request_id: Option<CString>,
    original_message: Option<CString>,
    resource_name: Option<CString>,
    timer: Option<&'static CStr>,
    http_status: u16,
    original_status_code: i32,
    retryable: bool,
    events_delivered: u64,
    attempts: u32,
}

/// A NUL-terminated copy of `s`, with any NUL byte inside replaced by U+FFFD.
pub(crate) fn c_string(s: &str) -> CString {
    match CString::new(s) {
        Ok(c) => c,
        Err(_) => CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default(),
    }
}

impl bedrock_stream_error {
    fn bare(status: bedrock_stream_status, message: String) -> bedrock_stream_error {
        bedrock_stream_error {
            status,
            message,
            code: None,
            request_id: None,
            original_message: None,
            resource_name: None,
            timer: None,
            http_status: 0,
            original_status_code: 0,
            retryable: false,
            events_delivered: 0,
            attempts: 0,
        }
    }

    fn from_error(e: &Error) -> bedrock_stream_error {
        bedrock_stream_error {
            status: e.kind().into(),
            message: e.to_string(),
            code: e.code().map(c_string),
            request_id: e.request_id().map(c_string),
            original_message: e.original_message().map(c_string),
            resource_name: e.resource_name().map(c_string),
            timer: e.timer().map(crate::Timer::as_c_str),
            http_status: e.http_status().unwrap_or(0),
            original_status_code: e.original_status_code().unwrap_or(0),
            retryable: e.is_retryable(),
            events_delivered: e.events_delivered(),
            attempts: e.attempts(),
        }
    }

    #[cfg(test)]
    pub(crate) fn status(&self) -> bedrock_stream_status {
        self.status
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

/// A failed call, on its way to `err_out`.
pub(crate) struct Fail(Box<bedrock_stream_error>);

impl Fail {
    pub(crate) fn new(status: bedrock_stream_status, message: impl Into<String>) -> Fail {
        Fail(Box::new(bedrock_stream_error::bare(status, message.into())))
    }

    pub(crate) fn null(name: &str) -> Fail {
        Fail::new(
            bedrock_stream_status::NullArgument,
            format!("the argument `{name}` is NULL"),
        )
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Fail {
        Fail::new(bedrock_stream_status::InvalidInput, message)
    }

    /// The stream was stopped by the callback after `events` events.
    pub(crate) fn aborted_by_callback(events: u64, request_id: Option<&str>, rc: i32) -> Fail {
        let mut f = Fail::new(
            bedrock_stream_status::AbortedByCallback,
            format!("the callback returned {rc} after {events} event(s); the stream was closed"),
        );
        f.0.events_delivered = events;
        f.0.request_id = request_id.map(c_string);
        f
    }

    fn panic(payload: &(dyn Any + Send)) -> Fail {
        Fail::new(
            bedrock_stream_status::Panic,
            format!(
                "internal error: a panic was caught at the C boundary: {}",
                super::panic::payload_text(payload)
            ),
        )
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail(Box::new(bedrock_stream_error::from_error(&e)))
    }
}

/// Turn the outcome of an exported function's body into its status, handing the error object
/// to the caller.
///
/// # Safety
///
/// `err_out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn conclude(
    result: std::thread::Result<Result<(), Fail>>,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    let fail = match result {
        Ok(Ok(())) => return bedrock_stream_status::Ok,
        Ok(Err(fail)) => fail,
        Err(payload) => {
            let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Fail::panic(payload.as_ref())
            }));
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)));
            match made {
                Ok(fail) => fail,
                Err(_) => return bedrock_stream_status::Panic,
            }
        }
    };
    let status = fail.0.status;
    if !err_out.is_null() {
        // SAFETY: not NULL, and valid for writing per this function's contract.
        unsafe { err_out.write(Box::into_raw(fail.0)) };
    }
    status
}

/// The error behind `err`, or None for NULL.
///
/// # Safety
///
/// `err` is NULL or a live error object from this library.
unsafe fn error_ref<'a>(err: *const bedrock_stream_error) -> Option<&'a bedrock_stream_error> {
    // SAFETY: NULL or a live object, per this function's contract.
    unsafe { err.as_ref() }
}

/// Free an error object. `err` may be NULL (nothing happens). The error and every string
/// obtained from it are invalid afterwards.
///
/// # Safety
///
/// `err` is NULL or an error object from this library that was not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_free(err: *mut bedrock_stream_error) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(err) }
    })
}

/// The status of the failed call (the same value the call returned). Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` when `err` is NULL.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_status(
    err: *const bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { error_ref(err) } {
            Some(e) => e.status,
            None => bedrock_stream_status::NullArgument,
        }
    })
}

/// Copy the error message (one sentence, UTF-8, including the AWS error code, HTTP status
/// and request id when known) into `buf`, like `snprintf`: at most `len - 1` bytes are copied,
/// cut at a character boundary, and a terminating NUL is always written when `len > 0`.
/// `*out_n` (if `out_n` is not NULL) receives the full length of the message in bytes without
/// the NUL, so a result `>= len` means the message was cut: call again with `*out_n + 1`.
///
/// `buf` may be NULL only when `len` is 0 (to ask for the length). Returns
/// `BEDROCK_STREAM_STATUS_NULL_ARGUMENT` when `err` is NULL or `buf` is NULL with `len > 0`
/// (nothing is written then). Thread-safe for concurrent readers of the same error.
///
/// # Safety
///
/// `err` is NULL or a live error object; `buf` is NULL or valid for writing `len` bytes;
/// `out_n` is NULL or valid for writing one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_message(
    err: *const bedrock_stream_error,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> bedrock_stream_status {
    ffi_boundary!({
        // SAFETY: caller contract.
        let Some(e) = (unsafe { error_ref(err) }) else {
            return bedrock_stream_status::NullArgument;
        };
        if buf.is_null() && len > 0 {
            return bedrock_stream_status::NullArgument;
        }
        let msg = e.message.as_bytes();
        if len > 0 {
            let mut n = msg.len().min(len - 1);
            while n > 0 && n < msg.len() && (msg[n] & 0xC0) == 0x80 {
                n -= 1;
            }
            // SAFETY: `buf` is valid for `len` bytes and `n + 1 <= len`; the source is our own
            // string, which cannot overlap the caller's buffer.
            unsafe {
                std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
                buf.add(n).write(0);
            }
        }
        if !out_n.is_null() {
            // SAFETY: not NULL, writable per the contract.
            unsafe { out_n.write(msg.len()) };
        }
        bedrock_stream_status::Ok
    })
}

/// The HTTP status of the failure: of the error response, or the status the service model
/// assigns to a stream exception (`throttlingException` → 429). 0 when there is none (a
/// network error, a local error) or `err` is NULL.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_http_status(err: *const bedrock_stream_error) -> u16 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { error_ref(err) }.map_or(0, |e| e.http_status)
    })
}

/// The `x-amzn-RequestId` of the response, or NULL when none was received (or `err` is NULL).
/// NUL-terminated; owned by `err`, valid until `bedrock_stream_error_free(err)`.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_request_id(
    err: *const bedrock_stream_error,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { error_ref(err) }.and_then(|e| e.request_id.as_deref()))
    })
}

/// The AWS error code as the service sent it: the `x-amzn-ErrorType` of an HTTP error
/// (`"ThrottlingException"`, `"ExpiredTokenException"`, or the status as text when the service
/// sent no type), the `:exception-type` of an exception in the stream
/// (`"throttlingException"`) or the `:error-code` of an error message. NULL for failures that
/// did not come from the service, or when `err` is NULL. Owned by `err`, valid until
/// `bedrock_stream_error_free(err)`.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_code(
    err: *const bedrock_stream_error,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { error_ref(err) }.and_then(|e| e.code.as_deref()))
    })
}

/// Whether sending the same request again may succeed. The library itself retries only
/// before the first event was delivered; after that the decision is the caller's. false when
/// `err` is NULL. By status:
///
/// * retryable: `THROTTLING`, `MODEL_NOT_READY`, `INTERNAL_SERVER`, `SERVICE_UNAVAILABLE`,
///   `MODEL_STREAM_ERROR` (the service says "retry your request"), `TRUNCATED`; `TRANSPORT`
///   except a TLS failure; `TIMEOUT` except the overall deadline.
/// * not retryable: `ACCESS_DENIED`, `RESOURCE_NOT_FOUND`, `MODEL_TIMEOUT`, `VALIDATION`,
///   `SERVICE_QUOTA_EXCEEDED`, `MODEL_ERROR`, `UNEXPECTED_CONTENT_TYPE`, `PROTOCOL`,
///   `INVALID_INPUT`, `CONFIG`, `CANCELLED`, `INTERNAL`, and the statuses of the C boundary.
/// * it depends: `UNMODELED_SERVICE` when the HTTP status is 429, 500, 502, 503 or 504;
///   `STREAM_ERROR` when its code names throttling or an internal / unavailable service;
///   `CREDENTIALS` when a credentials endpoint answered HTTP 429 or 5xx.
///
/// A modeled service error has the same answer whether it came as an HTTP error before the
/// stream or as an exception inside it.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_retryable(err: *const bedrock_stream_error) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { error_ref(err) }.is_some_and(|e| e.retryable)
    })
}

/// How many events had been delivered to the caller (callback calls, or events returned by
/// `bedrock_stream_stream_next`) before the failure. 0 when `err` is NULL.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_events_delivered(
    err: *const bedrock_stream_error,
) -> u64 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { error_ref(err) }.map_or(0, |e| e.events_delivered)
    })
}

/// How many HTTP attempts were made: requests sent, retries included. 0 when nothing was sent
/// (invalid input, no credentials, a failure before the request went out) or `err` is NULL.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_attempts(err: *const bedrock_stream_error) -> u32 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { error_ref(err) }.map_or(0, |e| e.attempts)
    })
}

/// `originalStatusCode` of a `ModelStreamErrorException` / `ModelErrorException` (the status
/// the model itself returned); 0 when absent, when the service sent a value that is not a
/// whole number in the `int32_t` range (never wrapped or saturated; the rest of the error is
/// kept), or when `err` is NULL. The HTTP and the in-stream forms follow the same rule.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_original_status_code(
    err: *const bedrock_stream_error,
) -> i32 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { error_ref(err) }.map_or(0, |e| e.original_status_code)
    })
}

/// `originalMessage` of a `ModelStreamErrorException`, or NULL when absent (or `err` is
/// NULL). Owned by `err`, valid until `bedrock_stream_error_free(err)`.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_original_message(
    err: *const bedrock_stream_error,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { error_ref(err) }.and_then(|e| e.original_message.as_deref()))
    })
}

/// `resourceName` of a `ModelErrorException`, or NULL when absent (or `err` is NULL). Owned
/// by `err`, valid until `bedrock_stream_error_free(err)`.
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_resource_name(
    err: *const bedrock_stream_error,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { error_ref(err) }.and_then(|e| e.resource_name.as_deref()))
    })
}

/// For `BEDROCK_STREAM_STATUS_TIMEOUT`: which timer fired, as a static string:
/// `"connect"`, `"response-headers"`, `"read-idle"` or `"deadline"`. NULL for other failures or
/// when `err` is NULL. The string is static (valid forever, never freed).
///
/// # Safety
///
/// `err` is NULL or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_error_timer(
    err: *const bedrock_stream_error,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { error_ref(err) }.and_then(|e| e.timer))
    })
}
