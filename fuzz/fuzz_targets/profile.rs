//! Fuzz target `profile`: see `../common/profile_check.rs` for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/profile_check.rs"]
mod profile_check;

fuzz_target!(|input: &[u8]| {
    let _ = profile_check::run(input);
});
