//! The checker over real files: `check_file` finds imports next to the root file, reports errors
//! of every file with their paths, and names the root module after the file.

use newt_compiler::check::check_file;
use newt_compiler::diag::render_all;
use std::path::PathBuf;

/// A fresh directory under the system temp dir holding the given files.
fn temp_tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("newt-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    dir
}

fn no_stdlib(_: &str) -> Option<&'static str> {
    None
}

fn fake_stdlib(name: &str) -> Option<&'static str> {
    match name {
        "std.twice" => Some("fn twice(x: int) -> int = x * 2\n"),
        _ => None,
    }
}

#[test]
fn imports_next_to_the_root_file_and_std() {
    let dir = temp_tree(
        "ok",
        &[
            ("app.main.newt", "import shop.util\nimport std.twice\nfn main() { print(twice.twice(util.one())) }\n"),
            ("shop/util.newt", "module shop.util\nfn one() -> int = 1\n"),
        ],
    );
    let prog =
        check_file(&dir.join("app.main.newt"), fake_stdlib).unwrap_or_else(|(d, s)| panic!("{}", render_all(&d, &s)));
    let names: Vec<&str> = prog.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["shop.util", "std.twice", "app_main"]);
    assert!(prog.main.is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_of_every_file_are_rendered_with_their_paths() {
    let dir = temp_tree(
        "errs",
        &[
            ("main.newt", "import lib.bad\nfn main() {\n    let x: int = \"s\"\n}\n"),
            ("lib/bad.newt", "fn f() -> str = 1\n"),
        ],
    );
    let Err((diags, sources)) = check_file(&dir.join("main.newt"), no_stdlib) else { panic!("expected errors") };
    let text = render_all(&diags, &sources);
    assert_eq!(diags.len(), 2, "{text}");
    assert!(text.contains("main.newt:3:18"), "{text}");
    assert!(text.contains("bad.newt:1:17"), "{text}");
    assert!(text.contains("error: expected str, found int"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_root_file_is_a_diagnostic() {
    let dir = temp_tree("missing", &[]);
    let Err((diags, sources)) = check_file(&dir.join("nope.newt"), no_stdlib) else { panic!("expected errors") };
    let text = render_all(&diags, &sources);
    assert!(text.contains("cannot read"), "{text}");
}
