//! Fuzz target `decoder`: arbitrary bytes fed to the event-stream decoder in arbitrary
//! chunkings; see `../common/decoder_check.rs` for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/decoder_check.rs"]
mod decoder_check;

fuzz_target!(|input: &[u8]| {
    decoder_check::run(input);
});
