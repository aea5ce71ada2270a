//! Fuzz target `ffi`: see `../common/ffi_check.rs` for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/ffi_check.rs"]
mod ffi_check;

fuzz_target!(|input: &[u8]| {
    ffi_check::run(input);
});
