//! Golden tests for the parser (rust-analyzer's `test_data/parser/{ok,err}` habit): every
//! `tests/parser/{ok,err,script}/*.newt` file is parsed, and its tree (the compact S-expression of
//! `parse::sexp`) followed by its rendered diagnostics is compared with an insta snapshot.
//! Files under `ok/` and `script/` named `*_errors.newt` must have diagnostics; the others must not.
//! Files under `script/` are parsed as update scripts.

use newt_compiler::diag::render_all;
use newt_compiler::{parse, SourceMap};
use std::path::Path;

fn inputs(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parser").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "newt")).collect())
        .unwrap_or_default();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {root:?}");
    files
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
            (stem, std::fs::read_to_string(&p).unwrap_or_default())
        })
        .collect()
}

/// Parses one input and renders the tree and diagnostics; returns whether there were diagnostics.
fn render(dir: &str, stem: &str, text: &str) -> (String, bool) {
    let mut sources = SourceMap::new();
    let file = sources.add(format!("{dir}/{stem}.newt"), stem, text);
    let arena = bumpalo::Bump::new();
    let (tree, diags) = if dir == "script" {
        let (script, diags) = parse::parse_script(&arena, file, text);
        (script.map(|s| parse::sexp::script(&s)).unwrap_or_else(|| "(no script)\n".into()), diags)
    } else {
        let (module, diags) = parse::parse_module(&arena, file, text);
        (parse::sexp::module(&module), diags)
    };
    let mut out = tree;
    if !diags.is_empty() {
        out.push_str("\n--- diagnostics ---\n");
        out.push_str(&render_all(&diags, &sources));
    }
    (out, !diags.is_empty())
}

fn run(dir: &str) {
    for (stem, text) in inputs(dir) {
        let (out, has_errors) = render(dir, &stem, &text);
        let expect_errors = dir == "err" || stem.ends_with("_errors");
        assert_eq!(has_errors, expect_errors, "{dir}/{stem}.newt:\n{out}");
        insta::assert_snapshot!(format!("{dir}__{stem}"), out);
    }
}

#[test]
fn ok() {
    run("ok");
}

#[test]
fn err() {
    run("err");
}

#[test]
fn script() {
    run("script");
}
