//! The `newt` command line as a user meets it: exit statuses of tools.md (0, 64, 65, 70), usage,
//! and hostile input (random bytes, truncated programs, deep nesting) that must end in a clear
//! message — never a panic or a Rust backtrace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn newt(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run newt: {e}"))
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("newt-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        Scratch(dir)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.0.join(name), bytes).unwrap_or_else(|e| panic!("write: {e}"));
        name.to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_crash(o: &Output, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("internal error") && !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: {err}"
    );
    assert!(o.status.code().is_some(), "{what}: killed by a signal");
}

#[test]
fn exit_statuses() {
    let s = Scratch::new("status");
    let ok = s.write("ok.newt", b"fn main() {\n    print(\"hi\")\n}\n");
    let bad = s.write("bad.newt", b"fn main() {\n    let x: int = true\n}\n");
    let boom = s.write("boom.newt", b"fn main() {\n    let z = 0\n    print(1 / z)\n}\n");
    let o = newt(&["run", &ok], &s.0);
    assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()), (Some(0), "hi\n"));
    let o = newt(&["run", &bad], &s.0);
    assert_eq!(o.status.code(), Some(65));
    assert!(stderr(&o).contains("expected int, found bool"), "{}", stderr(&o));
    let o = newt(&["run", &boom], &s.0);
    assert_eq!(o.status.code(), Some(70));
    assert!(
        stderr(&o).contains("error: division by zero") && stderr(&o).contains("at main (boom.newt:3)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(newt(&["check", &ok], &s.0).status.code(), Some(0));
    assert_eq!(newt(&["check", &ok, &bad], &s.0).status.code(), Some(65));
    assert_eq!(newt(&["run", "missing.newt"], &s.0).status.code(), Some(64));
    assert_eq!(newt(&["frobnicate"], &s.0).status.code(), Some(64));
    assert_eq!(newt(&["run"], &s.0).status.code(), Some(64));
    let o = newt(&[], &s.0);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("usage:"));
}

#[test]
fn program_arguments_reach_the_program() {
    let s = Scratch::new("args");
    let f = s.write("a.newt", b"import std.process\nfn main() {\n    print(process.args())\n}\n");
    let o = newt(&["run", &f, "x", "--y"], &s.0);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[\"x\", \"--y\"]\n");
}

#[test]
fn dis_lists_a_function() {
    let s = Scratch::new("dis");
    let f = s.write("d.newt", b"fn add(a: int, b: int) -> int = a + b\nfn main() {\n    print(add(1, 2))\n}\n");
    let o = newt(&["dis", &f, "--fn", "add"], &s.0);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("AddInt") && !out.contains("CallGlobal"), "{out}");
    assert_eq!(newt(&["dis", &f, "--fn", "nope"], &s.0).status.code(), Some(64));
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn hostile_input_never_crashes() {
    let s = Scratch::new("hostile");
    let program = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/vector3d/main.newt"))
        .unwrap_or_else(|e| panic!("example: {e}"));
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for seed in 1..6u64 {
        cases.push((format!("random{seed}"), random_bytes(seed, 2000)));
    }
    for cut in [10, 100, 333, 700, program.len() / 2, program.len() - 3] {
        cases.push((format!("cut{cut}"), program[..cut.min(program.len())].to_vec()));
    }
    let deep_parens = format!("fn main() {{\n    print({}1{})\n}}\n", "(".repeat(20_000), ")".repeat(20_000));
    let deep_blocks = format!("fn main() {{\n{}\n{}}}\n", "if true {\n".repeat(5_000), "}\n".repeat(5_000));
    let deep_string = format!("fn main() {{\n    print(\"{}\")\n}}\n", "{\"".repeat(3_000));
    let deep_lists = format!("fn main() {{\n    print({}1{})\n}}\n", "[".repeat(10_000), "]".repeat(10_000));
    for (name, text) in
        [("parens", deep_parens), ("blocks", deep_blocks), ("string", deep_string), ("lists", deep_lists)]
    {
        cases.push((name.to_string(), text.into_bytes()));
    }
    for (name, bytes) in cases {
        let f = s.write(&format!("{name}.newt"), &bytes);
        let o = newt(&["check", &f], &s.0);
        assert_no_crash(&o, &name);
        assert!(matches!(o.status.code(), Some(0 | 65)), "{name}: status {:?}", o.status.code());
        let o = newt(&["run", &f], &s.0);
        assert_no_crash(&o, &name);
    }
}
