//! Replays the saved fuzz inputs of every target in `fuzz/` (see `fuzz/README.md`) through the
//! same checks the fuzz targets run (`fuzz/common/*_check.rs`). The `profile` corpus needs the
//! `fuzzing` feature (the parser is crate-private): `cargo test --all-features` replays it.
//! The `decoder` corpus is replayed by `tests/eventstream_props.rs`.

use std::path::Path;

#[path = "../fuzz/common/event_check.rs"]
mod event_check;
#[path = "../fuzz/common/extract_check.rs"]
mod extract_check;
#[path = "../fuzz/common/ffi_check.rs"]
mod ffi_check;
#[cfg(feature = "fuzzing")]
#[path = "../fuzz/common/profile_check.rs"]
mod profile_check;

/// The saved inputs of one target, sorted by name; there must be some.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "too few saved inputs in {}",
        dir.display()
    );
    files
}

/// Runs `check` on every input, naming the input that fails.
fn replay<T>(target: &str, check: impl Fn(&str, &[u8]) -> T) {
    for (name, bytes) in corpus(target) {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&name, &bytes)));
        if let Err(e) = r {
            std::panic::resume_unwind(Box::new(format!(
                "tests/fuzz_corpus/{target}/{name}: {}",
                e.downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("panic")
            )));
        }
    }
}

#[test]
fn event_corpus_replays_cleanly() {
    replay("event", |name, bytes| {
        let outcomes = event_check::run(bytes);
        // The name says what the stream holds first: a chunk, an unknown event, an error...
        let first = &outcomes[0];
        let prefix = name.split('_').next().unwrap();
        let expected = match prefix {
            "chunk" => "Chunk(",
            "unknown" => "UnknownEvent",
            "error" => "Error",
            "decode" => "decode error",
            "end" => "end",
            other => panic!("unknown name prefix {other}"),
        };
        assert!(first.starts_with(expected), "{first}");
    });
}

#[test]
fn extract_corpus_replays_cleanly() {
    replay("extract", |_, bytes| extract_check::run(bytes));
}

#[test]
fn extract_split_documents_carry_text() {
    // The split-text check compares two ways of reading the same text: both would be empty if
    // a family's document template carried no text at all.
    for family in bedrock_stream::extract::ModelFamily::ALL {
        let doc = extract_check::document(family, "h\\u00e9\\ud83d\\ude00");
        let info = bedrock_stream::extract::TextExtractor::new(family).process(doc.as_bytes());
        // `Unknown` reads the shared Jamba/gpt-oss shape of its template as those families do.
        assert_eq!(info.text(), Some("hé😀"), "{family}");
    }
}

#[test]
fn ffi_corpus_replays_cleanly() {
    replay("ffi", |_, bytes| ffi_check::run(bytes));
}

#[cfg(feature = "fuzzing")]
#[test]
fn profile_corpus_replays_cleanly() {
    replay("profile", |name, bytes| {
        // The name says whether the files parse (`ok_…`) or not (`err_…`).
        let r = profile_check::run(bytes);
        match name.split('_').next().unwrap() {
            "ok" => assert!(r.is_ok(), "{r:?}"),
            "err" => assert!(r.is_err(), "{r:?}"),
            other => panic!("unknown name prefix {other}"),
        }
    });
}
