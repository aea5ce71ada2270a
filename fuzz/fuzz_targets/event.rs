//! Fuzz target `event`: see `../common/event_check.rs` for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/event_check.rs"]
mod event_check;

fuzz_target!(|input: &[u8]| {
    event_check::run(input);
});
