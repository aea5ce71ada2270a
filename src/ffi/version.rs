//! Version of the library, at compile time (macros) and at run time (functions).

use std::ffi::c_char;

/// Major version of the library this header belongs to.
#[allow(dead_code, reason = "for C callers, through the header")]
pub const BEDROCK_STREAM_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header belongs to.
#[allow(dead_code, reason = "for C callers, through the header")]
pub const BEDROCK_STREAM_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header belongs to.
#[allow(dead_code, reason = "for C callers, through the header")]
pub const BEDROCK_STREAM_VERSION_PATCH: u32 = 0;
/// `(MAJOR << 16) | (MINOR << 8) | PATCH` of the library this header belongs to; compare with
/// `bedrock_stream_version_number()` to detect a header/library mismatch.
#[allow(dead_code, reason = "for C callers, through the header")]
pub const BEDROCK_STREAM_VERSION_NUMBER: u32 = 0x000100;

/// The version of the linked library, e.g. `"0.1.0"`. Static string: valid forever, never
/// freed. Thread-safe.
///
/// # Safety
///
/// None.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_version() -> *const c_char {
    ffi_boundary!({ concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() })
}

/// The version of the linked library as `(major << 16) | (minor << 8) | patch`, to compare
/// with `BEDROCK_STREAM_VERSION_NUMBER` (the header's). Thread-safe.
///
/// # Safety
///
/// None.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_version_number() -> u32 {
    ffi_boundary!({ version_number() })
}

fn version_number() -> u32 {
    let part = |s: &str| s.parse::<u32>().unwrap_or(0);
    (part(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
        | (part(env!("CARGO_PKG_VERSION_MINOR")) << 8)
        | part(env!("CARGO_PKG_VERSION_PATCH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_macros_match_the_package_version() {
        assert_eq!(
            BEDROCK_STREAM_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            BEDROCK_STREAM_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            BEDROCK_STREAM_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        assert_eq!(
            BEDROCK_STREAM_VERSION_NUMBER,
            (BEDROCK_STREAM_VERSION_MAJOR << 16)
                | (BEDROCK_STREAM_VERSION_MINOR << 8)
                | BEDROCK_STREAM_VERSION_PATCH
        );
        assert_eq!(version_number(), BEDROCK_STREAM_VERSION_NUMBER);
    }
}
