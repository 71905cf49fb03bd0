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
