//! What an exported function returns when its body panicked (see `ffi_boundary!`).

use std::any::Any;

use super::event::{bedrock_stream_bytes, bedrock_stream_event_kind};
use super::status::bedrock_stream_status;

/// The value an exported function returns after a caught panic.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for bedrock_stream_status {
    fn panic_value() -> Self {
        bedrock_stream_status::Panic
    }
}

impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

macro_rules! zero_on_panic {
    ($($t:ty),*) => {
        $(impl PanicValue for $t {
            fn panic_value() -> Self {
                Default::default()
            }
        })*
    };
}

zero_on_panic!((), bool, u16, u32, u64, i32, usize);

impl PanicValue for bedrock_stream_bytes {
    fn panic_value() -> Self {
        bedrock_stream_bytes::empty()
    }
}

impl PanicValue for bedrock_stream_event_kind {
    fn panic_value() -> Self {
        bedrock_stream_event_kind::None
    }
}

/// Drop the payload (its message was already printed by the panic hook) and return the
/// fallback value.
pub(crate) fn on_panic<T: PanicValue>(payload: Box<dyn Any + Send>) -> T {
    // A payload whose destructor panics again must not escape either.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)));
    T::panic_value()
}

/// The text of a panic payload (`panic!("...")` gives `&str` or `String`).
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}
