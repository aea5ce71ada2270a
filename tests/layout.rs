//! The README's layout list (Development, "Layout, one place per concern") stays true: every
//! path it names exists, every source file under `src/` is named (itself or by its folder), and
//! a folder whose files it lists one by one lists all of them (`mod.rs` aside).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layout section: from the `* Layout` bullet to the next heading.
fn layout_section(readme: &str) -> &str {
    let start = readme
        .find("\n* Layout")
        .expect("README.md has no `* Layout` list under Development");
    let rest = &readme[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// What the list names, as paths from the root: a token with a `/` is a path from the root (a
/// folder if it ends with `/`, and then the folder later bare file names are in); a bare
/// `name.rs` is a file in the last folder named. Other code spans (type names, settings) are
/// not paths. Also returns the folders whose files were named one by one.
fn named_paths(section: &str) -> (Vec<String>, BTreeSet<String>) {
    let mut paths = Vec::new();
    let mut listed_dirs = BTreeSet::new();
    let mut base: Option<String> = None;
    for (i, span) in section.split('`').enumerate() {
        if i % 2 == 0 || span.contains(' ') {
            continue;
        }
        if span.contains('/') {
            if span.starts_with("src/")
                || span.starts_with("include/")
                || span.starts_with("tests/")
            {
                if span.ends_with('/') {
                    base = Some(span.to_owned());
                }
                paths.push(span.to_owned());
            }
        } else if span.ends_with(".rs") {
            let dir = base
                .clone()
                .unwrap_or_else(|| panic!("`{span}` is named before any folder"));
            listed_dirs.insert(dir.clone());
            paths.push(format!("{dir}{span}"));
        }
    }
    (paths, listed_dirs)
}

fn rust_files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let rel = format!("{rel}{name}");
        if entry.file_type().unwrap().is_dir() {
            rust_files(&entry.path(), &format!("{rel}/"), out);
        } else if name.ends_with(".rs") {
            out.push(rel);
        }
    }
}

/// What is wrong with the list against the source files (empty: nothing).
fn problems(section: &str, exists: &dyn Fn(&str) -> bool, sources: &[String]) -> Vec<String> {
    let (paths, listed_dirs) = named_paths(section);
    let mut out = Vec::new();
    for p in &paths {
        if !exists(p) {
            out.push(format!("README names `{p}`, which does not exist"));
        }
    }
    for f in sources {
        let named = paths
            .iter()
            .any(|p| p == f || (p.ends_with('/') && f.starts_with(p)));
        if !named {
            out.push(format!("`{f}` is not in the README's layout list"));
        }
        if let Some((dir, file)) = f.rsplit_once('/') {
            let dir = format!("{dir}/");
            if file != "mod.rs" && listed_dirs.contains(&dir) && !paths.contains(f) {
                out.push(format!(
                    "the README lists the files of `{dir}` one by one but not `{file}`"
                ));
            }
        }
    }
    out
}

#[test]
fn readme_layout_names_what_exists() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = layout_section(&readme);
    let mut sources = Vec::new();
    rust_files(&root.join("src"), "src/", &mut sources);
    sources.sort();
    assert!(sources.len() > 50, "{sources:?}");
    let (paths, listed) = named_paths(section);
    // The concerns the architecture is read by each have their place.
    for p in [
        "src/eventstream/",
        "src/event.rs",
        "src/error.rs",
        "src/credentials/",
        "src/auth.rs",
        "src/endpoint.rs",
        "src/transport.rs",
        "src/client/stream.rs",
        "src/extract/",
        "src/converse/",
        "src/ffi/",
        "src/emulator/",
    ] {
        assert!(paths.iter().any(|n| n == p), "{p} is not named: {paths:?}");
    }
    assert!(listed.contains("src/extract/") && listed.contains("src/credentials/"));
    let exists = |p: &str| root.join(p).exists() && (p.ends_with('/') == root.join(p).is_dir());
    let found = problems(section, &exists, &sources);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The checker: a missing path, an unnamed file and a half-listed folder are each caught.
#[test]
fn the_checker_catches_each_kind() {
    let section = "\n* Layout:\n  * codec: `src/eventstream/` (`decoder.rs`, `gone.rs`);\n  * \
                   errors: `src/error.rs`, `EventRef`, shared `config`/`credentials` files\n";
    let on_disk = [
        "src/eventstream/",
        "src/eventstream/decoder.rs",
        "src/eventstream/encoder.rs",
        "src/eventstream/mod.rs",
        "src/error.rs",
        "src/new.rs",
    ];
    let exists = |p: &str| on_disk.contains(&p);
    let sources: Vec<String> = on_disk
        .iter()
        .filter(|p| p.ends_with(".rs"))
        .map(|p| p.to_string())
        .collect();
    let found = problems(section, &exists, &sources);
    assert_eq!(
        found,
        [
            "README names `src/eventstream/gone.rs`, which does not exist",
            "the README lists the files of `src/eventstream/` one by one but not `encoder.rs`",
            "`src/new.rs` is not in the README's layout list",
        ],
        "{found:#?}"
    );
}
