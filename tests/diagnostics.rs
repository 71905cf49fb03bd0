//! Snapshots of rendered diagnostics: every compile-error file of the conformance suite is checked
//! with `newt check`, and its whole stderr (messages, locations, source lines, carets) is compared
//! with a stored `insta` snapshot, so a change in layout or wording shows up in review.

use std::path::{Path, PathBuf};
use std::process::Command;

fn error_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lang/compile_errors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "newt")).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn rendered_compile_errors() {
    let files = error_files();
    assert!(files.len() >= 20, "expected the compile_errors suite, found {} files", files.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in files {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        let out = Command::new(env!("CARGO_BIN_EXE_newt"))
            .arg("check")
            .arg(&rel)
            .current_dir(root)
            .output()
            .unwrap_or_else(|e| panic!("cannot run newt: {e}"));
        assert_eq!(out.status.code(), Some(65), "{} should fail to compile", rel.display());
        let name = rel.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn syntax_errors_render_with_carets() {
    let dir = std::env::temp_dir().join(format!("newt-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
    let file = dir.join("bad.newt");
    std::fs::write(&file, "fn main() {\n    let x: int = \"a\"\n    print(y)\n}\n")
        .unwrap_or_else(|e| panic!("write: {e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_newt")).arg("check").arg("bad.newt").current_dir(&dir).output();
    let out = out.unwrap_or_else(|e| panic!("cannot run newt: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(65));
    insta::assert_snapshot!("two_errors_at_once", String::from_utf8_lossy(&out.stderr));
}
