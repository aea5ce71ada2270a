//! `bedrock_stream_status`: the result of every fallible function.

use std::ffi::c_char;

use crate::error::ErrorKind;

/// The result of every fallible function: `BEDROCK_STREAM_STATUS_OK` (0) or the reason of the
/// failure, so `if (rc != 0)` detects any failure.
///
/// The numbers are part of the ABI: they are explicit, never change meaning and are never
/// reused. Values 1-9 are failures of the C layer itself; values from 10 on map one-to-one to
/// the error kinds of the Rust `bedrock_stream::ErrorKind` (10-22: errors reported by the
/// service, 30-39: a broken response, 40-49: network and timers, 50-59: the caller's side).
/// New values may be added in later releases: treat an unknown value as a failure and name it
/// with `bedrock_stream_status_str`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum bedrock_stream_status {
    /// Success.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL (the error message names it).
    NullArgument = 1,
    /// A string argument was not valid UTF-8 (the error message names it).
    InvalidUtf8 = 2,
    /// The event callback returned a value other than `BEDROCK_STREAM_CONTINUE`; the stream
    /// was closed. Not a failure of the service.
    AbortedByCallback = 3,
    /// A bug: a panic inside the library (or in a Rust callback) was caught at the C boundary.
    /// The process can continue; the handle involved should be freed.
    Panic = 4,
    /// `AccessDeniedException` (HTTP 403): missing IAM permission or model access.
    AccessDenied = 10,
    /// `ResourceNotFoundException` (HTTP 404): unknown model id or ARN.
    ResourceNotFound = 11,
    /// `ThrottlingException` / `throttlingException` (HTTP 429).
    Throttling = 12,
    /// `ModelTimeoutException` / `modelTimeoutException` (HTTP 408).
    ModelTimeout = 13,
    /// `InternalServerException` / `internalServerException` (HTTP 500).
    InternalServer = 14,
    /// `ServiceUnavailableException` / `serviceUnavailableException` (HTTP 503).
    ServiceUnavailable = 15,
    /// `ModelStreamErrorException` / `modelStreamErrorException` (HTTP 424); see
    /// `bedrock_stream_error_original_status_code` / `_original_message`.
    ModelStreamError = 16,
    /// `ValidationException` / `validationException` (HTTP 400).
    Validation = 17,
    /// `ServiceQuotaExceededException` (HTTP 400).
    ServiceQuotaExceeded = 18,
    /// `ModelNotReadyException` (HTTP 429).
    ModelNotReady = 19,
    /// `ModelErrorException` (HTTP 424).
    ModelError = 20,
    /// A non-2xx response or an exception frame whose type is not in the service model (for
    /// example a front-end authentication failure); `bedrock_stream_error_code` has the type.
    UnmodeledService = 21,
    /// An event-stream message of type `error` (`:error-code` / `:error-message`).
    StreamError = 22,
    /// A 2xx response whose `Content-Type` is not `application/vnd.amazon.eventstream`.
    UnexpectedContentType = 30,
    /// The event stream is corrupt (bad CRC, impossible length, malformed headers, ...).
    Protocol = 31,
    /// The connection ended in the middle of a message or before the body was complete.
    Truncated = 32,
    /// Connecting, TLS, DNS, proxy or socket I/O failed.
    Transport = 40,
    /// A timer fired; `bedrock_stream_error_timer` names it.
    Timeout = 41,
    /// An argument was refused before anything was sent (bad model id, a value outside the
    /// service model's enum or limits, a CR/LF in a header value).
    InvalidInput = 50,
    /// The configuration is unusable (no region, bad endpoint or proxy URL, unreadable CA file).
    Config = 51,
    /// No credentials could be found, or a credential provider failed.
    Credentials = 52,
    /// The call was cancelled through a `bedrock_stream_cancel` handle.
    Cancelled = 53,
    /// A bug in the library that was detected without a panic.
    Internal = 54,
}

impl From<ErrorKind> for bedrock_stream_status {
    fn from(kind: ErrorKind) -> Self {
        use bedrock_stream_status as S;
        // Exhaustive on purpose: a new ErrorKind must get its own status number here.
        match kind {
            ErrorKind::AccessDenied => S::AccessDenied,
            ErrorKind::ResourceNotFound => S::ResourceNotFound,
            ErrorKind::Throttling => S::Throttling,
            ErrorKind::ModelTimeout => S::ModelTimeout,
            ErrorKind::InternalServer => S::InternalServer,
            ErrorKind::ServiceUnavailable => S::ServiceUnavailable,
            ErrorKind::ModelStreamError => S::ModelStreamError,
            ErrorKind::Validation => S::Validation,
            ErrorKind::ServiceQuotaExceeded => S::ServiceQuotaExceeded,
            ErrorKind::ModelNotReady => S::ModelNotReady,
            ErrorKind::ModelError => S::ModelError,
            ErrorKind::UnmodeledService => S::UnmodeledService,
            ErrorKind::StreamError => S::StreamError,
            ErrorKind::UnexpectedContentType => S::UnexpectedContentType,
            ErrorKind::Protocol => S::Protocol,
            ErrorKind::Truncated => S::Truncated,
            ErrorKind::Transport => S::Transport,
            ErrorKind::Timeout => S::Timeout,
            ErrorKind::InvalidInput => S::InvalidInput,
            ErrorKind::Config => S::Config,
            ErrorKind::Credentials => S::Credentials,
            ErrorKind::Cancelled => S::Cancelled,
            ErrorKind::Internal => S::Internal,
        }
    }
}

/// Every status, in numeric order (for `status_str` and the tests).
pub(crate) const ALL: &[bedrock_stream_status] = {
    use bedrock_stream_status as S;
    &[
        S::Ok,
        S::NullArgument,
        S::InvalidUtf8,
        S::AbortedByCallback,
        S::Panic,
        S::AccessDenied,
        S::ResourceNotFound,
        S::Throttling,
        S::ModelTimeout,
        S::InternalServer,
        S::ServiceUnavailable,
        S::ModelStreamError,
        S::Validation,
        S::ServiceQuotaExceeded,
        S::ModelNotReady,
        S::ModelError,
        S::UnmodeledService,
        S::StreamError,
        S::UnexpectedContentType,
        S::Protocol,
        S::Truncated,
        S::Transport,
        S::Timeout,
        S::InvalidInput,
        S::Config,
        S::Credentials,
        S::Cancelled,
        S::Internal,
    ]
};

impl bedrock_stream_status {
    /// The constant's name without the `BEDROCK_STREAM_STATUS_` prefix, NUL-terminated.
    pub(crate) fn name(self) -> &'static std::ffi::CStr {
        use bedrock_stream_status as S;
        match self {
            S::Ok => c"OK",
            S::NullArgument => c"NULL_ARGUMENT",
            S::InvalidUtf8 => c"INVALID_UTF8",
            S::AbortedByCallback => c"ABORTED_BY_CALLBACK",
            S::Panic => c"PANIC",
            S::AccessDenied => c"ACCESS_DENIED",
            S::ResourceNotFound => c"RESOURCE_NOT_FOUND",
            S::Throttling => c"THROTTLING",
            S::ModelTimeout => c"MODEL_TIMEOUT",
            S::InternalServer => c"INTERNAL_SERVER",
            S::ServiceUnavailable => c"SERVICE_UNAVAILABLE",
            S::ModelStreamError => c"MODEL_STREAM_ERROR",
            S::Validation => c"VALIDATION",
            S::ServiceQuotaExceeded => c"SERVICE_QUOTA_EXCEEDED",
            S::ModelNotReady => c"MODEL_NOT_READY",
            S::ModelError => c"MODEL_ERROR",
            S::UnmodeledService => c"UNMODELED_SERVICE",
            S::StreamError => c"STREAM_ERROR",
            S::UnexpectedContentType => c"UNEXPECTED_CONTENT_TYPE",
            S::Protocol => c"PROTOCOL",
            S::Truncated => c"TRUNCATED",
            S::Transport => c"TRANSPORT",
            S::Timeout => c"TIMEOUT",
            S::InvalidInput => c"INVALID_INPUT",
            S::Config => c"CONFIG",
            S::Credentials => c"CREDENTIALS",
            S::Cancelled => c"CANCELLED",
            S::Internal => c"INTERNAL",
        }
    }
}

/// The name of a status: the constant's name without the `BEDROCK_STREAM_STATUS_` prefix, for
/// example `"THROTTLING"` for `BEDROCK_STREAM_STATUS_THROTTLING`, and `"UNKNOWN"` for a value
/// this version of the library does not define.
///
/// Never returns NULL. The string is static: it stays valid for the life of the process and
/// must not be freed. Thread-safe.
///
/// # Safety
///
/// None: any value may be passed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_status_str(status: i32) -> *const c_char {
    ffi_boundary!({
        ALL.iter()
            .find(|s| **s as i32 == status)
            .map(|s| s.name())
            .unwrap_or(c"UNKNOWN")
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_names_match_the_header_constants() {
        let mut seen = std::collections::HashSet::new();
        for s in ALL {
            assert!(seen.insert(*s as i32), "{s:?} reuses a number");
            // The name is the variant in SCREAMING_SNAKE_CASE, as cbindgen renames it.
            let debug = format!("{s:?}");
            let mut screaming = String::new();
            for (i, c) in debug.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    screaming.push('_');
                }
                screaming.push(c.to_ascii_uppercase());
            }
            assert_eq!(s.name().to_str().unwrap(), screaming);
        }
        assert_eq!(bedrock_stream_status::Ok as i32, 0);
    }
}
