//! The C ABI (`libbedrock_stream.so` / `.a`, header `include/bedrock_stream.h`).
//!
//! A thin shell over the Rust client: argument checking and conversion, nothing else.
//! This is the only module where `unsafe` is allowed. Every exported function is written out
//! literally (`#[unsafe(no_mangle)] pub unsafe extern "C" fn`) so cbindgen reads plain
//! signatures, and its whole body runs inside [`ffi_boundary!`] so a panic never unwinds into
//! C (`tests/ffi.rs` checks both by reading this directory).
//!
//! Conventions (spelled out for C users in the header preamble, `cbindgen.toml`):
//! * fallible functions return a [`bedrock_stream_status`] (`OK` = 0) and take an optional
//!   `bedrock_stream_error **err_out` that is written only when the call fails;
//! * out-parameters (`*_out`) are written only on success;
//! * every `_new`/`_open` has a `_free`, and `_free(NULL)` does nothing;
//! * no global or thread-local mutable state.
#![allow(
    unsafe_code,
    reason = "the C ABI: pointers from C; the only module with unsafe, each block with a SAFETY comment"
)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![allow(
    non_camel_case_types,
    reason = "the C names are the ABI (`bedrock_stream_client`, ...), not Rust style"
)]

/// Runs the body of an exported function under `catch_unwind`.
///
/// * `ffi_boundary!(err_out: err_out, { ... })`: the block evaluates to
///   `Result<(), Fail>`; the function returns `BEDROCK_STREAM_STATUS_OK`, or the failure's
///   status after writing the error object to `*err_out` (when `err_out` is not NULL). A panic
///   becomes `BEDROCK_STREAM_STATUS_PANIC` with an error object naming the panic.
/// * `ffi_boundary!({ ... })`: the block evaluates to the return type; a panic returns that
///   type's [`panic::PanicValue`] (NULL, 0, false, `PANIC`).
macro_rules! ffi_boundary {
    (err_out: $err_out:ident, $body:block) => {{
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<(), $crate::ffi::error::Fail> { $body },
        ));
        // SAFETY: every function using this form documents `err_out` as NULL or a valid
        // pointer to writable storage for one `bedrock_stream_error *`; that is the only
        // requirement of `conclude`.
        unsafe { $crate::ffi::error::conclude(result, $err_out) }
    }};
    ($body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(payload) => $crate::ffi::panic::on_panic(payload),
        }
    };
}

mod args;
mod client;
mod config;
mod converse;
mod converse_stream;
mod error;
mod event;
mod panic;
mod request;
mod status;
mod version;

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn threading_contract_of_the_handles() {
        // The client and cancel handles are shared between threads by `const *`; requests
        // are read-only during calls and may be shared too.
        send_sync::<client::bedrock_stream_client>();
        send_sync::<client::bedrock_stream_cancel>();
        send_sync::<request::bedrock_stream_request>();
        send_sync::<converse::bedrock_stream_converse_request>();
        // Finished messages and InvokeModel responses are immutable.
        send_sync::<converse_stream::bedrock_stream_converse_message>();
        send_sync::<converse_stream::bedrock_stream_invoke_response>();
        // Configs, streams and errors have one owner at a time but may move between threads.
        send::<config::bedrock_stream_config>();
        send::<event::bedrock_stream_stream>();
        send::<converse_stream::bedrock_stream_converse_stream>();
        send::<converse_stream::bedrock_stream_converse_accumulator>();
        send::<error::bedrock_stream_error>();
    }

    #[test]
    fn boundary_turns_a_panic_into_the_panic_status_and_an_error_object() {
        let mut err: *mut error::bedrock_stream_error = std::ptr::null_mut();
        let err_out = &mut err as *mut *mut error::bedrock_stream_error;
        let status = ffi_boundary!(err_out: err_out, {
            if err_out.is_null() {
                return Ok(());
            }
            panic!("forced for the test");
        });
        assert_eq!(status, status::bedrock_stream_status::Panic);
        assert!(!err.is_null());
        // SAFETY: `err` was just created by the boundary and is freed once here.
        let e = unsafe { Box::from_raw(err) };
        assert_eq!(e.status(), status::bedrock_stream_status::Panic);
        assert!(
            e.message().contains("forced for the test"),
            "{}",
            e.message()
        );

        let p: *const u8 = ffi_boundary!({
            if err_out.is_null() {
                return std::ptr::null::<u8>().wrapping_add(1);
            }
            panic!("again")
        });
        assert!(p.is_null());
        let n: u64 = ffi_boundary!({ panic!("and again") });
        assert_eq!(n, 0);
    }
}
