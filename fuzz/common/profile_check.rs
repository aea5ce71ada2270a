//! The checks of the `profile` fuzz target, shared with the corpus replay in
//! `tests/fuzz_regressions.rs` (which needs the `fuzzing` feature): the shared `config` and
//! `credentials` file parser, through `bedrock_stream::fuzzing::profile_files`, which asserts
//! the parser's invariants and resolves the region and endpoint from the result.
//!
//! Input layout: `config NUL credentials NUL selected-profile`, each part read as UTF-8 (invalid
//! sequences become U+FFFD: the client refuses files that are not UTF-8 before parsing); a
//! missing part is empty, an empty profile name means `default`.

/// Runs one input; returns `Ok(summary)` or `Err(the configuration error)`.
pub fn run(input: &[u8]) -> Result<String, String> {
    let mut parts = input.splitn(3, |&b| b == 0);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let config = next();
    let credentials = next();
    let selected = next();
    let selected = if selected.is_empty() {
        "default"
    } else {
        &selected
    };
    bedrock_stream::fuzzing::profile_files(&config, &credentials, selected)
}
