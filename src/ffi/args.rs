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

/// Hand `value` to C: box it and write the pointer through an out-pointer checked with
/// [`out_ptr`]. C gives it back to the matching `_free` function, which calls [`free_boxed`].
///
/// # Safety
///
/// As [`write_out`].
pub(crate) unsafe fn write_boxed<T>(p: *mut *mut T, value: T) {
    // SAFETY: forwarded contract.
    unsafe { write_out(p, Box::into_raw(Box::new(value))) }
}

/// Free what [`write_boxed`] handed to C (NULL: nothing happens).
///
/// # Safety
///
/// `p` is NULL or a pointer from [`write_boxed`] (or `Box::into_raw`) not freed yet, which
/// no other thread uses.
pub(crate) unsafe fn free_boxed<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: from `Box::into_raw`, not freed yet (contract).
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A string lent to C: the NUL-terminated text, or NULL for none. Valid as long as what `s`
/// borrows from.
pub(crate) fn lend_str(s: Option<&CStr>) -> *const c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}

/// Run one call on a stream that a panic inside the core may leave half-updated: refused
/// (`BEDROCK_STREAM_STATUS_PANIC`) once a previous call panicked, since `*poisoned` is set
/// while `f` runs and only cleared when it returns.
pub(crate) fn unless_poisoned<T>(poisoned: &mut bool, f: impl FnOnce() -> T) -> Result<T, Fail> {
    if *poisoned {
        return Err(Fail::new(
            bedrock_stream_status::Panic,
            "the stream is unusable: a previous call on it panicked",
        ));
    }
    *poisoned = true;
    let value = f();
    *poisoned = false;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;

    use super::*;

    #[test]
    fn a_panic_inside_a_guarded_call_refuses_every_later_call() {
        let mut poisoned = false;
        assert_eq!(unless_poisoned(&mut poisoned, || 7).ok(), Some(7));
        assert!(!poisoned, "a call that returned leaves the stream usable");
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            unless_poisoned(&mut poisoned, || panic!("inside the core"))
        }));
        assert!(caught.is_err());
        assert!(poisoned);
        let mut ran = false;
        let refused = unless_poisoned(&mut poisoned, || ran = true).unwrap_err();
        assert!(!ran, "the half-updated stream is not touched again");
        // SAFETY: a NULL `err_out` is allowed.
        let status =
            unsafe { super::super::error::conclude(Ok(Err(refused)), std::ptr::null_mut()) };
        assert_eq!(status, bedrock_stream_status::Panic);
    }

    #[test]
    fn boxed_handles_round_trip_and_null_frees_nothing() {
        let mut out: *mut String = std::ptr::null_mut();
        // SAFETY: `out` is a local, valid for writing one pointer.
        unsafe { write_boxed(&mut out, String::from("handle")) };
        assert!(!out.is_null());
        // SAFETY: just handed out by `write_boxed`, read before it is freed.
        assert_eq!(unsafe { &*out }, "handle");
        // SAFETY: from `write_boxed`, freed once; NULL is allowed.
        unsafe {
            free_boxed(out);
            free_boxed(std::ptr::null_mut::<String>());
        }
        assert!(lend_str(None).is_null());
        let s = Some(CString::new("id").unwrap());
        // SAFETY: `lend_str` points into `s`, alive here.
        assert_eq!(unsafe { CStr::from_ptr(lend_str(s.as_deref())) }, c"id");
    }
}
