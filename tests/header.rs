//! The checked-in C header (`include/bedrock_stream.h`) must be exactly what cbindgen
//! generates from `src/ffi/` with `cbindgen.toml`, must declare every exported function with
//! its documentation, and must compile cleanly as C99, C11 and C++17.
//!
//! After changing the C API: `BEDROCK_STREAM_BLESS=1 cargo test --test header`, then commit
//! the header.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    root().join("include/bedrock_stream.h")
}

fn generate() -> String {
    let config = cbindgen::Config::from_file(root().join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root().join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen parses src/ffi");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn checked_in_header_matches_the_generated_one() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("BEDROCK_STREAM_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != fresh {
        let line = current
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(fresh.lines().count()));
        panic!(
            "include/bedrock_stream.h is out of date with src/ffi and cbindgen.toml \
             (first difference at line {}:\n  checked in: {:?}\n  generated:  {:?}).\n\
             Rerun with `BEDROCK_STREAM_BLESS=1 cargo test --test header` and commit the header.",
            line + 1,
            current.lines().nth(line).unwrap_or("<end of file>"),
            fresh.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

/// Names of the functions exported from `src/ffi` (written out literally, as required).
fn exported_functions() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root().join("src/ffi")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("extern \"C\" fn ").skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    names.sort();
    names
}

#[test]
fn every_export_is_declared_and_documented_in_the_header() {
    let header = generate();
    let exports = exported_functions();
    assert!(exports.len() > 40, "found only {exports:?}");
    for name in &exports {
        assert!(
            name.starts_with("bedrock_stream_"),
            "{name} lacks the prefix"
        );
        // The declaration starts a line (`<type> name(` or `<type> *name(`).
        let line_start = header
            .match_indices(&format!("{name}("))
            .map(|(i, _)| header[..i].rfind('\n').map_or(0, |n| n + 1))
            .find(|&start| {
                let first = header[start..].chars().next().unwrap_or(' ');
                !matches!(first, ' ' | '*' | '/' | '#')
            })
            .unwrap_or_else(|| panic!("{name} is exported but not declared in the header"));
        // The declaration is directly preceded by its doc comment.
        let previous_lines = &header[..line_start];
        assert!(
            previous_lines.trim_end().ends_with("*/"),
            "{name} has no documentation in the header"
        );
        let doc_start = previous_lines.rfind("/**").unwrap();
        let doc = &previous_lines[doc_start..];
        assert!(
            doc.len() > 80,
            "{name}'s documentation is too short to say ownership, NULL and lifetime: {doc}"
        );
    }
    // Every symbol in the header has our prefix (types, enum values, macros, functions).
    for line in header.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("#define ") {
            assert!(
                rest.starts_with("BEDROCK_STREAM_"),
                "unprefixed macro: {line}"
            );
        }
        if let Some(rest) = line.strip_prefix("typedef struct ") {
            assert!(
                rest.starts_with("bedrock_stream_"),
                "unprefixed type: {line}"
            );
        }
        if line.starts_with("BEDROCK_") || line.starts_with("bedrock_stream_") {
            continue;
        }
        if line.ends_with(',') && line.contains(" = ") && !line.contains('(') {
            assert!(
                line.starts_with("BEDROCK_STREAM_"),
                "unprefixed enum value: {line}"
            );
        }
    }
}

fn compiler(name: &str) -> Option<PathBuf> {
    let out = Command::new(name).arg("--version").output().ok()?;
    out.status.success().then(|| PathBuf::from(name))
}

fn compile(compiler: &Path, std: &str, source: &Path, lang: &str) {
    let out = Command::new(compiler)
        .args(["-x", lang, &format!("-std={std}")])
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(source)
        .output()
        .expect("the compiler runs");
    assert!(
        out.status.success(),
        "the header does not compile as {std}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_compiles_as_c99_c11_and_cxx17() {
    let dir = std::env::temp_dir().join(format!("bedrock_stream_header_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Uses the version macros (the C-side check rustls's RUSTLS_VERSION_NUMBER lacked), the
    // enums, structs and a callback.
    let source = dir.join("use_header.c");
    std::fs::write(
        &source,
        r#"#include <bedrock_stream.h>
#include <bedrock_stream.h> /* include guard */
#if BEDROCK_STREAM_VERSION_NUMBER != ((BEDROCK_STREAM_VERSION_MAJOR << 16) | (BEDROCK_STREAM_VERSION_MINOR << 8) | BEDROCK_STREAM_VERSION_PATCH)
#error "BEDROCK_STREAM_VERSION_NUMBER does not match its parts"
#endif
static int32_t on_event(void *user_data, const bedrock_stream_event *event) {
    bedrock_stream_bytes text = bedrock_stream_event_text(event);
    (void)user_data;
    return text.len > 0 ? BEDROCK_STREAM_CONTINUE : BEDROCK_STREAM_STOP;
}
int check(void);
int check(void) {
    bedrock_stream_event_cb cb = on_event;
    bedrock_stream_status st = BEDROCK_STREAM_STATUS_OK;
    bedrock_stream_event_kind kind = BEDROCK_STREAM_EVENT_KIND_CHUNK;
    bedrock_stream_usage usage;
    bedrock_stream_metrics metrics;
    usage.has_input_tokens = false;
    metrics.has_input_token_count = false;
    return cb != 0 && st == 0 && kind == 1 && !usage.has_input_tokens && !metrics.has_input_token_count;
}
"#,
    )
    .unwrap();
    let gcc = compiler("cc").or_else(|| compiler("gcc"));
    let gxx = compiler("c++").or_else(|| compiler("g++"));
    match (gcc, gxx) {
        (Some(cc), Some(cxx)) => {
            compile(&cc, "c99", &source, "c");
            compile(&cc, "c11", &source, "c");
            compile(&cxx, "c++17", &source, "c++");
        }
        _ => panic!("a C and a C++ compiler (cc/gcc, c++/g++) are needed to check the header"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
