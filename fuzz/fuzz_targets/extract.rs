//! Fuzz target `extract`: see `../common/extract_check.rs` for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/extract_check.rs"]
mod extract_check;

fuzz_target!(|input: &[u8]| {
    extract_check::run(input);
});
