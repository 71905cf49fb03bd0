//! Tidy checks over the source tree (rust-analyzer's `tidy.rs` habit): every Rust file opens with a
//! `//!` doc saying why it exists, nobody hides a panic behind should-panic attributes, and files stay
//! small enough to read.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "compiler/src", "vm/src", "stdlib/src", "tests", "compiler/tests", "vm/tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "tidy found too few files: {files:?}");
    files
}

#[test]
fn every_rust_file_has_a_module_doc() {
    let missing: Vec<_> = sources()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(missing.is_empty(), "files without a //! doc comment: {missing:#?}");
}

#[test]
fn no_should_panic() {
    let bad: Vec<_> = sources()
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).unwrap_or_default().contains(concat!("#[should", "_panic")))
        .collect();
    assert!(bad.is_empty(), "tests must assert on errors, not panics: {bad:#?}");
}

#[test]
fn files_stay_readable() {
    let big: Vec<_> = sources()
        .into_iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap_or_default().lines().count();
            (n > 1000).then_some((p, n))
        })
        .collect();
    assert!(big.is_empty(), "files over 1000 lines, split them by concern: {big:#?}");
}

/// Every file or folder that ARCHITECTURE.md's code map and engine table name exists: a path in
/// backticks with an extension (`check/script.rs`) or a trailing slash (`update/`) is looked up
/// under the crate folders the map's sections describe.
#[test]
fn architecture_names_only_files_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    let bases = [
        "",
        "compiler/src",
        "vm/src",
        "vm/src/update",
        "vm/src/heap",
        "vm/src/interp",
        "compiler/src/lexer",
        "src",
        "tests",
        "vm/tests",
        "compiler/tests",
        "stdlib",
        "benches",
        "examples",
    ];
    let mut checked = 0;
    let mut missing = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if i % 2 == 0 || part.contains(' ') || part.contains('*') || part.contains("::") {
            continue;
        }
        let is_dir = part.ends_with('/');
        let looks_like_file =
            [".rs", ".lalrpop", ".newt", ".py", ".sh", ".md", ".toml"].iter().any(|e| part.ends_with(e));
        if !(is_dir || looks_like_file) || part.starts_with('.') || part.contains('<') {
            continue;
        }
        checked += 1;
        let name = part.trim_end_matches('/');
        if !bases.iter().any(|b| root.join(b).join(name).exists()) {
            missing.push(part.to_string());
        }
    }
    assert!(checked > 40, "the code map names too few files ({checked}): is the check reading it?");
    assert!(missing.is_empty(), "ARCHITECTURE.md names files that do not exist: {missing:?}");
}
