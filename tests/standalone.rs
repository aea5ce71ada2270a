//! The repository stands alone: no file of the crate refers to a path outside it.
//!
//! A clone (or the published crate) must build and test with nothing beside it, so every test
//! vector lives in `tests/data/` and no source, test, script, build file or document may point
//! at `../something` above the root, at an absolute path of the machine it was written on, or
//! at a Markdown document the repository does not have. The files checked are the tracked
//! ones (`git ls-files`), or every file below the root when there is no git checkout (the
//! unpacked `.crate`), build outputs excepted.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build outputs and local state that are never part of the repository (see `.gitignore`).
const NOT_OURS: &[&str] = &[
    ".git",
    "target",
    "examples-c/build",
    "examples-c/go/bin",
    "fuzz/target",
    "fuzz/corpus",
    "fuzz/artifacts",
    "fuzz/coverage",
];

/// Names a relative path may lead to although they are not tracked: what the build makes.
fn is_build_output(name: &str) -> bool {
    name == "target" || name == "build" || name.starts_with("libbedrock_stream.")
}

/// The files to check, relative to the root.
fn files() -> Vec<PathBuf> {
    let root = root();
    let tracked = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success() && root.join(".git").exists());
    let mut out = match tracked {
        Some(o) => o
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .filter(|p| root.join(p).is_file())
            .collect(),
        None => {
            let mut v = Vec::new();
            walk(&root, Path::new(""), &mut v);
            v
        }
    };
    out.sort();
    out
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root.join(rel)).unwrap() {
        let entry = entry.unwrap();
        let path = rel.join(entry.file_name());
        if NOT_OURS.iter().any(|n| path == Path::new(n)) {
            continue;
        }
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            walk(root, &path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

/// `base.join(rel)` without touching the file system; `None` when it climbs above the root.
fn resolve(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<String> = base
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s.to_owned()),
        }
    }
    Some(parts.iter().collect())
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/~$*{}".contains(c)
}

/// What makes `text` (the file `rel`) depend on something outside the repository. `exists`
/// says whether a path relative to the root is part of it; `md_names` are the file names of
/// the repository's Markdown documents.
fn problems(
    rel: &Path,
    text: &str,
    exists: &dyn Fn(&Path) -> bool,
    md_names: &BTreeSet<String>,
) -> Vec<String> {
    let dir = rel.parent().unwrap_or(Path::new(""));
    let is_rust = rel.extension().is_some_and(|e| e == "rs");
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let at = format!("{}:{}", rel.display(), i + 1);
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(pos, c)) in chars.iter().enumerate() {
            let prev = if k == 0 { ' ' } else { chars[k - 1].1 };
            let rest = &line[pos..];

            // Absolute paths of a developer's machine.
            if c == '/' && !is_path_char(prev) {
                for home in ["/work/", "/home/", "/Users/"] {
                    if rest.starts_with(home) {
                        found.push(format!("{at}: absolute path {}", token(rest)));
                    }
                }
            }

            // `../x` relative to the file's own directory (includes, Makefiles, documents).
            if rest.starts_with("../") && !is_path_char(prev) {
                let path = token(rest);
                match resolve(dir, path) {
                    None => found.push(format!("{at}: `{path}` climbs above the repository")),
                    Some(target) => {
                        // The first name below the last `..` must be something the repository
                        // has (or builds): a sibling checkout beside `tests/` is not.
                        let ups = path.split('/').take_while(|s| *s == "..").count();
                        let first = path.split('/').nth(ups).unwrap_or("");
                        let base = resolve(dir, &"../".repeat(ups)).unwrap();
                        let plain = !first.is_empty() && !first.contains(['$', '*', '{']);
                        if plain && !is_build_output(first) && !exists(&base.join(first)) {
                            found.push(format!(
                                "{at}: `{path}` names {}, which is not in the repository",
                                target.display()
                            ));
                        }
                    }
                }
            }

            // A `CARGO_MANIFEST_DIR`-anchored path going up (`concat!(env!(..), "/../x")`,
            // `Path::new(env!(..)).join("../x")`): up from the root is outside it.
            if is_rust && rest.starts_with("CARGO_MANIFEST_DIR") {
                let window: String = lines[i..lines.len().min(i + 3)].join("\n");
                let window = window.split(';').next().unwrap_or("");
                if window.contains("\"/..") || window.contains("\"..") {
                    found.push(format!("{at}: a path above CARGO_MANIFEST_DIR"));
                }
            }
        }

        // Markdown documents the repository does not have (`NOTES.md`, `docs/FOO.md`).
        for word in line.split(|c: char| !is_path_char(c)) {
            let name = word.rsplit('/').next().unwrap_or("");
            let stem = name.strip_suffix(".md").unwrap_or("");
            if !stem.is_empty()
                && !stem.contains(['$', '*', '{'])
                && stem.chars().any(|c| c.is_ascii_alphabetic())
                && !md_names.contains(name)
            {
                found.push(format!(
                    "{at}: cites {word}, which the repository does not have"
                ));
            }
        }
    }
    found
}

/// The path starting `s`: up to the first character that cannot be part of one.
fn token(s: &str) -> &str {
    let end = s.find(|c: char| !is_path_char(c)).unwrap_or(s.len());
    s[..end].trim_end_matches(['.', ','])
}

#[test]
fn no_file_refers_to_a_path_outside_the_repository() {
    let root = root();
    let files = files();
    assert!(
        files.len() > 100 && files.iter().any(|f| f == Path::new("src/lib.rs")),
        "the file list looks wrong: {files:?}"
    );
    let md_names: BTreeSet<String> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "md"))
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let exists = |p: &Path| root.join(p).exists();
    let mut checked = 0;
    let mut all = Vec::new();
    for rel in &files {
        // Lock files list crates, not paths; binary files (vectors, fuzz inputs) hold no paths.
        // This file quotes outside references as the checker's own test cases.
        if rel.file_name().is_some_and(|n| n == "Cargo.lock") || rel == Path::new(file!()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
            continue;
        };
        checked += 1;
        all.extend(problems(rel, &text, &exists, &md_names));
    }
    assert!(checked > 100, "only {checked} text files checked");
    assert!(
        all.is_empty(),
        "files refer to paths outside the repository (bring what they need into it, e.g. \
         tests/data/):\n{}",
        all.join("\n")
    );
}

/// The checker itself: each kind of outside reference is caught, and the repository's own
/// relative paths are not.
#[test]
fn the_checker_tells_outside_paths_from_inside_ones() {
    let md: BTreeSet<String> = ["README.md".to_owned()].into();
    let exists = |p: &Path| {
        ["tests", "tests/data", "include", "fuzz", "src", "README.md"]
            .iter()
            .any(|e| p == Path::new(e))
    };
    let check = |file: &str, text: &str| problems(Path::new(file), text, &exists, &md);

    for (file, text) in [
        (
            "tests/a.rs",
            r#"let p = Path::new("../sibling/spec/vectors/x.json");"#,
        ),
        (
            "tests/a.rs",
            r#"Path::new(env!("CARGO_MANIFEST_DIR")).join("../sibling")"#,
        ),
        (
            "src/auth.rs",
            "let path = concat!(\n    env!(\"CARGO_MANIFEST_DIR\"),\n    \"/../sibling/x.json\"\n);",
        ),
        ("fuzz/README.md", "for f in ../../sibling/testdata/*; do"),
        ("Makefile", "VECTORS = ../vectors"),
        ("scripts/x.sh", "cat /work/sibling/spec/README.md"),
        ("tests/b.rs", "// see ../sibling/USER_NEEDS.md §2"),
        ("src/x.rs", "/// The shapes of MODEL_CHUNKS.md §3."),
        ("README.md", "[notes](docs/NOTES.md)"),
        ("examples-c/Makefile", "INCDIR ?= ../../include"),
    ] {
        assert!(
            !check(file, text).is_empty(),
            "not caught in {file}: {text}"
        );
    }

    for (file, text) in [
        (
            "tests/a.rs",
            r#"Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")"#,
        ),
        (
            "tests/a.rs",
            r#"#[path = "../fuzz/common/decoder_check.rs"]"#,
        ),
        (
            "examples-c/Makefile",
            "INCDIR ?= ../include\nLIBDIR ?= ../target/debug",
        ),
        (
            "examples-c/go/x.go",
            "#cgo CFLAGS: -I${SRCDIR}/../../include",
        ),
        ("fuzz/README.md", "for f in ../tests/data/eventstream/*; do"),
        ("src/lib.rs", r#"#![doc = include_str!("../README.md")]"#),
        (
            "src/x.rs",
            r#"assert_eq!(norm("/a/../b"), "/b"); // README.md"#,
        ),
        ("tests/c.rs", "let url = \"http://127.0.0.1/model/../x\";"),
    ] {
        assert_eq!(check(file, text), Vec::<String>::new(), "{file}: {text}");
    }
}
