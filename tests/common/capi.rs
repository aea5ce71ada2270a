//! The part of the C API (`include/bedrock_stream.h`) that the tests calling it directly share
//! (`tests/ffi.rs`, `tests/ffi_converse.rs`): the opaque handles, `bedrock_stream_bytes`, the
//! common statuses, the error, config, client, cancel and request functions, and the helpers
//! that run a fallible call and read its error object. Each test declares the rest itself.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::ffi::{c_char, CStr, CString};
use std::ptr::null_mut;

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _p: [u8; 0],
        }
    )*};
}
opaque!(Config, Client, Request, Cancel, Error);

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Bytes {
    pub data: *const u8,
    pub len: usize,
}

impl Bytes {
    pub fn to_vec(self) -> Vec<u8> {
        assert!(
            !self.data.is_null(),
            "bedrock_stream_bytes.data is never NULL"
        );
        // SAFETY: the library lends `len` readable bytes at `data`.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }.to_vec()
    }
}

pub type Status = i32;
/// `err_out`.
pub type E = *mut *mut Error;

pub const OK: Status = 0;
pub const NULL_ARGUMENT: Status = 1;
pub const INVALID_UTF8: Status = 2;
pub const ABORTED_BY_CALLBACK: Status = 3;
pub const ACCESS_DENIED: Status = 10;
pub const THROTTLING: Status = 12;
pub const MODEL_STREAM_ERROR: Status = 16;
pub const TRUNCATED: Status = 32;
pub const INVALID_INPUT: Status = 50;
pub const CANCELLED: Status = 53;

extern "C" {
    pub fn bedrock_stream_error_free(err: *mut Error);
    pub fn bedrock_stream_error_status(err: *const Error) -> Status;
    pub fn bedrock_stream_error_message(
        err: *const Error,
        buf: *mut c_char,
        len: usize,
        out_n: *mut usize,
    ) -> Status;
    pub fn bedrock_stream_error_http_status(err: *const Error) -> u16;
    pub fn bedrock_stream_error_request_id(err: *const Error) -> *const c_char;
    pub fn bedrock_stream_error_code(err: *const Error) -> *const c_char;
    pub fn bedrock_stream_error_retryable(err: *const Error) -> bool;
    pub fn bedrock_stream_error_events_delivered(err: *const Error) -> u64;
    pub fn bedrock_stream_error_attempts(err: *const Error) -> u32;
    pub fn bedrock_stream_error_original_status_code(err: *const Error) -> i32;
    pub fn bedrock_stream_error_original_message(err: *const Error) -> *const c_char;
    pub fn bedrock_stream_error_resource_name(err: *const Error) -> *const c_char;
    pub fn bedrock_stream_error_timer(err: *const Error) -> *const c_char;

    pub fn bedrock_stream_config_new(
        config_out: *mut *mut Config,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_config_free(config: *mut Config);
    pub fn bedrock_stream_config_set_region(
        config: *mut Config,
        region: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_config_set_endpoint_url(
        config: *mut Config,
        url: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_config_set_credentials(
        config: *mut Config,
        access_key_id: *const c_char,
        secret_access_key: *const c_char,
        session_token: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_config_set_no_proxy(
        config: *mut Config,
        no_proxy: bool,
        err_out: *mut *mut Error,
    ) -> Status;

    pub fn bedrock_stream_client_new(
        config: *const Config,
        client_out: *mut *mut Client,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_client_free(client: *mut Client);

    pub fn bedrock_stream_cancel_new(
        cancel_out: *mut *mut Cancel,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_cancel_cancel(cancel: *const Cancel) -> Status;
    pub fn bedrock_stream_cancel_free(cancel: *mut Cancel);

    pub fn bedrock_stream_request_new(
        model_id: *const c_char,
        body: *const u8,
        body_len: usize,
        request_out: *mut *mut Request,
        err_out: *mut *mut Error,
    ) -> Status;
    pub fn bedrock_stream_request_free(request: *mut Request);
    pub fn bedrock_stream_request_set_performance_config_latency(
        request: *mut Request,
        latency: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
}

pub fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A C string returned by the library, or None for NULL.
pub fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the library returns NUL-terminated strings valid for this use.
        Some(unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
    }
}

/// Everything an error object says.
#[derive(Debug, Default)]
pub struct Detail {
    pub status: Status,
    pub message: String,
    pub http_status: u16,
    pub request_id: Option<String>,
    pub code: Option<String>,
    pub retryable: bool,
    pub events_delivered: u64,
    pub attempts: u32,
    pub original_status_code: i32,
    pub original_message: Option<String>,
    pub resource_name: Option<String>,
    pub timer: Option<String>,
}

/// Reads everything an error object says (the message through the size query, then the
/// buffer), then frees it.
pub fn take_error(err: *mut Error) -> Detail {
    assert!(!err.is_null(), "a failed call must set *err_out");
    // SAFETY: `err` is a live error object owned by the test; freed once at the end.
    unsafe {
        let mut n = 0usize;
        assert_eq!(bedrock_stream_error_message(err, null_mut(), 0, &mut n), OK);
        let mut buf = vec![0u8; n + 1];
        let mut n2 = 0usize;
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), buf.len(), &mut n2),
            OK
        );
        assert_eq!(n, n2);
        assert_eq!(buf[n], 0);
        let d = Detail {
            status: bedrock_stream_error_status(err),
            message: String::from_utf8(buf[..n].to_vec()).unwrap(),
            http_status: bedrock_stream_error_http_status(err),
            request_id: text(bedrock_stream_error_request_id(err)),
            code: text(bedrock_stream_error_code(err)),
            retryable: bedrock_stream_error_retryable(err),
            events_delivered: bedrock_stream_error_events_delivered(err),
            attempts: bedrock_stream_error_attempts(err),
            original_status_code: bedrock_stream_error_original_status_code(err),
            original_message: text(bedrock_stream_error_original_message(err)),
            resource_name: text(bedrock_stream_error_resource_name(err)),
            timer: text(bedrock_stream_error_timer(err)),
        };
        bedrock_stream_error_free(err);
        d
    }
}

/// Run a fallible call with a fresh `err_out`; returns its status and the error (if any).
pub fn call(f: impl FnOnce(E) -> Status) -> (Status, Option<Detail>) {
    let mut err: *mut Error = null_mut();
    let status = f(&mut err);
    if status == OK {
        assert!(err.is_null(), "err_out written although the call succeeded");
        (status, None)
    } else {
        let d = take_error(err);
        assert_eq!(
            d.status, status,
            "the error object's status is the returned one"
        );
        (status, Some(d))
    }
}

#[track_caller]
pub fn fails(f: impl FnOnce(E) -> Status) -> Detail {
    let (status, d) = call(f);
    assert_ne!(status, OK, "expected a failure");
    d.unwrap()
}

#[track_caller]
pub fn ok(f: impl FnOnce(E) -> Status) {
    let (status, d) = call(f);
    assert_eq!(status, OK, "unexpected failure: {d:?}");
}
