//! `newt run --watch` in a pseudo-terminal: editing the running program's source applies an
//! update (reported on stderr), a version that does not compile is rejected while the old one keeps
//! running, and an update script next to the module is used with the next change. Every wait is
//! bounded.

use expectrl::Session;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PROGRAM: &str = r#"import std.time

class Counter {
    n: int = 0
}

var counter: Counter = Counter {}

fn label() -> str = "tick"

fn main() {
    while true {
        counter.n += 1
        print("{label()} {counter.n}")
        time.sleep(100)
    }
}
"#;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn expect(s: &mut Session, what: &str) {
    if let Err(e) = s.expect(what) {
        panic!("expected {what:?}: {e}");
    }
}

/// Rewrites the file (with a pause first, so its modification is a separate event).
fn edit(path: &Path, from: &str, to: &str) {
    std::thread::sleep(Duration::from_millis(50));
    let text = std::fs::read_to_string(path).expect("read source");
    assert!(text.contains(from), "{from:?} not in the source");
    std::fs::write(path, text.replace(from, to)).expect("write source");
}

#[test]
fn watch_applies_changes_rejects_broken_versions_and_uses_update_scripts() {
    let dir = TempDir(std::env::temp_dir().join(format!("newt-watch-test-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let file = dir.0.join("ticker.newt");
    std::fs::write(&file, PROGRAM).expect("write program");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newt"));
    cmd.args(["run", "--watch", "ticker.newt"]).current_dir(&dir.0).env("HOME", &dir.0);
    let mut s = Session::spawn(cmd).expect("spawn newt in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    expect(&mut s, "tick 2");

    edit(&file, "\"tick\"", "\"tock\"");
    expect(&mut s, "newt: Updated ticker (1 function)");
    expect(&mut s, "tock ");

    edit(&file, "fn label() -> str = \"tock\"", "fn label() -> str = 7");
    expect(&mut s, "newt: Rejected update of ticker");
    expect(&mut s, "expected str, found int");
    expect(&mut s, "tock ");

    // The script sets the new field; the program keeps its count.
    let script = "update ticker\nmigrate Counter(o: old.Counter) {\n    self.step = 10\n}\n";
    std::fs::write(dir.0.join("ticker.update.newt"), script).expect("write script");
    std::thread::sleep(Duration::from_millis(50));
    let text = std::fs::read_to_string(&file).expect("read source");
    let text = text
        .replace("    n: int = 0\n", "    n: int = 0\n    step: int\n")
        .replace("Counter {}", "Counter { step: 1 }");
    std::fs::write(&file, text.replace("fn label() -> str = 7", "fn label() -> str = \"step {counter.step}\""))
        .expect("write source");
    expect(&mut s, "with ");
    expect(&mut s, "ticker.update.newt");
    expect(&mut s, "1 object migrated");
    expect(&mut s, "step 10 ");
}

#[test]
fn watch_and_the_control_port_work_together() {
    let dir = TempDir(std::env::temp_dir().join(format!("newt-watch-control-test-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let file = dir.0.join("ticker.newt");
    std::fs::write(&file, PROGRAM).expect("write program");
    let token = dir.0.join("token");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newt"));
    cmd.args(["run", "--watch", "--control", "127.0.0.1:0", "--token-file"])
        .arg(&token)
        .arg("ticker.newt")
        .current_dir(&dir.0)
        .env("HOME", &dir.0);
    let mut s = Session::spawn(cmd).expect("spawn newt in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(10)));
    let found = match s.expect(expectrl::Regex("control port listening on (127\\.0\\.0\\.1:[0-9]+)")) {
        Ok(f) => f,
        Err(e) => panic!("no control port: {e}"),
    };
    let addr = String::from_utf8_lossy(found.get(1).unwrap_or_default()).into_owned();
    expect(&mut s, "tick 1");
    // A saved change is applied by the watcher...
    edit(&file, "\"tick\"", "\"tock\"");
    expect(&mut s, "newt: Updated ticker (1 function)");
    expect(&mut s, "tock ");
    // ...and `newt update` through the control port still works.
    let v3 = std::fs::read_to_string(&file).expect("read source").replace("\"tock\"", "\"tack\"");
    let v3_path = dir.0.join("v3");
    std::fs::create_dir_all(&v3_path).expect("v3 dir");
    std::fs::write(v3_path.join("ticker.newt"), v3).expect("write v3");
    let out = Command::new(env!("CARGO_BIN_EXE_newt"))
        .args(["update", "--connect", &addr, "--token-file"])
        .arg(&token)
        .arg(v3_path.join("ticker.newt"))
        .output()
        .expect("run newt update");
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("committed"), "{report}");
    expect(&mut s, "tack ");
}
