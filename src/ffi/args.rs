//! Checking and converting the arguments that come from C. Nothing here trusts C data:
//! NULL, invalid UTF-8 and impossible lengths become a [`Fail`], never a panic.

use std::ffi::{c_char, CStr};

use super::error::Fail;
use super::status::bedrock_stream_status;

/// `&T` from a pointer that must not be NULL.
///
/// # Safety
///
/// `p` is NULL or points to a live `T` that is not mutated for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> Result<&'a T, Fail> {
    // SAFETY: NULL or a live `T` (this function's contract).
    unsafe { p.as_ref() }.ok_or_else(|| Fail::null(name))
}

/// `&mut T` from a pointer that must not be NULL.
///
/// # Safety
///
/// `p` is NULL or points to a live `T` that nothing else accesses for `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T, Fail> {
    // SAFETY: NULL or a live, unaliased `T` (this function's contract).
    unsafe { p.as_mut() }.ok_or_else(|| Fail::null(name))
}

/// A UTF-8 string from a NUL-terminated C string that must not be NULL.
///
/// # Safety
///
/// `p` is NULL or a NUL-terminated string that stays unchanged for `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, Fail> {
    // SAFETY: forwarded contract.
    unsafe { arg_opt_str(p, name) }?.ok_or_else(|| Fail::null(name))
}

/// Like [`arg_str`], but NULL is allowed and gives `None`.
///
/// # Safety
///
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Fail> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, NUL-terminated and unchanged for 'a (contract).
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|e| {
        Fail::new(
            bedrock_stream_status::InvalidUtf8,
            format!(
                "the argument `{name}` is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A byte slice from `data` + `len`; `data` may be NULL only when `len` is 0.
///
/// # Safety
///
/// `data` is NULL or valid for reading `len` bytes that stay unchanged for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Fail::null(name));
    }
    if len > isize::MAX as usize {
        return Err(Fail::invalid_input(format!(
            "the length of `{name}` ({len}) is impossible"
        )));
    }
    // SAFETY: not NULL, `len` readable bytes (contract), `len <= isize::MAX`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Check that an out-pointer is not NULL (it is written at the very end, on success only).
pub(crate) fn out_ptr<T>(p: *mut T, name: &str) -> Result<(), Fail> {
    if p.is_null() {
        Err(Fail::null(name))
    } else {
        Ok(())
    }
}

/// Write `value` through an out-pointer checked with [`out_ptr`].
///
/// # Safety
///
/// `p` is not NULL and valid for writing one `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T) {
    // SAFETY: forwarded contract.
    unsafe { p.write(value) }
}
