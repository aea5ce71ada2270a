//! The C ABI (`libbedrock_stream.so` / `.a`, header `include/bedrock_stream.h`).
//!
//! The only module where `unsafe` is allowed. Every exported function is written out literally
//! (`#[unsafe(no_mangle)] pub unsafe extern "C" fn`) so cbindgen reads plain signatures, and its
//! body runs inside `ffi_boundary!` so a panic never unwinds into C.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
